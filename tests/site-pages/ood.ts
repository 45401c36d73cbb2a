/**
 * The Out-of-distribution page: the gate runs on a bundled test image in the page (and reproduces
 * the score the project's evaluation recorded for it), the Figure 5 histograms and the ROC curves
 * draw, the rejected shares and AUROCs equal the card's figures, the threshold slider moves by
 * keyboard and the shares follow, Figure 6 draws, and the results download as CSV.
 */
import {readFileSync} from "node:fs";
import path from "node:path";
import type {Page} from "playwright-core";
import {expect} from "vitest";
import {DATA_ROOT, REPO_ROOT} from "../helpers/paths.js";
import {canvasFacts} from "./canvas.js";
import type {PageCheck} from "./page-check.js";

const BUNDLE = "pediatric-pneumonia";
const SCORES = ["l1", "l2", "ssim", "ssim8", "latent"];
const card = JSON.parse(readFileSync(path.join(REPO_ROOT, "models", BUNDLE, "card.json"), "utf8"));
const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
const percent = (text: string | null) => Number(/([\d.]+) %/.exec(text ?? "")?.[1] ?? NaN);

async function share(page: Page, set: string): Promise<string> {
  return (await page.locator(`tr[data-set="${set}"] .rejected-share`).textContent())!.trim();
}

