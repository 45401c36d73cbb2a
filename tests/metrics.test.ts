import {describe, expect, it} from "vitest";
import {
  auc,
  aucHalfSplitStd,
  confusionAt,
  coverageVersusAuc,
  mulberry32,
  oodAuroc,
  reliabilityCurve,
  rocCurve,
  youdenOperatingPoint
} from "../src/pipeline/metrics.js";

/** Noisy two-class data: positives score higher on average; scores rounded to force ties. */
function noisyData(seed: number, n: number, decimals = 2): {scores: number[]; labels: number[]} {
  const random = mulberry32(seed);
  const labels = Array.from({length: n}, () => (random() < 0.4 ? 1 : 0));
  const scores = labels.map((y) => {
    const raw = 0.5 * random() + 0.3 * y + 0.2 * random();
    return Math.round(raw * 10 ** decimals) / 10 ** decimals;
  });
  return {scores, labels};
}

function trapezoidArea(fpr: number[], tpr: number[]): number {
  let area = 0;
  for (let k = 1; k < fpr.length; k++) area += ((fpr[k]! - fpr[k - 1]!) * (tpr[k]! + tpr[k - 1]!)) / 2;
  return area;
}

// Six cases, P = 3, N = 3, one positive tied with one negative at 0.7 (given out of order):
//   score  0.9 0.8 0.7 0.7 0.4 0.2
//   label   1   1   1   0   0   0
// Positive when score >= t:
//   t = +Inf -> (fpr, tpr) = (0, 0)
//   t = 0.9  -> (0, 1/3)      J = 1/3
//   t = 0.8  -> (0, 2/3)      J = 2/3
//   t = 0.7  -> (1/3, 1)      J = 2/3  (the tie moves diagonally: one TP and one FP at once)
//   t = 0.4  -> (2/3, 1)      J = 1/3
//   t = 0.2  -> (1, 1)        J = 0
// AUC: of the 9 positive/negative pairs, 0.9 and 0.8 win all 3 each, 0.7 wins 2 and ties 1:
//   (3 + 3 + 2.5) / 9 = 17/18; trapezoids: 1/3 * (2/3 + 1)/2 + 2/3 * 1 = 5/18 + 12/18 = 17/18.
const sixScores = [0.4, 0.7, 0.9, 0.2, 0.7, 0.8];
const sixLabels = [0, 0, 1, 0, 1, 1];

describe("rocCurve", () => {
  it("matches the hand-computed six-case curve, tie included", () => {
    const roc = rocCurve(sixScores, sixLabels);
    expect(roc.thresholds).toEqual([Infinity, 0.9, 0.8, 0.7, 0.4, 0.2]);
    expect(roc.fpr).toEqual([0, 0, 0, 1 / 3, 2 / 3, 1]);
    expect(roc.tpr).toEqual([0, 1 / 3, 2 / 3, 1, 1, 1]);
  });

  it("accepts boolean labels and typed arrays", () => {
    const roc = rocCurve(Float32Array.from([0.2, 0.8]), [false, true]);
    expect(roc.fpr).toEqual([0, 0, 1]);
    expect(roc.tpr).toEqual([0, 1, 1]);
  });

  it("rejects NaN scores and non-0/1 labels, naming the index", () => {
    expect(() => rocCurve([0.1, 0.2, NaN], [0, 1, 0])).toThrow(/index 2/);
    expect(() => rocCurve([0.1, 0.2, 0.3], [0, 2, 1])).toThrow(/index 1/);
    expect(() => rocCurve([0.1, 0.2], [0, 1, 1])).toThrow(/length/);
  });

  it("returns NaN rates for an absent class", () => {
    const roc = rocCurve([0.1, 0.2], [1, 1]);
    expect(roc.fpr.every(Number.isNaN)).toBe(true);
    expect(roc.tpr).toEqual([0, 0.5, 1]);
  });
});

describe("auc", () => {
  it("gives exact values on small cases", () => {
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(auc(sixScores, sixLabels)).toBeCloseTo(17 / 18, 14);
  });

  it("is 1 for a perfect ranking, 0 reversed, 0.5 for all ties", () => {
    const labels = [0, 0, 0, 1, 1];
    expect(auc([1, 2, 3, 4, 5], labels)).toBe(1);
    expect(auc([5, 4, 3, 2, 1], labels)).toBe(0);
    expect(auc([3, 3, 3, 3, 3], labels)).toBe(0.5);
  });

  it("is undefined (NaN, no throw) without positives or without negatives", () => {
    expect(auc([0.1, 0.2], [0, 0])).toBeNaN();
    expect(auc([0.1, 0.2], [1, 1])).toBeNaN();
    expect(auc([], [])).toBeNaN();
  });

  it("is invariant under monotone transforms of the scores", () => {
    for (const seed of [1, 2, 3]) {
      const {scores, labels} = noisyData(seed, 300);
      const base = auc(scores, labels);
      expect(auc(scores.map((s) => Math.exp(3 * s)), labels)).toBeCloseTo(base, 12);
      expect(auc(scores.map((s) => 1 / (1 + Math.exp(-10 * (s - 0.5)))), labels)).toBeCloseTo(base, 12);
      expect(auc(scores.map((s) => s ** 3 - 7), labels)).toBeCloseTo(base, 12);
    }
  });

  it("equals the trapezoidal area under rocCurve on random data with ties", () => {
    for (const seed of [10, 11, 12, 13, 14]) {
      for (const decimals of [1, 3]) {
        const {scores, labels} = noisyData(seed, 200, decimals);
        const {fpr, tpr} = rocCurve(scores, labels);
        expect(auc(scores, labels)).toBeCloseTo(trapezoidArea(fpr, tpr), 12);
      }
    }
  });
});

