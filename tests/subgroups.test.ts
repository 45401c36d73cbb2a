/**
 * Subgroup metrics and bootstrap intervals on real predictions: the nih-chestxray14 bundle's own
 * test-split predictions (models/nih-chestxray14/evaluation/predictions.csv) split by the NIH
 * labels' sex and view columns, checked against numpy (tests/reference/subgroups_reference.py on
 * /usr/bin/python3): the same resamples give the same interval to 1e-12, and numpy's own
 * resamples give an interval within Monte Carlo error.
 */
import {spawnSync} from "node:child_process";
import {readFileSync} from "node:fs";
import path from "node:path";
import {csvParse} from "d3";
import {describe, expect, it} from "vitest";
import {bootstrapIndices, bootstrapInterval, quantileSorted} from "../src/pipeline/bootstrap.js";
import {subgroupMetrics, type SubgroupCase} from "../src/pipeline/subgroups.js";
import {DATA_ROOT, REPO_ROOT} from "./helpers/paths.js";

const BUNDLE = path.join(REPO_ROOT, "models/nih-chestxray14");
const FINDING = "Effusion";
const RESAMPLES = 1000;

function nihCases(column: "sex" | "view"): {cases: SubgroupCase[]; threshold: number} {
  const card = JSON.parse(readFileSync(path.join(BUNDLE, "card.json"), "utf8")) as {labels: string[]; operatingPoints: number[]};
  const threshold = card.operatingPoints[card.labels.indexOf(FINDING)]!;
  const labels = new Map(csvParse(readFileSync(path.join(DATA_ROOT, "cxr-nih/labels.csv"), "utf8")).map((r) => [`cxr-nih/${r.path}`, r]));
  const predictions = csvParse(readFileSync(path.join(BUNDLE, "evaluation/predictions.csv"), "utf8")).filter((r) => r.split === "test");
  const cases = predictions.map((r) => ({group: labels.get(r.path!)?.[column] ?? null, score: Number(r[`p_${FINDING}`]), label: Number(r[`y_${FINDING}`]) as 0 | 1}));
  return {cases, threshold};
}

function numpyReference(groups: {group: string; scores: number[]; labels: number[]; indices: number[][]}[], threshold: number) {
  const result = spawnSync("/usr/bin/python3", [path.join(REPO_ROOT, "tests/reference/subgroups_reference.py")], {
    input: JSON.stringify({groups, threshold, level: 0.95}),
    encoding: "utf8",
    maxBuffer: 1 << 28
  });
  if (result.status !== 0) throw new Error(`numpy reference failed: ${result.error?.message ?? result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, number | string | null>[];
}

describe("bootstrap", () => {
  it("quantiles interpolate linearly between order statistics, as numpy.percentile", () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4], 0.025)).toBeCloseTo(1.075, 12);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });

  it("is reproducible for a seed and differs between seeds", () => {
    const values = Array.from({length: 50}, (_, i) => Math.sin(i) * 10);
    const mean = (idx: ArrayLike<number>) => Array.from(idx, (i) => values[i]!).reduce((a, b) => a + b, 0) / idx.length;
    const a = bootstrapInterval(values.length, mean, {seed: 3});
    expect(bootstrapInterval(values.length, mean, {seed: 3})).toEqual(a);
    expect(bootstrapInterval(values.length, mean, {seed: 4}).low).not.toBe(a.low);
    expect(a.low).toBeLessThan(a.estimate);
    expect(a.high).toBeGreaterThan(a.estimate);
  });
});

describe.each(["sex", "view"] as const)("subgroups of the NIH test split by %s (Effusion, nih-chestxray14)", (column) => {
  it("match numpy: estimates, rates at the operating point, and the bootstrap interval", () => {
    const {cases, threshold} = nihCases(column);
    const ours = subgroupMetrics(cases, threshold, {resamples: RESAMPLES, seed: 0});
    expect(ours.map((g) => g.group)).toEqual(column === "sex" ? ["(all)", "F", "M"] : ["(all)", "AP", "PA"]);
    const groups = ours.map((g) => {
      const these = g.group === "(all)" ? cases : cases.filter((c) => c.group === g.group);
      return {
        group: g.group,
        scores: these.map((c) => c.score),
        labels: these.map((c) => c.label),
        indices: bootstrapIndices(these.length, RESAMPLES, 0).map((ix) => Array.from(ix))
      };
    });
    const reference = numpyReference(groups, threshold);
    ours.forEach((g, i) => {
      const r = reference[i]!;
      expect(g.n).toBe(r.n);
      expect(g.positives).toBe(r.positives);
      expect(g.positives, `${g.group}: a group needs positives to test anything`).toBeGreaterThan(3);
      expect(g.auc).toBeCloseTo(r.auc as number, 12);
      expect(g.aucLow).toBeCloseTo(r.low as number, 12);
      expect(g.aucHigh).toBeCloseTo(r.high as number, 12);
      expect(g.aucResamples).toBe(r.used);
      for (const k of ["sensitivity", "specificity", "ppv", "npv"] as const) expect(g[k], `${g.group} ${k}`).toBeCloseTo(r[k] as number, 12);
      // numpy's own resamples: the same interval up to Monte Carlo error (1000 resamples).
      expect(Math.abs(g.aucLow - (r.own_low as number)), `${g.group} low`).toBeLessThan(0.03);
      expect(Math.abs(g.aucHigh - (r.own_high as number)), `${g.group} high`).toBeLessThan(0.03);
      expect(g.aucLow).toBeLessThan(g.auc);
      expect(g.aucHigh).toBeGreaterThan(g.auc);
    });
  });
});