const check: PageCheck = {
  path: `/ood.html?bundle=${BUNDLE}`,
  name: "ood",
  async run(page) {
    // The gate on the first bundled sample (a pediatric test image), computed by TF.js in the page.
    await page.locator("#current-verdict").waitFor({timeout: 180_000});
    // Input, reconstruction and error map: three real pictures, not blank canvases.
    const canvases = page.locator(".ood-current canvas");
    expect(await canvases.count()).toBe(3);
    for (let i = 0; i < 3; i++) expect((await canvasFacts(canvases.nth(i))).distinct).toBeGreaterThan(10);
    const firstInput = (await canvasFacts(canvases.first())).hash;
    const recorded = /recorded SSIM (\d\.\d+), computed here (\d\.\d+)/.exec((await page.locator("#recorded").textContent()) ?? "");
    expect(recorded, "the sample is in the evaluation's test set").not.toBeNull();
    expect(Math.abs(Number(recorded![1]) - Number(recorded![2]))).toBeLessThan(2e-3);

    // Figure 5: five histograms of every set, plus the large one of the chosen score.
    const histograms = page.locator(".score-histograms");
    await expect.poll(() => histograms.count()).toBe(6);
    for (let i = 0; i < 6; i++) expect(await histograms.nth(i).locator("svg rect").count()).toBeGreaterThan(40);

    // At the default threshold (the card's gate), the shares rejected are the card's.
    expect(await share(page, "test")).toBe(pct(card.metrics.ood.inDistributionTestRejected));
    for (const set of card.metrics.ood.sets) expect(await share(page, set.set)).toBe(pct(set.rejectedAtThreshold));

    // ROC curves: one chart per OOD set, five score curves each (plus the chance diagonal).
    const rocs = page.locator(".roc-grid .roc-chart");
    await expect.poll(() => rocs.count()).toBe(card.metrics.ood.sets.length);
    for (let i = 0; i < card.metrics.ood.sets.length; i++) expect(await rocs.nth(i).locator('g[aria-label="line"] path').count()).toBe(SCORES.length + 1);
    // AUROC of SSIM (the gate's score) against each set equals the card's figure to 3 decimals.
    for (const set of card.metrics.ood.sets)
      expect(await page.locator(`.auroc-table tr[data-set="${set.set}"] td[data-score="ssim"] .auroc`).textContent()).toBe(set.auroc.ssim.toFixed(3));
    expect(await page.locator("#auroc-check").textContent()).toMatch(/All 20 AUROCs equal the card's figures/);
    // A set the gate's own score cannot catch (AUROC < 0.5: the adult X-rays) is named as a blind spot.
    // A retrained model may catch every set: then there is no warning at all.
    const blind = card.metrics.ood.sets.filter((set: {auroc: {ssim: number}}) => set.auroc.ssim < 0.5);
    if (!blind.length) expect(await page.locator("#gate-blind-spot").count()).toBe(0);
    for (const set of blind) expect(await page.locator("#gate-blind-spot").textContent()).toContain(set.set);

    // The slider by keyboard: a higher SSIM threshold rejects more of every set.
    const before = await share(page, "test");
    const slider = page.getByRole("slider", {name: /Threshold on SSIM/});
    await slider.focus();
    for (let i = 0; i < 5; i++) await page.keyboard.press("ArrowRight");
    await expect.poll(() => share(page, "test")).not.toBe(before);
    expect(percent(await share(page, "test"))).toBeGreaterThan(percent(before));
    expect(await page.locator("#current-position").textContent()).toMatch(/this threshold would\s+(accept|reject) it/);

    // Figure 6: a coverage curve per score, the ring of the moved threshold, and the AUC of all images.
    const coverage = page.locator(".coverage-chart");
    await expect.poll(() => coverage.locator('g[aria-label="line"] path').count()).toBe(SCORES.length);
    expect(await coverage.textContent()).toMatch(/your threshold \(SSIM\)/);
    expect(await page.locator("#coverage-summary").textContent()).toContain(`All images: AUC ${card.metrics.findings[0].auc.toFixed(3)}`);

    // A knee radiograph the user opens: the gate rejects it, and the histograms mark where it falls.
    await page.getByLabel("Open an image").setInputFiles(path.join(DATA_ROOT, "ood/knee/0_9140556R.jpg"));
    await page.locator("#current-verdict").getByText(/0_9140556R\.jpg is rejected as out of distribution/).waitFor({timeout: 60_000});
    await expect.poll(() => page.locator("#current-position").textContent()).toMatch(/0_9140556R\.jpg\) has SSIM/);
    expect((await canvasFacts(page.locator(".ood-current canvas").first())).hash).not.toBe(firstInput);

    // The results as CSV, made in the page.
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", {name: "Download these results (CSV)"}).click()]);
    const csv = readFileSync((await download.path())!, "utf8");
    expect(csv.split("\n")[0]).toMatch(/^bundle,table,score,threshold,set,images,value,card/);
    expect(csv).toMatch(/\npediatric-pneumonia,auroc,ssim,,knee,/);

    // Another bundle: its own evaluation replaces every figure (the pediatric images become an OOD
    // set), and Figure 6 gets a finding selector for its 14 findings.
    await page.getByLabel("Model", {exact: true}).selectOption({label: "NIH ChestX-ray14 (14 findings, adults, 128 px)"});
    await page.locator('.auroc-table tr[data-set="pediatric (cxr-peds test)"]').waitFor({timeout: 60_000});
    expect(await page.locator('.auroc-table tr[data-set="adult (cxr-nih test)"]').count()).toBe(0);
    await page.getByLabel("Finding", {exact: true}).selectOption("Effusion");
    await page.getByText("Effusion: AUC on the test images each cutoff keeps").waitFor();
    // The NIH card's default gate (chosen on validation data over every score) decides, not the slider's SSIM.
    const nihCard = JSON.parse(readFileSync(path.join(REPO_ROOT, "models/nih-chestxray14/card.json"), "utf8"));
    const nihDecision = nihCard.oodGate ? nihCard.oodGate.decisions.find((d: {score: string}) => d.score === nihCard.oodGate.default) : nihCard.ood.decision;
    const name = nihDecision.score.toUpperCase();
    const sign = nihDecision.inDistributionWhen === "above" ? ">" : "<";
    await expect
      .poll(() => page.locator("#current-verdict").textContent(), {timeout: 180_000})
      .toMatch(new RegExp(`0_9140556R\\.jpg is rejected as out of distribution:\\s+${name} [-\\d.]+, and the gate wants ${name} \\${sign} ${nihDecision.threshold.toFixed(4)}`));
    // Only the NIH model is described now.
    expect(await page.locator(".model-summary").allTextContents()).toEqual([expect.stringMatching(/^\s*NIH ChestX-ray14/)]);
  }
};

export default check;