describe("youdenOperatingPoint", () => {
  it("picks the highest threshold among equal J on the six-case example", () => {
    // J = 2/3 at both 0.8 and 0.7 (see the table above): the stricter 0.8 wins.
    const op = youdenOperatingPoint(sixScores, sixLabels);
    expect(op.threshold).toBe(0.8);
    expect(op.sensitivity).toBeCloseTo(2 / 3, 14);
    expect(op.specificity).toBe(1);
    expect(op.j).toBeCloseTo(2 / 3, 14);
  });

  it("separates a separable set perfectly at the lowest positive score", () => {
    const op = youdenOperatingPoint([0.1, 0.3, 0.2, 0.7, 0.9, 0.6], [0, 0, 0, 1, 1, 1]);
    expect(op).toEqual({threshold: 0.6, sensitivity: 1, specificity: 1, j: 1});
    // The ">= threshold" convention: the threshold itself counts as positive.
    const c = confusionAt([0.1, 0.3, 0.2, 0.7, 0.9, 0.6], [0, 0, 0, 1, 1, 1], op.threshold);
    expect([c.sensitivity, c.specificity]).toEqual([1, 1]);
  });

  it("returns a real score, never +Infinity, even when all scores tie", () => {
    const op = youdenOperatingPoint([0.4, 0.4, 0.4], [0, 1, 0]);
    expect(op.threshold).toBe(0.4);
    expect(op.j).toBe(0);
  });

  it("throws when a class is absent", () => {
    expect(() => youdenOperatingPoint([0.1, 0.2], [1, 1])).toThrow(/positive and one negative/);
  });
});

describe("aucHalfSplitStd", () => {
  const {scores, labels} = noisyData(7, 1000);

  it("is deterministic for a seed and differs for another seed", () => {
    const a = aucHalfSplitStd(scores, labels, {seed: 42});
    const b = aucHalfSplitStd(scores, labels, {seed: 42});
    const c = aucHalfSplitStd(scores, labels, {seed: 43});
    expect(a).toEqual(b);
    expect(c.values).not.toEqual(a.values);
    expect(a.values).toHaveLength(10);
    expect(a.used).toBe(10);
  });

  it("has a small positive std around the full-set AUC on noisy data", () => {
    const full = auc(scores, labels);
    const {mean, std, values} = aucHalfSplitStd(scores, labels, {splits: 10, seed: 0});
    expect(std).toBeGreaterThan(0);
    expect(std).toBeLessThan(0.05);
    expect(Math.abs(mean - full)).toBeLessThan(0.03);
    // Sample std (n - 1).
    const m = values.reduce((a, v) => a + v, 0) / values.length;
    const sampleStd = Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
    expect(std).toBeCloseTo(sampleStd, 14);
  });

  it("excludes halves without both classes and reports how many were used", () => {
    const rare = Array.from({length: 20}, (_, i) => (i === 0 ? 1 : 0));
    const result = aucHalfSplitStd(
      rare.map((_, i) => i / 20),
      rare,
      {splits: 50, seed: 1}
    );
    const defined = result.values.filter((v) => !Number.isNaN(v));
    expect(result.used).toBe(defined.length);
    expect(result.used).toBeGreaterThan(0);
    expect(result.used).toBeLessThan(50);
    expect(result.mean).toBeCloseTo(defined.reduce((a, v) => a + v, 0) / defined.length, 14);
  });
});

describe("confusionAt", () => {
  it("counts the six-case example at the tied threshold", () => {
    // Positive when score >= 0.7: 0.9, 0.8, 0.7 (pos) and 0.7 (neg).
    expect(confusionAt(sixScores, sixLabels, 0.7)).toEqual({
      tp: 3,
      fp: 1,
      tn: 2,
      fn: 0,
      sensitivity: 1,
      specificity: 2 / 3,
      ppv: 3 / 4,
      npv: 1,
      accuracy: 5 / 6
    });
  });

  it("gives NaN for 0/0 ratios", () => {
    const c = confusionAt(sixScores, sixLabels, 0.95);
    expect(c.tp + c.fp).toBe(0);
    expect(c.ppv).toBeNaN();
    expect(c.npv).toBe(3 / 6);
  });

  it("counts sum to n at every threshold", () => {
    const {scores, labels} = noisyData(3, 250);
    for (const t of [-1, 0, 0.25, 0.5, 0.75, 1, 2]) {
      const c = confusionAt(scores, labels, t);
      expect(c.tp + c.fp + c.tn + c.fn).toBe(250);
    }
  });
});

