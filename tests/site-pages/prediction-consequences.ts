/**
 * The Prediction page's thresholds with consequences and recalibration, on the pediatric bundle:
 * PPV and NPV at a prevalence the user sets (Bayes' rule from the test split's sensitivity and
 * specificity), a cost ratio as a threshold probability, the decision curve against treat-all and
 * treat-none with Youden's point and a chosen sensitivity or PPV marked, and the operating point of
 * least cost; every number as src/pipeline/decision-curve.ts computes it in Node. Then a
 * recalibration file fitted on the validation split is opened: before and after side by side on
 * the test split (ECE and Brier as recalibration.ts computes them), a second decision curve; a file
 * fitted for another bundle is refused, naming why, and the first stays applied; it survives a
 * reload (IndexedDB, never the address) and can be removed.
 */
import {createHash} from "node:crypto";
import {mkdirSync, readFileSync, writeFileSync} from "node:fs";
import path from "node:path";
import {csvParse} from "d3";
import type {Page} from "playwright-core";
import {expect} from "vitest";
import {
  costOptimalPoint,
  decisionCurve,
  npvAt,
  pointAtThreshold,
  pointForPpv,
  ppvAt,
  thresholdTable
} from "../../src/pipeline/decision-curve.js";
import {applyMap, calibrationSummary, fitRecalibration} from "../../src/pipeline/recalibration.js";
import {REPO_ROOT, TMP_ROOT} from "../helpers/paths.js";
import type {PageCheck} from "./page-check.js";

const BUNDLE = "pediatric-pneumonia";
const cardBytes = readFileSync(path.join(REPO_ROOT, "models", BUNDLE, "card.json"));
const card = JSON.parse(cardBytes.toString("utf8"));
const cardSha256 = createHash("sha256").update(cardBytes).digest("hex");
const rows = csvParse(readFileSync(path.join(REPO_ROOT, "models", BUNDLE, "evaluation/predictions.csv"), "utf8"));
const split = (name: string) => {
  const these = rows.filter((r) => r.split === name);
  return {p: these.map((r) => Number(r.p_Pneumonia)), y: these.map((r) => Number(r.y_Pneumonia))};
};
const test = split("test");
const validation = split("validation");
const testTable = thresholdTable(test.p, test.y);
const validationTable = thresholdTable(validation.p, validation.y);
const op: number = card.operatingPoints[0];

/** Recalibration files written for the check: one for this bundle (fitted on validation), one for another card. */
export function recalibrationFiles(): {own: string; other: string; map: Parameters<typeof applyMap>[0]} {
  const dir = path.join(TMP_ROOT, "site-recalibration");
  mkdirSync(dir, {recursive: true});
  const file = fitRecalibration("platt", {Pneumonia: validation}, {bundle: {name: BUNDLE, cardSha256}, description: "the validation split"});
  const own = path.join(dir, "pediatric-platt.json");
  writeFileSync(own, JSON.stringify(file, null, 2));
  const nih = createHash("sha256").update(readFileSync(path.join(REPO_ROOT, "models/nih-chestxray14/card.json"))).digest("hex");
  const other = path.join(dir, "nih-platt.json");
  writeFileSync(other, JSON.stringify({...file, bundle: {name: "nih-chestxray14", cardSha256: nih}}, null, 2));
  return {own, other, map: file.findings.Pneumonia!};
}

const cell = (page: Page, point: string, column: string) => page.locator(`table.consequences tr[data-point="${point}"] td[data-column="${column}"]`);
const text = async (page: Page, selector: string) => (await page.locator(selector).textContent())!.trim();

async function setNumber(page: Page, label: string, value: string) {
  const box = page.getByRole("spinbutton", {name: label, exact: true});
  await box.fill(value);
  await box.press("Enter");
}

