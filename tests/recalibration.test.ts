/**
 * Calibration measures and recalibration fits on real predictions: the bundles' own test-split
 * predictions (models/* /evaluation/predictions.csv), split in two halves by a seeded draw: fit on
 * one half (the auditor's labelled data), measure on the other. Measured on this data (ECE, 10 bins):
 * Platt and isotonic lower the held-out ECE for each finding below; temperature scaling cannot
 * move the calibration intercept these models need, so it is only checked to lower the log loss
 * it minimises, on the data it was fitted on.
 */
import {createHash} from "node:crypto";
import {readFileSync} from "node:fs";
import path from "node:path";
import {csvParse} from "d3";
import {describe, expect, it} from "vitest";
import {mulberry32} from "../src/pipeline/metrics.js";
import {
  applyMap,
  brierScore,
  calibrationSlopeIntercept,
  calibrationSummary,
  checkRecalibration,
  fitIsotonic,
  fitRecalibration,
  FITS,
  logit
} from "../src/pipeline/recalibration.js";
import {REPO_ROOT} from "./helpers/paths.js";

const CASES: [string, string][] = [
  ["pediatric-pneumonia", "Pneumonia"],
  ["nih-chestxray14", "Effusion"],
  ["nih-chestxray14", "Infiltration"]
];

function halves(bundle: string, finding: string) {
  const rows = csvParse(readFileSync(path.join(REPO_ROOT, "models", bundle, "evaluation/predictions.csv"), "utf8")).filter((r) => r.split === "test");
  const random = mulberry32(1);
  const side = rows.map(() => random() < 0.5);
  const part = (s: boolean) => {
    const these = rows.filter((_, i) => side[i] === s);
    return {p: these.map((r) => Number(r[`p_${finding}`])), y: these.map((r) => Number(r[`y_${finding}`]))};
  };
  return {fit: part(true), held: part(false)};
}

const logLoss = (p: number[], y: number[]) => -p.reduce((s, v, i) => s + (y[i] ? Math.log(Math.max(v, 1e-12)) : Math.log(Math.max(1 - v, 1e-12))), 0) / p.length;

describe("calibration measures", () => {
  it("slope and intercept recover a known miscalibration (simulated outcomes from real scores)", () => {
    const {fit, held} = halves("nih-chestxray14", "Infiltration");
    const p = [...fit.p, ...held.p];
    const random = mulberry32(7);
    // Outcomes drawn from sigmoid(0.5 + 0.6 logit(p)), 40 copies of the real scores for precision.
    const ps: number[] = [];
    const ys: number[] = [];
    for (let k = 0; k < 40; k++) for (const v of p) {
      ps.push(v);
      ys.push(random() < 1 / (1 + Math.exp(-(0.5 + 0.6 * logit(v)))) ? 1 : 0);
    }
    const {slope} = calibrationSlopeIntercept(ps, ys);
    expect(slope).toBeGreaterThan(0.55);
    expect(slope).toBeLessThan(0.65);
    // Perfectly calibrated outcomes: slope 1, intercept 0.
    const calibrated = ps.map((v) => (random() < v ? 1 : 0));
    const ideal = calibrationSlopeIntercept(ps, calibrated);
    expect(Math.abs(ideal.slope - 1)).toBeLessThan(0.08);
    expect(Math.abs(ideal.intercept)).toBeLessThan(0.08);
  });

  it("Brier score and ECE with a bootstrap interval around it", () => {
    expect(brierScore([1, 0, 0.5], [1, 0, 1])).toBeCloseTo(0.25 / 3, 12);
    const {held} = halves("pediatric-pneumonia", "Pneumonia");
    const s = calibrationSummary(held.p, held.y, {resamples: 300});
    expect(s.ece.low).toBeLessThanOrEqual(s.ece.estimate);
    expect(s.ece.high).toBeGreaterThan(s.ece.estimate);
    expect(s.ece.used).toBe(300);
  });
});

describe.each(CASES)("recalibration of %s / %s fitted on one half of the test split, measured on the other", (bundle, finding) => {
  it.each(["platt", "isotonic"] as const)("%s lowers the held-out ECE", (method) => {
    const {fit, held} = halves(bundle, finding);
    const map = FITS[method](fit.p, fit.y);
    const before = calibrationSummary(held.p, held.y, {resamples: 0}).ece.estimate;
    const after = calibrationSummary(held.p.map((v) => applyMap(map, v)), held.y, {resamples: 0}).ece.estimate;
    expect(after, `${method}: ECE ${before.toFixed(4)} -> ${after.toFixed(4)}`).toBeLessThan(before);
  });

  it("temperature scaling lowers the log loss on the data it was fitted on", () => {
    const {fit} = halves(bundle, finding);
    const map = FITS.temperature(fit.p, fit.y);
    expect(logLoss(fit.p.map((v) => applyMap(map, v)), fit.y)).toBeLessThanOrEqual(logLoss(fit.p, fit.y));
  });
});

describe("recalibration files", () => {
  it("isotonic maps are non-decreasing", () => {
    const {fit} = halves("nih-chestxray14", "Effusion");
    const map = fitIsotonic(fit.p, fit.y);
    const grid = Array.from({length: 101}, (_, i) => applyMap(map, i / 100));
    grid.slice(1).forEach((v, i) => expect(v).toBeGreaterThanOrEqual(grid[i]!));
  });

  it("a file round-trips as JSON, applies to its bundle only, and leaves the bundle's files untouched", () => {
    const cardPath = path.join(REPO_ROOT, "models/nih-chestxray14/card.json");
    const cardBefore = readFileSync(cardPath);
    const cardSha256 = createHash("sha256").update(cardBefore).digest("hex");
    const labels = (JSON.parse(cardBefore.toString("utf8")) as {labels: string[]}).labels;
    const data = Object.fromEntries(["Effusion", "Infiltration"].map((f) => [f, halves("nih-chestxray14", f).fit]));
    const file = fitRecalibration("platt", data, {bundle: {name: "nih-chestxray14", cardSha256}, description: "half of the NIH test split"});
    const parsed = checkRecalibration(JSON.parse(JSON.stringify(file)), {cardSha256, labels});
    expect(parsed.findings.Effusion!.after.ece).toBeLessThan(parsed.findings.Effusion!.before.ece);
    expect(() => checkRecalibration(parsed, {cardSha256: "0".repeat(64), labels})).toThrow(/fitted for card/);
    expect(() => checkRecalibration({...parsed, format: "x"}, {cardSha256, labels})).toThrow(/format/);
    expect(readFileSync(cardPath).equals(cardBefore)).toBe(true);
  });
});