describe("reliabilityCurve", () => {
  it("computes bins and ECE on a hand-checked case", () => {
    // bin 0: {0.05 -> 0}: |0 - 0.05| = 0.05; bin 1: {0.15 -> 1, 0.15 -> 0}: |0.5 - 0.15| = 0.35;
    // bin 9: {1.0 -> 1}: 0. ECE = (1 * 0.05 + 2 * 0.35 + 1 * 0) / 4 = 0.1875.
    const {bins, ece} = reliabilityCurve([0.05, 0.15, 0.15, 1], [0, 1, 0, 1]);
    expect(bins).toHaveLength(10);
    expect(bins[1]).toEqual({lo: 0.1, hi: 0.2, meanPredicted: 0.15, observedRate: 0.5, count: 2});
    expect(bins[9]!.count).toBe(1);
    expect(bins[5]!.count).toBe(0);
    expect(bins[5]!.meanPredicted).toBeNaN();
    expect(ece).toBeCloseTo(0.1875, 14);
  });

  it("has a small ECE for perfectly calibrated synthetic data and a large one otherwise", () => {
    const random = mulberry32(5);
    const p = Array.from({length: 20000}, () => random());
    const calibrated = p.map((q) => (random() < q ? 1 : 0));
    expect(reliabilityCurve(p, calibrated).ece).toBeLessThan(0.02);
    const overconfident = p.map((q) => (random() < 0.5 + (q - 0.5) / 3 ? 1 : 0));
    expect(reliabilityCurve(p, overconfident).ece).toBeGreaterThan(0.1);
  });

  it("rejects probabilities outside [0, 1]", () => {
    expect(() => reliabilityCurve([0.5, 1.2], [0, 1])).toThrow(/index 1/);
  });
});

describe("coverageVersusAuc", () => {
  it("matches a hand-computed case, least strict first", () => {
    // ood (higher = in-distribution) 4 3 2 1; classifier 0.9 0.1 0.2 0.8; labels 1 0 1 0.
    // keep all: pairs (0.9>0.1, 0.9>0.8, 0.2>0.1, 0.2<0.8) -> 3/4; keep top 3 or 2 -> 1; top 1 -> NaN.
    const points = coverageVersusAuc([4, 3, 2, 1], true, [0.9, 0.1, 0.2, 0.8], [1, 0, 1, 0], {steps: 4});
    expect(points.map((p) => p.cutoff)).toEqual([1, 2, 3, 4]);
    expect(points.map((p) => p.kept)).toEqual([4, 3, 2, 1]);
    expect(points.map((p) => p.coverage)).toEqual([1, 0.75, 0.5, 0.25]);
    expect(points.map((p) => p.auc)).toEqual([0.75, 1, 1, NaN]);
    // The same detector as an error score (lower = in-distribution) gives the same curve.
    const flipped = coverageVersusAuc([-4, -3, -2, -1], false, [0.9, 0.1, 0.2, 0.8], [1, 0, 1, 0], {steps: 4});
    expect(flipped.map((p) => p.auc)).toEqual([0.75, 1, 1, NaN]);
    expect(flipped.map((p) => p.cutoff)).toEqual([-1, -2, -3, -4]);
  });

  it("shows Figure 6's trend: AUC rises as the cutoff tightens and coverage falls", () => {
    // In-distribution images are classified well; outliers (high reconstruction error) at random.
    const random = mulberry32(9);
    const n = 2000;
    const labels = Array.from({length: n}, () => (random() < 0.5 ? 1 : 0));
    const outlier = labels.map(() => random() < 0.5);
    const ood = outlier.map((o) => (o ? 0.5 : 0) + 0.6 * random());
    const scores = labels.map((y, i) => (outlier[i] ? random() : 0.6 * y + 0.4 * random()));
    const points = coverageVersusAuc(ood, false, scores, labels, {steps: 10});
    expect(points).toHaveLength(10);
    for (let k = 1; k < points.length; k++) expect(points[k]!.coverage).toBeLessThan(points[k - 1]!.coverage);
    expect(points[0]!.coverage).toBe(1);
    expect(points[0]!.auc).toBeCloseTo(auc(scores, labels), 14);
    expect(points[points.length - 1]!.auc).toBeGreaterThan(points[0]!.auc + 0.15);
  });
});

describe("oodAuroc", () => {
  it("treats out-of-distribution as the positive class in either score direction", () => {
    expect(oodAuroc([0.1, 0.2], [0.3, 0.4], true)).toBe(1);
    expect(oodAuroc([0.1, 0.2], [0.3, 0.4], false)).toBe(0);
    expect(oodAuroc([0.9, 0.8], [0.3, 0.4], false)).toBe(1);
    expect(oodAuroc([0.1, 0.35], [0.3, 0.4], true)).toBe(0.75);
    expect(() => oodAuroc([0.1, NaN], [0.3], true)).toThrow(/in-distribution score at index 1/);
  });
});