const check: PageCheck = {
  path: `/prediction.html?bundle=${BUNDLE}`,
  name: "prediction-consequences",
  async run(page) {
    await page.locator("#decision-summary").waitFor({timeout: 120_000});

    // At the test split's own prevalence, PPV by Bayes' rule equals the confusion matrix's.
    const atOp = pointAtThreshold(testTable, op);
    const tp = test.p.filter((p, i) => p >= op && test.y[i] === 1).length;
    const fp = test.p.filter((p, i) => p >= op && test.y[i] === 0).length;
    expect(await cell(page, "youden", "ppv").textContent()).toBe((tp / (tp + fp)).toFixed(3));
    expect(await cell(page, "youden", "sensitivity").textContent()).toBe(atOp.sensitivity.toFixed(3));

    // A rarer population: PPV falls, NPV rises, sensitivity and specificity stay.
    const prevalenceLabel = "Prevalence of Pneumonia where the model will be used";
    await setNumber(page, prevalenceLabel, "0.05");
    await expect.poll(() => cell(page, "youden", "ppv").textContent()).toBe(ppvAt(atOp.sensitivity, atOp.specificity, 0.05).toFixed(3));
    expect(await cell(page, "youden", "npv").textContent()).toBe(npvAt(atOp.sensitivity, atOp.specificity, 0.05).toFixed(3));
    expect(await cell(page, "youden", "sensitivity").textContent()).toBe(atOp.sensitivity.toFixed(3));
    expect(Number(await cell(page, "youden", "ppv").textContent())).toBeLessThan(tp / (tp + fp));

    // A missed case worth 9 false alarms: threshold probability 0.1, net benefits as computed in Node.
    await setNumber(page, "A missed case (false negative) costs as much as this many false alarms (false positives)", "9");
    await expect.poll(() => page.locator("#decision-summary").textContent()).toMatch(/pt = 0\.100/);
    const at01 = decisionCurve(test.p, test.y, [0.1])[0]!;
    expect(await text(page, '#decision-summary [data-strategy="model"]')).toBe(at01.model.toFixed(4));
    expect(await text(page, '#decision-summary [data-strategy="treat-all"]')).toBe(at01.treatAll.toFixed(4));
    const verdict = at01.model > Math.max(at01.treatAll, 0) ? "model" : at01.treatAll > 0 ? "treat all" : "treat none";
    expect(await page.locator("#decision-summary").getAttribute("data-verdict")).toBe(verdict);
    // The least expected cost at 5 % and 1 : 9, chosen on validation.
    const cheapest = costOptimalPoint(validationTable, 0.05, {falsePositive: 1, falseNegative: 9});
    expect(await cell(page, "cheapest", "value").textContent()).toBe(cheapest.threshold === Infinity ? "above every score" : cheapest.threshold.toPrecision(4));

    // The decision curve: model, treat all, treat none; Youden's point and the chosen sensitivity's marked.
    const chart = page.locator(".decision-curve-chart").first();
    expect(await chart.textContent()).toMatch(/model.*treat all.*treat none/s);
    expect(await chart.locator('g[aria-label="line"] path').count()).toBe(3);
    expect(await chart.locator('g[aria-label="dot"] circle').count()).toBe(2);
    expect(await chart.locator('g[aria-label="text"]').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/^Youden 0\.\d+$/), expect.stringMatching(/^sensitivity 0\.90: 0\.\d+$/)]));
    // A chosen PPV instead, at the prevalence set above (0.05), on validation.
    await page.getByRole("radio", {name: "PPV"}).check();
    const ppvPoint = pointForPpv(validationTable, 0.5, 0.05);
    await expect.poll(() => page.locator('table.consequences tr[data-point="target"] td').first().textContent()).toMatch(/PPV 0\.50 on validation/);
    if (ppvPoint) expect(await cell(page, "target", "value").textContent()).toBe(ppvPoint.threshold.toPrecision(4));
    else expect(await page.locator('table.consequences tr[data-point="target"]').textContent()).toMatch(/no threshold reaches PPV 0\.50/);

    // A recalibration file for this bundle: before and after side by side on the test split.
    const {own, other, map} = recalibrationFiles();
    await page.getByLabel("Recalibration file").setInputFiles(own);
    await page.locator(".recalibration-name").getByText("pediatric-platt.json").waitFor();
    await page.locator('.recalibration-compare figure[data-side="after"]').waitFor();
    expect(await page.locator(".recalibration-compare .reliability-chart").count()).toBe(2);
    const after = test.p.map((p) => applyMap(map, p));
    const before = calibrationSummary(test.p, test.y, {resamples: 0});
    const recal = calibrationSummary(after, test.y, {resamples: 0});
    expect(await text(page, '.recalibration-table tr[data-finding="Pneumonia"] td[data-metric="ece"]')).toBe(`${before.ece.estimate.toFixed(4)} → ${recal.ece.estimate.toFixed(4)}`);
    expect(await text(page, '.recalibration-table tr[data-finding="Pneumonia"] td[data-metric="brier"]')).toBe(`${before.brier.toFixed(4)} → ${recal.brier.toFixed(4)}`);
    // The decision curve of the recalibrated probabilities beside the model's.
    await expect.poll(() => page.locator(".decision-curve-chart").first().locator('g[aria-label="line"] path').count()).toBe(4);
    expect(await text(page, '#decision-summary [data-strategy="recalibrated"]')).toBe(decisionCurve(after, test.y, [0.1])[0]!.model.toFixed(4));

    // A file fitted for another bundle: refused, saying why; the first stays applied.
    await page.getByLabel("Recalibration file").setInputFiles(other);
    const refused = page.locator(".recalibration-error");
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(/nih-platt\.json was not applied: it was fitted for card [0-9a-f]{12}… \(bundle "nih-chestxray14"\), not this bundle's [0-9a-f]{12}…/);
    expect(await page.locator(".recalibration-name").textContent()).toBe("pediatric-platt.json");

    // Kept in this browser across a reload, never in the address; then removed.
    await page.reload();
    await page.locator(".recalibration-name").getByText("pediatric-platt.json").waitFor({timeout: 120_000});
    expect(page.url()).not.toMatch(/platt|recalibration/);
    await page.getByRole("button", {name: "Remove the recalibration"}).click();
    await page.locator(".recalibration-status").getByText(/None applied/).waitFor();
    await expect.poll(() => page.locator('.recalibration-compare figure[data-side="after"]').count()).toBe(0);
  }
};

export default check;
