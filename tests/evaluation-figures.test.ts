import {readFileSync} from "node:fs";
import path from "node:path";
import {csvParse} from "d3";
import {describe, expect, it} from "vitest";
import {calibrate, uncalibrate} from "../src/pipeline/calibration.js";
import {
  acceptanceThreshold,
  aucWhenKept,
  curvePoints,
  findingColumn,
  inDistributionSide,
  isRejected,
  joinOnPath,
  oodRocCurve,
  oodSetNames,
  parseOodScores,
  parsePredictions,
  rejectedShare,
  scoresOf,
  thinCurve
} from "../src/pipeline/evaluation-figures.js";
import {aucHalfSplitStd, auc, confusionAt, coverageVersusAuc, oodAuroc} from "../src/pipeline/metrics.js";
import {OOD_SCORE_HIGHER_IS_OUT, OOD_SCORE_NAMES} from "../src/pipeline/ood.js";
import {REPO_ROOT} from "./helpers/paths.js";

function trapezoidArea(fpr: number[], tpr: number[]): number {
  let area = 0;
  for (let k = 1; k < fpr.length; k++) area += ((fpr[k]! - fpr[k - 1]!) * (tpr[k]! + tpr[k - 1]!)) / 2;
  return area;
}

describe("parsing the evaluation tables", () => {
  it("reads labels (1, 0, unknown) and scores per finding, in the card's order", () => {
    const rows = parsePredictions(
      [
        {split: "test", path: "a.png", y_B: "1", p_B: "0.9", y_A: "0", p_A: "0.25"},
        {split: "validation", path: "b.png", y_B: "", p_B: "0.1", y_A: "1", p_A: "0.5"}
      ],
      ["A", "B"]
    );
    expect(rows).toEqual([
      {split: "test", path: "a.png", labels: [0, 1], scores: [0.25, 0.9]},
      {split: "validation", path: "b.png", labels: [1, null], scores: [0.5, 0.1]}
    ]);
    expect(findingColumn(rows, 1, "validation")).toEqual({scores: [], labels: [], paths: []});
    expect(findingColumn(rows, 0, "validation")).toEqual({scores: [0.5], labels: [1], paths: ["b.png"]});
  });

  it("names a missing column and a bad value", () => {
    expect(() => parsePredictions([{split: "test", path: "a", y_A: "1"}], ["A"])).toThrow(/no column p_A/);
    expect(() => parsePredictions([{split: "test", path: "a", y_A: "2", p_A: "0.1"}], ["A"])).toThrow(/row 2: y_A is "2"/);
    expect(() => parsePredictions([{split: "test", path: "a", y_A: "1", p_A: "x"}], ["A"])).toThrow(/row 2: p_A is "x"/);
    expect(() => parseOodScores([{set: "test", path: "a", l1: "1", l2: "1", ssim: "1", ssim8: "1"}])).toThrow(/no column latent/);
  });

  it("lists the OOD sets in file order, without validation and test", () => {
    const rows = parseOodScores(["validation", "test", "knee", "mnist", "knee"].map((set, i) => ({set, path: `${i}`, l1: `${i}`, l2: "0", ssim: "0", ssim8: "0", latent: "0"})));
    expect(oodSetNames(rows)).toEqual(["knee", "mnist"]);
    expect(scoresOf(rows, "knee", "l1")).toEqual([2, 4]);
  });
});

