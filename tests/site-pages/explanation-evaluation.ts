/**
 * The Explanation evaluation page: for one image, the images AD and BAD feed the model for the
 * three CAM-family methods; the alpha slider, moved with the keyboard, changes the BAD images and
 * figures (not AD's); the alpha sweep is drawn; the sample-set table has one numeric row per
 * method beside the paper's rows (converted to percent); then the faithfulness checks
 * (explanation-checks.ts).
 */
import {expect} from "vitest";
import type {PageCheck} from "./page-check.js";
import {canvasFacts} from "./canvas.js";
import {checkExplanationChecks} from "./explanation-checks.js";

const check: PageCheck = {
  path: "/explanation-evaluation.html",
  name: "explanation-evaluation",
  // The sample set's evaluation, then the faithfulness checks of two images and their sanity checks.
  timeout: 2_400_000,
  async run(page) {
    await page.getByText(/Swept \d+ values of α/).waitFor({timeout: 240_000});
    await page.getByText(/Evaluated 24 bundled samples/).waitFor({timeout: 400_000});

    // Three rows (CAM, Grad-CAM, Grad-CAM++) of map, AD image, BAD image.
    const masked = page.locator(".masked canvas");
    await expect.poll(() => masked.count()).toBe(9);
    const bad = async () => Promise.all([2, 5, 8].map(async (i) => (await canvasFacts(masked.nth(i))).hash));
    const ad = async () => Promise.all([1, 4, 7].map(async (i) => (await canvasFacts(masked.nth(i))).hash));
    const badBefore = await bad();
    const adBefore = await ad();
    for (const i of [1, 2]) expect((await canvasFacts(masked.nth(i))).distinct).toBeGreaterThan(20);
    const perImage = page.locator("table").filter({hasText: "BAD drop %"});
    const badColumn = async () => perImage.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.textContent));
    const figuresBefore = await badColumn();
    expect(figuresBefore).toHaveLength(3);
    await page.getByText("What each metric feeds the model, at α = 20 %").waitFor();

    // The alpha slider, by keyboard: five steps right.
    const slider = page.locator("input[type=range]").first();
    await slider.focus();
    for (let i = 0; i < 5; i++) await slider.press("ArrowRight");
    await page.getByText("What each metric feeds the model, at α = 25 %").waitFor({timeout: 30_000});
    await expect.poll(bad, {timeout: 30_000}).not.toEqual(badBefore);
    expect(await ad()).toEqual(adBefore);
    expect(await badColumn()).not.toEqual(figuresBefore);

    // The sweep chart: three methods' lines and the slider's marker.
    const chart = page.locator("svg").filter({hasText: "pixels kept"});
    await expect.poll(() => chart.count()).toBeGreaterThan(0);
    expect(await chart.first().locator("path[marker-start], g[aria-label=line] path").count()).toBeGreaterThanOrEqual(3);
    await page.getByText("α = 25 %", {exact: true}).first().waitFor();

    // The sample-set table: one row per method with numeric AD and BAD, and the paper's rows in percent.
    const ours = page.locator("table.bad-comparison tr[data-source=ours]");
    await expect.poll(() => ours.count()).toBe(3);
    for (let i = 0; i < 3; i++) {
      const n = Number(await ours.nth(i).locator("td").nth(2).textContent());
      expect(n).toBe(24);
      for (const cell of ["td.ad", "td.bad"]) {
        const value = Number(await ours.nth(i).locator(cell).textContent());
        expect(Number.isFinite(value)).toBe(true);
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(100);
      }
    }
    expect(await page.locator("table.bad-comparison").textContent()).toContain("74.00");
    await page.getByText(/paper reports AD and BAD as fractions/).waitFor();

    // The faithfulness checks, the sanity check, localisation and the agreement table.
    await checkExplanationChecks(page);
  }
};

export default check;
