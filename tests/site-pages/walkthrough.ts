/**
 * The Walkthrough page: the default normal pediatric sample goes through every stage (decoded,
 * preprocessed, gated, predicted, four maps, their evaluation); inverting it turns the gate's verdict
 * and moves the probability; a patch dragged on the image (and moved by keyboard) changes the
 * scores again; undoing every edit gives back the first result exactly; a burst of slider moves asks
 * for few analyses (debounced); every slider is named, and chart text is at least 14 px.
 */
import type {Page} from "playwright-core";
import {expect} from "vitest";
import {canvasFacts} from "./canvas.js";
import type {PageCheck} from "./page-check.js";

interface Live {
  verdict: string;
  score: number;
  top: number;
  /** Which side of the threshold is in distribution for the gate's score. */
  inWhen: string;
}

async function live(page: Page): Promise<Live> {
  const node = page.locator("#walkthrough-live");
  const [verdict, score, top, inWhen] = await Promise.all(["data-verdict", "data-score", "data-top", "data-in-when"].map((a) => node.getAttribute(a)));
  return {verdict: verdict!, score: Number(score), top: Number(top), inWhen: inWhen ?? ""};
}

/** Waits until the live line shows a result different from `before` (a new analysis has landed). */
async function nextResult(page: Page, before: Live): Promise<Live> {
  await expect.poll(async () => (await live(page)).score, {timeout: 180_000}).not.toBe(before.score);
  return live(page);
}

const analyses = (page: Page) => page.evaluate(() => (window as unknown as {__cxrWalkthroughAnalyses?: number}).__cxrWalkthroughAnalyses ?? 0);

const check: PageCheck = {
  path: "/walkthrough.html",
  name: "walkthrough",
  async run(page) {
    await page.locator("#walkthrough-live").waitFor({timeout: 240_000});
    const first = await live(page);
    // The default sample (a normal pediatric test image) is accepted by the gate and predicted.
    expect(first.verdict).toBe("in");
    expect(first.top).toBeGreaterThan(0);
    expect(first.top).toBeLessThan(1);
    // Every stage drew: decoded image, model inputs, gate pictures, four maps, the evaluation table.
    await page.getByRole("heading", {name: /1\. Decoding/}).waitFor();
    expect(await page.getByText(/JPEG, 256 x 256 pixels, 8 bits per sample/).count()).toBe(1);
    await expect.poll(() => page.locator(".maps canvas").count(), {timeout: 60_000}).toBe(4);
    for (const canvas of await page.locator(".maps canvas").all()) expect((await canvasFacts(canvas)).distinct).toBeGreaterThan(50);
    expect(await page.getByText(/Classifier input, 128 x 128/).count()).toBe(1);
    expect(await page.locator("table.ood-scores").count()).toBe(1);
    await page.locator("table").filter({hasText: "Black Average Drop %"}).waitFor();
    const before = await canvasFacts(page.locator("canvas.what-if-after"));

    // Every slider has an accessible name, and chart text is projector-sized.
    const unnamed = await page.locator(".what-if input[type=range]").evaluateAll((inputs) => inputs.filter((i) => !(i as HTMLInputElement).labels?.length).length);
    expect(unnamed).toBe(0);
    expect(await page.getByRole("slider", {name: "Rotate (degrees, clockwise)"}).count()).toBe(1);
    // Text as shown: its font size times the chart's on-screen scale (drawn width / viewBox width).
    const sizes = await page.locator(".walkthrough-stage svg text").evaluateAll((texts) => texts.map((t) => {
      const svg = (t as SVGTextElement).ownerSVGElement!;
      return parseFloat(getComputedStyle(t).fontSize) * (svg.getBoundingClientRect().width / svg.viewBox.baseVal.width);
    }));
    expect(sizes.length).toBeGreaterThan(0);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(14);

    // Invert: the gate now rejects the image, and the probability moves (still predicted, marked).
    await page.getByLabel("Invert (swap black and white)").check();
    const inverted = await nextResult(page, first);
    expect(inverted.verdict).toBe("out");
    // Stranger by the gate's own score, whichever way it points (SSIM falls, Mahalanobis rises).
    expect(inverted.inWhen === "above" ? inverted.score < first.score : inverted.score > first.score).toBe(true);
    expect(inverted.top).not.toBe(first.top);
    expect(await page.locator(".verdict").textContent()).toMatch(/Rejected as out of distribution/);
    expect((await canvasFacts(page.locator("canvas.what-if-after"))).hash).not.toBe(before.hash);
    await page.getByLabel("Invert (swap black and white)").uncheck();
    const back = await nextResult(page, inverted);
    expect(back).toEqual(first);

    // A big patch dragged onto the image: drawn on the preview, and the scores change.
    const after = page.locator("canvas.what-if-after");
    await after.scrollIntoViewIfNeeded();
    // (Playwright cannot fill a range input: set it as a user's drag would, with an input event.)
    await page.getByLabel("Patch size (share of the short side)").evaluate((input) => {
      (input as HTMLInputElement).value = "0.6";
      input.dispatchEvent(new Event("input", {bubbles: true}));
    });
    const box = (await after.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.3);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5, {steps: 8});
    await page.mouse.up();
    expect(await page.getByLabel("Occluding patch (drag it on the image)").isChecked()).toBe(true);
    const patched = await nextResult(page, back);
    expect(patched.score).not.toBe(first.score);
    expect(await page.locator(".what-if-summary").textContent()).toMatch(/a dark patch of 60 % of the short side at \(50 %, 50 %\)/);
    // By keyboard: the arrow keys move the patch.
    await after.focus();
    await page.keyboard.press("ArrowRight");
    await expect.poll(() => page.locator(".what-if-summary").textContent()).toMatch(/at \(52 %, 50 %\)/);
    const moved = await nextResult(page, patched);

    // A burst of slider moves asks for few analyses, not one per step.
    const count = await analyses(page);
    const rotate = page.getByRole("slider", {name: "Rotate (degrees, clockwise)"});
    await rotate.focus();
    for (let i = 0; i < 12; i++) await page.keyboard.press("ArrowRight");
    const turned = await nextResult(page, moved);
    await page.waitForTimeout(1_500);
    const burst = (await analyses(page)) - count;
    console.log(`Walkthrough: 12 slider steps asked for ${burst} analysis(es)`);
    expect(burst).toBeGreaterThanOrEqual(1);
    expect(burst).toBeLessThanOrEqual(3);
    expect(await page.locator(".what-if-summary").textContent()).toMatch(/rotated 12° clockwise/);

    // Undo every edit: the first result again, exactly.
    await page.getByRole("button", {name: "Undo every edit"}).click();
    expect(await nextResult(page, turned)).toEqual(first);

    // Text the font cannot draw: a clear message, and the page keeps the last analysis.
    await page.getByLabel("Burned-in text").fill("Café");
    await page.getByRole("alert").filter({hasText: /no "é"/}).waitFor();
    expect(await live(page)).toEqual(first);
    await page.getByLabel("Burned-in text").fill("PORTABLE");
    await page.locator(".what-if-summary").getByText(/text "PORTABLE" burned in/).waitFor();
    // Its analysis lands (the page is idle again before the screenshot).
    await nextResult(page, first);
  }
};

export default check;