describe("threshold rules", () => {
  it("rejects an image exactly at the threshold, on either side (as ood.isInDistribution)", () => {
    expect(isRejected(0.6, 0.6, "above")).toBe(true);
    expect(isRejected(0.61, 0.6, "above")).toBe(false);
    expect(isRejected(0.1, 0.1, "below")).toBe(true);
    expect(isRejected(0.09, 0.1, "below")).toBe(false);
    expect(rejectedShare([0.1, 0.5, 0.6, 0.9], 0.6, "above")).toBe(0.75);
    expect(rejectedShare([], 0.6, "above")).toBeNaN();
    expect(inDistributionSide(true)).toBe("below");
    expect(inDistributionSide(false)).toBe("above");
  });

  it("takes the acceptance threshold from the out-of-distribution end", () => {
    const values = Array.from({length: 100}, (_, i) => i / 100);
    // SSIM-like (low is out): the 5th smallest value of 100; rejecting at it rejects 6 of 100.
    expect(acceptanceThreshold(values, false)).toBe(0.05);
    expect(rejectedShare(values, 0.05, "above")).toBe(0.06);
    // Error-like (high is out): the 5th largest counted from 0.
    expect(acceptanceThreshold(values, true)).toBe(0.94);
    expect(rejectedShare(values, 0.94, "below")).toBe(0.06);
    expect(acceptanceThreshold([], true)).toBeNaN();
    expect(() => acceptanceThreshold(values, true, 0)).toThrow(RangeError);
  });
});

describe("OOD ROC curves", () => {
  it("has the area of oodAuroc for both directions, with thresholds on the score's own scale", () => {
    const inside = [0.9, 0.8, 0.85, 0.4, 0.7];
    const outside = [0.3, 0.5, 0.75, 0.2];
    const low = oodRocCurve(inside, outside, false);
    expect(trapezoidArea(low.fpr, low.tpr)).toBeCloseTo(oodAuroc(inside, outside, false), 12);
    expect(low.thresholds.slice(1)).toEqual([0.2, 0.3, 0.4, 0.5, 0.7, 0.75, 0.8, 0.85, 0.9]);
    const high = oodRocCurve(inside, outside, true);
    expect(trapezoidArea(high.fpr, high.tpr)).toBeCloseTo(oodAuroc(inside, outside, true), 12);
  });

  it("thins a long curve, keeping both ends", () => {
    const curve = oodRocCurve(Array.from({length: 1000}, (_, i) => i), Array.from({length: 1000}, (_, i) => i + 300), true);
    const thin = thinCurve(curve, 50);
    expect(thin.fpr).toHaveLength(50);
    expect([thin.fpr[0], thin.tpr[0], thin.fpr[49], thin.tpr[49]]).toEqual([0, 0, 1, 1]);
    expect(thinCurve(thin, 100)).toBe(thin);
  });
});

describe("Figure 6 pieces", () => {
  it("joins a split on path and counts rows without a partner", () => {
    const predictions = parsePredictions(
      [
        {split: "test", path: "a", y_A: "1", p_A: "0.9"},
        {split: "test", path: "b", y_A: "0", p_A: "0.2"},
        {split: "validation", path: "c", y_A: "0", p_A: "0.2"}
      ],
      ["A"]
    );
    const ood = parseOodScores([
      {set: "test", path: "b", l1: "0.1", l2: "0", ssim: "0.8", ssim8: "0", latent: "0"},
      {set: "validation", path: "a", l1: "0.2", l2: "0", ssim: "0.8", ssim8: "0", latent: "0"}
    ]);
    const {rows, unmatched} = joinOnPath(predictions, ood, "test");
    expect(unmatched).toBe(1);
    expect(rows).toEqual([{path: "b", labels: [0], scores: [0.2], ood: {l1: 0.1, l2: 0, ssim: 0.8, ssim8: 0, latent: 0}}]);
  });

  it("scores the images a threshold keeps, as coverageVersusAuc at that cutoff", () => {
    const ood = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];
    const s = [0.9, 0.2, 0.8, 0.3, 0.4, 0.7];
    const y = [1, 0, 1, 0, 0, 1];
    const kept = aucWhenKept(ood, 0.55, "above", s, y);
    expect(kept).toEqual({coverage: 4 / 6, kept: 4, auc: auc(s.slice(0, 4), y.slice(0, 4))});
    const point = coverageVersusAuc(ood, true, s, y, {steps: 3}).find((p) => p.kept === 4)!;
    // coverageVersusAuc keeps ood >= cutoff; the gate's rule keeps ood > threshold.
    expect(aucWhenKept(ood, point.cutoff - 1e-9, "above", s, y)).toEqual({coverage: point.coverage, kept: point.kept, auc: point.auc});
    expect(() => aucWhenKept([1], 0, "above", [1, 2], [1, 0])).toThrow(/1 OOD scores/);
  });

  it("samples Eq. 1 with its bend at the operating point", () => {
    const points = curvePoints((x) => calibrate(x, 0.123), {n: 11, breaks: [0.123, 0.5]});
    expect(points).toHaveLength(12);
    expect(points.find((p) => p.x === 0.123)!.y).toBeCloseTo(0.5, 12);
    expect(uncalibrate(0.6, 0.123)).toBeGreaterThan(0.123);
  });
});

