/**
 * The Explanation page: four maps of the chosen finding with varied pixels and a time each, the
 * raw CAM grid beside its upsampled versions, Chester's class gradient, a working Lanczos-3 switch
 * (the maps' pixels change, the raw grid does not) and the PNG export.
 */
import {expect} from "vitest";
import type {PageCheck} from "./page-check.js";
import {canvasFacts} from "./canvas.js";

const check: PageCheck = {
  path: "/explanation.html",
  name: "explanation",
  async run(page) {
    await page.getByText("Time per map").waitFor({timeout: 240_000});

    // The finding control is a real labelled select, defaulting to the top finding.
    const finding = page.getByLabel("Finding to explain");
    expect(await finding.locator("option").count()).toBeGreaterThanOrEqual(1);
    expect(await finding.locator("option:checked").textContent()).toMatch(/top finding/);

    const four = page.locator(".four-maps canvas");
    await expect.poll(() => four.count()).toBe(4);
    const titles = await four.evaluateAll((nodes) => nodes.map((n) => (n as HTMLElement).dataset.title));
    expect(titles).toEqual(["Gradient saliency", "CAM", "Grad-CAM", "Grad-CAM++"]);
    const before = [];
    for (let i = 0; i < 4; i++) {
      const facts = await canvasFacts(four.nth(i));
      expect(facts.distinct).toBeGreaterThan(50);
      before.push(facts);
    }
    // Each map says how long it took.
    const captions = await page.locator(".four-maps figcaption").allTextContents();
    expect(captions).toHaveLength(4);
    for (const caption of captions) expect(caption).toMatch(/\d+ ms/);

    // The raw grid is drawn cell by cell: a handful of colours, far fewer than the upsampled map.
    await page.getByText(/Raw CAM, \d+ x \d+/).first().waitFor();
    const upsampling = page.locator(".upsampling-maps canvas");
    expect(await upsampling.count()).toBe(4);
    const rawAlone = await canvasFacts(upsampling.nth(3));
    expect(rawAlone.distinct).toBeGreaterThan(1);
    expect(rawAlone.distinct).toBeLessThanOrEqual(64);
    const bilinearPanel = await canvasFacts(upsampling.nth(1));
    const lanczosPanel = await canvasFacts(upsampling.nth(2));
    expect(bilinearPanel.hash).not.toBe(lanczosPanel.hash);

    // Chester's per-class gradient: full resolution, varied pixels.
    const gradient = page.locator(".class-gradient canvas");
    expect(await gradient.count()).toBe(2);
    expect((await canvasFacts(gradient.nth(1))).distinct).toBeGreaterThan(50);

    // Five timed maps in the table.
    const table = page.locator("table").filter({hasText: "compute (ms)"});
    await expect.poll(() => table.locator("tbody tr").count()).toBe(5);

    // Lanczos-3 changes the CAM-family maps' pixels; saliency needs no upsampling and stays the same.
    await page.getByRole("radio", {name: /Lanczos-3/}).check();
    await expect.poll(async () => (await canvasFacts(page.locator(".four-maps canvas").nth(1))).hash, {timeout: 30_000}).not.toBe(before[1]!.hash);
    expect((await canvasFacts(page.locator(".four-maps canvas").nth(3))).hash).not.toBe(before[3]!.hash);
    expect((await canvasFacts(page.locator(".four-maps canvas").nth(0))).hash).toBe(before[0]!.hash);
    await page.getByText(/upsampled \(Lanczos-3\)/).waitFor();

    // The PNG export builds a PNG in the page.
    const download = page.waitForEvent("download", {timeout: 30_000});
    await page.getByRole("button", {name: "Download the maps (PNG)"}).click();
    expect((await download).suggestedFilename()).toMatch(/\.png$/);
  }
};

export default check;
