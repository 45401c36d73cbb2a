/**
 * Decision curves (Vickers and Elkin 2006), prevalence and cost: against values computed by hand on
 * six cases, then on a bundle's real test predictions against a plain count per threshold.
 */
import {readFileSync} from "node:fs";
import path from "node:path";
import {csvParse} from "d3";
import {describe, expect, it} from "vitest";
import {
  costOptimalPoint,
  decisionCurve,
  expectedCost,
  netBenefit,
  npvAt,
  pointAtThreshold,
  pointForPpv,
  pointForSensitivity,
  ppvAt,
  thresholdGrid,
  thresholdProbabilityForCosts,
  thresholdTable,
  treatAllNetBenefit,
  youdenPoint
} from "../src/pipeline/decision-curve.js";
import {youdenOperatingPoint} from "../src/pipeline/metrics.js";
import {REPO_ROOT} from "./helpers/paths.js";

// Six cases, prevalence 1/2, one positive tied with one negative at 0.7 (given out of order):
//   score  0.9 0.8 0.7 0.7 0.4 0.2
//   label   1   1   1   0   0   0
const scores = [0.7, 0.9, 0.2, 0.8, 0.4, 0.7];
const labels = [0, 1, 0, 1, 0, 1];

describe("decision curve on six cases, by hand", () => {
  it("net benefit of the model, treat-all and treat-none", () => {
    const curve = decisionCurve(scores, labels, [0, 0.1, 0.3, 0.5, 0.7, 0.75]);
    // pt 0: everyone treated, 3 TP 3 FP, the harm weight is 0: NB = 3/6 = prevalence.
    expect(curve[0]!.model).toBeCloseTo(0.5, 12);
    expect(curve[0]!.treatAll).toBeCloseTo(0.5, 12);
    // pt 0.1: all six >= 0.1: NB = 3/6 - 3/6 * (0.1/0.9) = 4/9, the same as treating all.
    expect(curve[1]!.model).toBeCloseTo(4 / 9, 12);
    expect(curve[1]!.treatAll).toBeCloseTo(4 / 9, 12);
    expect(curve[1]!.advantage).toBeCloseTo(0, 12);
    // pt 0.3: five >= 0.3 (3 TP, 2 FP): NB = 1/2 - 2/6 * 3/7 = 5/14; treat all = 1/2 - 1/2 * 3/7 = 2/7.
    expect(curve[2]!.model).toBeCloseTo(5 / 14, 12);
    expect(curve[2]!.treatAll).toBeCloseTo(2 / 7, 12);
    expect(curve[2]!.advantage).toBeCloseTo(5 / 14 - 2 / 7, 12);
    // pt 0.5: 3 TP, 1 FP: NB = 1/2 - 1/6 = 1/3; treat all = 0, so the advantage is over treat-none.
    expect(curve[3]!.model).toBeCloseTo(1 / 3, 12);
    expect(curve[3]!.treatAll).toBeCloseTo(0, 12);
    expect(curve[3]!.advantage).toBeCloseTo(1 / 3, 12);
    // pt 0.7 exactly: the tied pair is treated (score >= pt): NB = 1/2 - 1/6 * 7/3 = 1/9.
    expect(curve[4]!.model).toBeCloseTo(1 / 9, 12);
    // pt 0.75: 2 TP, 0 FP: NB = 1/3; treat all = 1/2 - 1/2 * 3 = -1, treat none 0.
    expect(curve[5]!.model).toBeCloseTo(1 / 3, 12);
    expect(curve[5]!.treatAll).toBeCloseTo(-1, 12);
    expect(curve[5]!.treatNone).toBe(0);
    expect(curve[5]!.advantage).toBeCloseTo(1 / 3, 12);
  });

  it("the building blocks, and clear errors", () => {
    expect(netBenefit(3, 1, 6, 0.5)).toBeCloseTo(1 / 3, 12);
    expect(treatAllNetBenefit(0.2, 0.2)).toBeCloseTo(0, 12);
    thresholdGrid(0, 0.5, 6).forEach((v, i) => expect(v).toBeCloseTo(i / 10, 15));
    expect(() => netBenefit(1, 1, 2, 1)).toThrow(/threshold probability must be in \[0, 1\)/);
    expect(() => decisionCurve([0.1, NaN], [0, 1], [0.1])).toThrow(/score at index 1 is NaN/);
    expect(() => decisionCurve([0.1, 0.2], [0, 2], [0.1])).toThrow(/label at index 1 is 2/);
    expect(() => decisionCurve([0.1], [0, 1], [0.1])).toThrow(/labels has length 2 but scores has length 1/);
    expect(() => youdenPoint(thresholdTable([0.1, 0.2], [1, 1]))).toThrow(/needs at least one positive and one negative/);
  });
});