// The site pages recompute the card's figures from the per-image tables; they must agree (the CSV
// keeps 6 significant digits, so agreement is to 3 decimals).
describe.each(["pediatric-pneumonia", "nih-chestxray14"])("the %s evaluation tables reproduce its card", (name) => {
  const folder = path.join(REPO_ROOT, "models", name);
  const card = JSON.parse(readFileSync(path.join(folder, "card.json"), "utf8"));
  const labels: string[] = card.labels;
  const predictions = parsePredictions(csvParse(readFileSync(path.join(folder, "evaluation/predictions.csv"), "utf8")), labels);
  const ood = parseOodScores(csvParse(readFileSync(path.join(folder, "evaluation/ood-scores.csv"), "utf8")));

  it("per finding: AUC, half-split std and sensitivity/specificity at the operating point", () => {
    labels.forEach((label, c) => {
      const figures = card.metrics.findings[c];
      expect(figures.finding).toBe(label);
      const {scores, labels: y} = findingColumn(predictions, c, "test");
      expect(y.length).toBe(card.metrics.testImages);
      expect(y.filter((v) => v === 1).length).toBe(figures.positives);
      if (figures.auc === null) {
        expect(auc(scores, y)).toBeNaN();
        return;
      }
      expect(auc(scores, y)).toBeCloseTo(figures.auc, 3);
      expect(aucHalfSplitStd(scores, y, {splits: 10, seed: 0}).std).toBeCloseTo(figures.aucStd, 3);
      const at = confusionAt(scores, y, card.operatingPoints[c]);
      expect(at.sensitivity).toBeCloseTo(figures.sensitivity, 2);
      expect(at.specificity).toBeCloseTo(figures.specificity, 2);
    });
  });

  it("per OOD set: AUROC of each score and the share the gate rejects", () => {
    const test = (score: (typeof OOD_SCORE_NAMES)[number]) => scoresOf(ood, "test", score);
    const sets = oodSetNames(ood);
    expect(sets).toEqual(card.metrics.ood.sets.map((s: {set: string}) => s.set));
    for (const figures of card.metrics.ood.sets) {
      for (const score of OOD_SCORE_NAMES)
        expect(oodAuroc(test(score), scoresOf(ood, figures.set, score), OOD_SCORE_HIGHER_IS_OUT[score])).toBeCloseTo(figures.auroc[score], 3);
      expect(rejectedShare(scoresOf(ood, figures.set, "ssim"), card.ood.decision.threshold, "above")).toBeCloseTo(figures.rejectedAtThreshold, 2);
    }
    expect(rejectedShare(test("ssim"), card.ood.decision.threshold, "above")).toBeCloseTo(card.metrics.ood.inDistributionTestRejected, 2);
    // The card's gate is the 95 % acceptance threshold of the validation SSIM.
    expect(acceptanceThreshold(scoresOf(ood, "validation", "ssim"), false)).toBeCloseTo(card.ood.decision.threshold, 5);
    expect(joinOnPath(predictions, ood, "test").unmatched).toBe(0);
  });
});
