/**
 * The Explanation evaluation page's faithfulness checks (issue 11): for the current image the
 * deletion / insertion and ROAD curves are drawn for each default method with areas in [0, 1], the
 * baseline control ranks the methods under four baselines, the sanity check plots every
 * randomisation step; a boxed NIH sample gets its box drawn over the maps and one localisation
 * row per method; the build-time agreement table has a row per method and Kendall's tau between
 * BAD and the other metrics. Called by explanation-evaluation.ts (and on its own against a
 * preview server).
 */
import {expect} from "vitest";
import type {Page} from "playwright-core";
import {canvasFacts} from "./canvas.js";

const DEFAULT_METHODS = ["cam", "gradcam", "gradcampp"];

export async function checkExplanationChecks(page: Page, {timeout = 400_000}: {timeout?: number} = {}): Promise<void> {
  await checkCurrentImage(page, timeout);
  await page.locator(".no-box").waitFor();
  await checkLocalisation(page, timeout);
  await checkAgreement(page);
}

/** Curves, areas, the baseline control and the sanity check of the current image (the default methods). */
export async function checkCurrentImage(page: Page, timeout: number): Promise<void> {
  await page.getByText(/Faithfulness of 3 maps: 12 curves/).waitFor({timeout});

  // Curves: one chart per kind, a line per method.
  for (const kind of ["deletion", "insertion", "road-morf", "road-lerf"]) {
    const chart = page.locator(`svg.curve-${kind}, figure.curve-${kind}`).first();
    await chart.waitFor();
    expect(await chart.locator("g[aria-label=line] path").count(), kind).toBe(3);
  }
  const areas = page.locator("table.faithfulness-areas tbody tr");
  expect(await areas.evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.method))).toEqual(DEFAULT_METHODS);
  for (let i = 0; i < 3; i++) {
    const cells = await areas.nth(i).locator("td").allTextContents();
    for (const text of cells.slice(1, 5)) {
      const value = Number(text);
      expect(value, cells.join(" | ")).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1);
    }
  }

  // The baseline control: each method's value and rank under the four baselines.
  const ranking = page.locator("table.baseline-values");
  await ranking.waitFor();
  expect(await ranking.locator("thead th").allTextContents()).toEqual(["method", "black", "mean", "blur", "noisy-linear"]);
  expect(await ranking.locator("tbody tr").count()).toBe(3);
  for (const text of await ranking.locator("tbody td:not(:first-child)").allTextContents()) expect(text).toMatch(/^(-?\d+\.\d|–) \(([123](\.5)?|–)\)$/);
  await page.getByText(/The ranking (changes with the baseline|is the same under every baseline)/).waitFor();

  // The sanity check: every block of the model randomised, a line per method.
  await page.getByText(/Sanity check: \d+ randomisation steps for 3 maps/).waitFor({timeout});
  const sanity = page.locator("svg.sanity-chart, figure.sanity-chart").first();
  expect(await sanity.locator("g[aria-label=line] path").count()).toBeGreaterThanOrEqual(3);
  await page.locator(".sanity-verdict").waitFor();
}

/** A boxed NIH sample chosen: its box drawn over each map, one localisation row per method. */
export async function checkLocalisation(page: Page, timeout: number): Promise<void> {
  const select = page.locator(".image-chooser select");
  const boxed = await select.locator("option").evaluateAll((options) => (options as HTMLOptionElement[]).find((o) => o.textContent!.startsWith("NIH, Pneumonia box"))?.value);
  expect(boxed, "a boxed NIH sample is offered").toBeTruthy();
  await select.selectOption(boxed!);
  await page.getByRole("heading", {name: `One image: ${boxed!.split("/").pop()}`}).waitFor({timeout});
  const localisation = page.locator("table.localisation-table tbody tr");
  await expect.poll(() => localisation.count(), {timeout}).toBe(3);
  for (const text of await localisation.locator("td:nth-child(2)").allTextContents()) expect(text).toMatch(/^(hit|miss|0\.\d\d)$/);
  const panels = page.locator(".boxed-maps canvas");
  expect(await panels.count()).toBe(3);
  expect((await canvasFacts(panels.first())).distinct).toBeGreaterThan(20);
  // The box is drawn in cyan over the map.
  const cyan = await panels.first().evaluate((node) => {
    const c = node as HTMLCanvasElement;
    const data = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i]! < 40 && data[i + 1]! > 200 && data[i + 2]! > 230) n++;
    return n;
  });
  expect(cyan).toBeGreaterThan(20);
}

/** The agreement over the sample set, made at build time. */
export async function checkAgreement(page: Page): Promise<void> {
  // The agreement over the sample set, made at build time: a row per method in each bundle's table.
  const tables = page.locator("table.agreement-table");
  await expect.poll(() => tables.count()).toBe(2);
  for (let i = 0; i < 2; i++) {
    expect(await tables.nth(i).locator("tbody tr").count()).toBe(6);
    const bad = await tables.nth(i).locator("td[data-metric='black-average-drop black 20%']").allTextContents();
    for (const text of bad) expect(Number(text.split(" ")[0])).toBeGreaterThanOrEqual(0);
  }
  const nih = page.locator("table.agreement-table[data-bundle=nih-chestxray14]");
  expect(await nih.locator("td[data-metric=pointing-game]").count()).toBe(6);
  const taus = await page.locator(".agreement-answer .tau").allTextContents();
  expect(taus.length).toBeGreaterThanOrEqual(4);
  for (const t of taus) {
    const tau = Number(t.replace("τ = ", ""));
    expect(Math.abs(tau)).toBeLessThanOrEqual(1);
  }
  expect(await page.locator("svg.agreement-tau, figure.agreement-tau").count()).toBe(2);
}