describe("prevalence and costs, by hand", () => {
  it("PPV and NPV by Bayes' rule", () => {
    // sensitivity 0.8, specificity 0.9, prevalence 5 %: PPV = 0.04 / (0.04 + 0.095), NPV = 0.855 / (0.855 + 0.01).
    expect(ppvAt(0.8, 0.9, 0.05)).toBeCloseTo(0.04 / 0.135, 12);
    expect(npvAt(0.8, 0.9, 0.05)).toBeCloseTo(0.855 / 0.865, 12);
    expect(ppvAt(0, 1, 0.3)).toBeNaN(); // nothing called positive
    expect(() => ppvAt(0.8, 0.9, 1.5)).toThrow(/prevalence must be in \[0, 1\], got 1.5/);
  });

  it("a cost ratio is a threshold probability, and an expected cost per case", () => {
    expect(thresholdProbabilityForCosts({falsePositive: 1, falseNegative: 4})).toBeCloseTo(0.2, 12);
    expect(thresholdProbabilityForCosts({falsePositive: 1, falseNegative: 1})).toBe(0.5);
    // 4 * 0.1 * (1 - 0.8) + 1 * 0.9 * (1 - 0.9) = 0.08 + 0.09
    expect(expectedCost(0.8, 0.9, 0.1, {falsePositive: 1, falseNegative: 4})).toBeCloseTo(0.17, 12);
    expect(() => thresholdProbabilityForCosts({falsePositive: 0, falseNegative: 0})).toThrow(/not both zero/);
    expect(() => expectedCost(0.8, 0.9, 0.1, {falsePositive: -1, falseNegative: 4})).toThrow(/non-negative/);
  });

  it("operating points: Youden, a chosen sensitivity, a chosen PPV, the least cost", () => {
    const table = thresholdTable(scores, labels);
    expect(table.thresholds).toEqual([0.9, 0.8, 0.7, 0.4, 0.2]);
    // J: 1/3, 2/3, 2/3, 1/3, 0: the highest of the tied maxima, 0.8 (sensitivity 2/3, specificity 1).
    expect(youdenPoint(table)).toMatchObject({threshold: 0.8, sensitivity: 2 / 3, specificity: 1, ppv: 1});
    expect(youdenPoint(table).npv).toBeCloseTo(0.5 / (0.5 + 0.5 / 3), 12);
    // Sensitivity 1 first reached at 0.7 (specificity 2/3); 0.5 at 0.8.
    expect(pointForSensitivity(table, 1)).toMatchObject({threshold: 0.7, sensitivity: 1});
    expect(pointForSensitivity(table, 1).specificity).toBeCloseTo(2 / 3, 12);
    expect(pointForSensitivity(table, 0.5).threshold).toBe(0.8);
    // PPV at the data's prevalence (1/2): 0.75 at 0.7, 0.6 at 0.4, 1/2 at 0.2; the lowest threshold reaching 0.7 is 0.7.
    expect(pointForPpv(table, 0.7)!.threshold).toBe(0.7);
    expect(pointForPpv(table, 0.7)!.ppv).toBeCloseTo(0.75, 12);
    expect(pointForPpv(table, 0.76)!.threshold).toBe(0.8);
    // At prevalence 10 %: PPV 0.1 / (0.1 + 0.9 / 3) = 0.25 at 0.7, 1 at 0.8.
    expect(pointForPpv(table, 0.3, 0.1)!.threshold).toBe(0.8);
    expect(pointAtThreshold(table, 0.7, 0.1).ppv).toBeCloseTo(0.25, 12);
    expect(pointAtThreshold(table, 0.8, 0.1).npv).toBeCloseTo(0.9 / (0.9 + 0.1 / 3), 12);
    expect(pointAtThreshold(table, 0.75).sensitivity).toBeCloseTo(2 / 3, 12);
    expect(pointForPpv(thresholdTable([0.9, 0.1], [0, 1]), 0.9)).toBeNull();
    // FP : FN = 1 : 4. At prevalence 1/2 the costs per case are 2 (call none), 4/3, 2/3, 1/6, 1/3, 1/2: 0.7 wins.
    const half = costOptimalPoint(table, 0.5, {falsePositive: 1, falseNegative: 4});
    expect(half.threshold).toBe(0.7);
    expect(half.cost).toBeCloseTo(1 / 6, 12);
    // At 10 %: 0.4, 4/15, 2/15, 0.3, ...: 0.8 wins.
    const rare = costOptimalPoint(table, 0.1, {falsePositive: 1, falseNegative: 4});
    expect(rare.threshold).toBe(0.8);
    expect(rare.cost).toBeCloseTo(2 / 15, 12);
    // The top score a negative and false positives costly: calling nothing positive is cheapest.
    expect(costOptimalPoint(thresholdTable([0.9, 0.5, 0.1], [0, 1, 0]), 0.1, {falsePositive: 100, falseNegative: 1}).threshold).toBe(Infinity);
  });
});

describe("on the pediatric bundle's test predictions", () => {
  const rows = csvParse(readFileSync(path.join(REPO_ROOT, "models/pediatric-pneumonia/evaluation/predictions.csv"), "utf8"));
  const part = (split: string) => {
    const these = rows.filter((r) => r.split === split);
    return {p: these.map((r) => Number(r.p_Pneumonia)), y: these.map((r) => Number(r.y_Pneumonia))};
  };

  it("the curve equals a plain count at every threshold probability", () => {
    const {p, y} = part("test");
    const grid = thresholdGrid(0, 0.99, 100);
    const curve = decisionCurve(p, y, grid);
    const prevalence = y.filter(Boolean).length / y.length;
    grid.forEach((pt, i) => {
      let tp = 0;
      let fp = 0;
      p.forEach((v, j) => {
        if (v >= pt) y[j] ? tp++ : fp++;
      });
      expect(curve[i]!.model).toBeCloseTo(tp / p.length - (fp / p.length) * (pt / (1 - pt)), 12);
      expect(curve[i]!.treatAll).toBeCloseTo(prevalence - (1 - prevalence) * (pt / (1 - pt)), 12);
    });
    // At pt 0 the model treats everyone, as treat-all does.
    expect(curve[0]!.model).toBeCloseTo(curve[0]!.treatAll, 12);
  });

  it("Youden's point on the validation split is the card's operating point", () => {
    const {p, y} = part("validation");
    const card = JSON.parse(readFileSync(path.join(REPO_ROOT, "models/pediatric-pneumonia/card.json"), "utf8"));
    const ours = youdenPoint(thresholdTable(p, y));
    expect(ours.threshold).toBe(youdenOperatingPoint(p, y).threshold);
    expect(ours.threshold).toBeCloseTo(card.operatingPoints[0], 6);
  });
});
