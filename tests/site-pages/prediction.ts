/**
 * The Prediction page on the NIH bundle: a ROC curve per finding (Figure 3) with its operating
 * point, the AUC table equal to the card and beside Chester's Table 1 (an undefined AUC said
 * plainly), the threshold slider moved by keyboard changing the confusion matrix, sensitivity and
 * the calibrated value (Eq. 1), the table as CSV; then the pediatric bundle beside Kermany et al.
 */
import {readFileSync} from "node:fs";
import path from "node:path";
import type {Page} from "playwright-core";
import {expect} from "vitest";
import {REPO_ROOT} from "../helpers/paths.js";
import type {PageCheck} from "./page-check.js";

const nih = JSON.parse(readFileSync(path.join(REPO_ROOT, "models/nih-chestxray14/card.json"), "utf8"));
const table1 = JSON.parse(readFileSync(path.join(REPO_ROOT, "data/chester-table1.json"), "utf8"));

async function matrix(page: Page): Promise<number[]> {
  const cells = ["true positives", "false negatives", "false positives", "true negatives"];
  return Promise.all(cells.map(async (c) => Number(await page.locator(`[data-cell="${c}"] b`).textContent())));
}

const rate = async (page: Page, name: string) => (await page.locator(`#threshold-summary [data-rate="${name}"]`).textContent())!.trim();

const check: PageCheck = {
  path: "/prediction.html?bundle=nih-chestxray14",
  name: "prediction",
  async run(page) {
    await page.locator("#auc-check").getByText(/Every AUC here equals the card's/).waitFor({timeout: 60_000});

    // Figure 3: a ROC curve (with its operating point) for every finding with both classes; Hernia has no positive.
    const findings: {finding: string; auc: number | null; sensitivity: number | null}[] = nih.metrics.findings;
    const defined = findings.filter((f) => f.auc !== null);
    const rocs = page.locator(".roc-grid .roc-chart");
    expect(await rocs.count()).toBe(defined.length);
    for (let i = 0; i < defined.length; i++) {
      expect(await rocs.nth(i).locator('g[aria-label="line"] path').count()).toBe(2); // the curve and the chance diagonal
      expect(await rocs.nth(i).locator('g[aria-label="dot"] circle').count()).toBe(1); // the operating point
    }
    expect(await page.locator(".undefined-roc").textContent()).toMatch(/Hernia.*AUC is undefined/s);

    // The AUC table: ours equal to the card, undefined said plainly, Chester's Table 1 beside.
    for (const f of findings) {
      const row = page.locator(`.auc-table tr[data-finding="${f.finding}"]`);
      if (f.auc === null) expect(await row.locator(".ours").textContent()).toMatch(/undefined: no positive test image/);
      else expect(await row.locator(".auc").textContent()).toBe(f.auc.toFixed(3));
      const [wang, rajpurkar, [weng, std]] = table1.findings[f.finding];
      expect(await row.locator("td.paper").allTextContents()).toEqual([wang.toFixed(3), rajpurkar.toFixed(3), `${weng.toFixed(3)} ± ${std.toFixed(3)}`]);
    }

    // The table as CSV.
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", {name: "Download the table (CSV)"}).click()]);
    const csv = readFileSync((await download.path())!, "utf8").trim().split("\n");
    expect(csv).toHaveLength(1 + findings.length);
    expect(csv[0]).toMatch(/^bundle,split,finding,auc,auc_std,positives,negatives,operating_point/);

    // The threshold of Pneumonia: it starts at the card's operating point (sensitivity as the card)...
    await page.getByLabel("Finding").selectOption({label: "Pneumonia"});
    await page.getByText("Pneumonia on 447 test images").waitFor();
    const pneumonia = findings.find((f) => f.finding === "Pneumonia")!;
    expect(await rate(page, "sensitivity")).toBe(pneumonia.sensitivity!.toFixed(3));
    expect(await page.locator("#calibrated-threshold b").textContent()).toBe("0.500");
    const before = await matrix(page);
    const [sensitivityBefore, specificityBefore] = [Number(await rate(page, "sensitivity")), Number(await rate(page, "specificity"))];
    expect(before.reduce((a, b) => a + b)).toBe(447);
    // ...and a lower threshold, by keyboard, calls more images positive: the matrix and the rates follow.
    const slider = page.getByRole("slider", {name: "Threshold on the sigmoid output of Pneumonia"});
    await slider.focus();
    for (let i = 0; i < 10; i++) await page.keyboard.press("ArrowLeft");
    await expect.poll(() => matrix(page)).not.toEqual(before);
    const after = await matrix(page);
    expect(after[0]! + after[2]!).toBeGreaterThan(before[0]! + before[2]!);
    expect(after.reduce((a, b) => a + b)).toBe(447);
    const [sensitivityAfter, specificityAfter] = [Number(await rate(page, "sensitivity")), Number(await rate(page, "specificity"))];
    expect(sensitivityAfter).toBeGreaterThanOrEqual(sensitivityBefore);
    expect(specificityAfter).toBeLessThan(specificityBefore);
    expect(sensitivityAfter).toBe(Number((after[0]! / (after[0]! + after[1]!)).toFixed(3)));
    expect(Number(await page.locator("#calibrated-threshold b").textContent())).toBeLessThan(0.5);
    expect(await page.locator(".roc-chart").last().locator('g[aria-label="dot"] circle').count()).toBeGreaterThan(0);
    expect(await page.locator(".calibration-chart").count()).toBe(1);

    // The pediatric bundle: one finding, beside Kermany et al.'s 0.968.
    await page.getByLabel("Model bundle").selectOption({label: "Pediatric pneumonia (Pneumonia vs Normal, 128 px)"});
    await page.locator('.auc-table tr[data-finding="Pneumonia"] td.paper').getByText("0.968").waitFor();
    expect(await page.locator(".roc-grid .roc-chart").count()).toBe(1);
    // One finding: no finding selector (and none left over from the NIH bundle).
    await expect.poll(() => page.getByLabel("Finding", {exact: true}).count()).toBe(0);
    expect(await page.getByText("Pneumonia on 624 test images").count()).toBe(1);
  }
};

export default check;
