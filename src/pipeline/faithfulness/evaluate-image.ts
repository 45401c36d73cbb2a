/**
 * Every faithfulness metric of one image's maps in one call, as flat rows (what the audit's tables
 * and the Explanation evaluation page need): AD, BAD and Increase in Confidence under each baseline,
 * deletion / insertion / ROAD areas, and localisation against a box when one is given. Plain arrays
 * in and out; tensors only inside.
 */
import * as tf from "@tensorflow/tfjs";
import {averageDropPercent, perturbAndScoreMany, type Perturbation} from "../evaluate.js";
import {normaliseMap} from "../explain/upsample.js";
import type {Classifier} from "../model/classifier.js";
import {metricAgreement, type AgreementTable} from "./agreement.js";
import {BASELINE_NAMES, baselineByName, type BaselineName} from "./baselines.js";
import {defaultCurve, faithfulnessCurves, roadGap, type CurveKind, type CurveResult} from "./curves.js";
import {localise, type Box} from "./localisation.js";
import {blendTowardsBaseline, keepTopPercentOver} from "./perturb.js";

export type FaithfulnessMetric =
  | "average-drop" | "black-average-drop" | "increase-in-confidence"
  | "deletion" | "insertion" | "road-morf" | "road-lerf" | "road-gap"
  | "pointing-game" | "energy-inside" | "iou";

/** Whether a higher value means a better (more faithful, better localised) map. */
export const HIGHER_IS_BETTER: Record<FaithfulnessMetric, boolean> = {
  "average-drop": false,
  "black-average-drop": false,
  "increase-in-confidence": true,
  deletion: false,
  insertion: true,
  "road-morf": false,
  "road-lerf": true,
  "road-gap": true,
  "pointing-game": true,
  "energy-inside": true,
  iou: true
};

export interface FaithfulnessRow {
  method: string;
  metric: FaithfulnessMetric;
  /** The perturbation baseline ("" for localisation). */
  baseline: string;
  /** Percent kept for BAD; null elsewhere. */
  alpha: number | null;
  value: number;
}

export interface FaithfulnessOptions {
  baselines?: BaselineName[];
  alphas?: number[];
  curves?: CurveKind[];
  /** Steps of the deletion and insertion curves. */
  steps?: number;
  /** A box in the model input's pixel frame: adds the localisation rows. */
  box?: Box;
}

/**
 * `maps`: each method's map at the image's size (size x size), raw (scaled here as each metric
 * needs); `pixels`: the grey model input in [0, 1].
 */
export function evaluateFaithfulness(classifier: Classifier, pixels: Float32Array, size: number, maps: Record<string, ArrayLike<number>>, classIndex: number, options: FaithfulnessOptions = {}): FaithfulnessRow[] {
  return evaluateFaithfulnessDetailed(classifier, pixels, size, maps, classIndex, options).rows;
}

/** The rows, and each method's curves themselves (scores per fraction) for plotting. */
export function evaluateFaithfulnessDetailed(
  classifier: Classifier,
  pixels: Float32Array,
  size: number,
  maps: Record<string, ArrayLike<number>>,
  classIndex: number,
  options: FaithfulnessOptions = {}
): {rows: FaithfulnessRow[]; curves: (CurveResult & {method: string})[]} {
  const {baselines = BASELINE_NAMES, alphas = [5, 10, 20, 40], curves = ["deletion", "insertion", "road-morf", "road-lerf"], steps = 16} = options;
  const methods = Object.keys(maps);
  for (const m of methods)
    if (maps[m]!.length !== size * size) throw new RangeError(`the ${m} map must be at the image's size (${size} x ${size}); upsample it first`);
  const rows: FaithfulnessRow[] = [];
  const curveResults: (CurveResult & {method: string})[] = [];
  // AD / BAD / Increase in Confidence: every baseline's images of every map in one batched pass.
  const strategies: {baseline: BaselineName; alpha: number | null; perturbation: Perturbation}[] = baselines.flatMap((name) => {
    const b = baselineByName(name);
    return [{baseline: name, alpha: null, perturbation: blendTowardsBaseline(b)}, ...alphas.map((a) => ({baseline: name, alpha: a, perturbation: keepTopPercentOver(a, b)}))];
  });
  if (strategies.length) {
    const image = tf.tensor2d(pixels, [size, size]);
    const heats = methods.map((m) => tf.tidy(() => normaliseMap(tf.tensor2d(Float32Array.from(maps[m]!), [size, size]))));
    let scored: ReturnType<typeof perturbAndScoreMany>;
    try {
      scored = perturbAndScoreMany(classifier, image, heats, classIndex, strategies.map((s) => s.perturbation));
    } finally {
      tf.dispose([image, ...heats]);
    }
    methods.forEach((method, m) =>
      strategies.forEach((s, k) => {
        const pair = scored[m]![k]!.pair;
        if (s.alpha === null) {
          rows.push({method, metric: "average-drop", baseline: s.baseline, alpha: null, value: averageDropPercent([pair])});
          rows.push({method, metric: "increase-in-confidence", baseline: s.baseline, alpha: null, value: pair.perturbed > pair.original ? 100 : 0});
        } else rows.push({method, metric: "black-average-drop", baseline: s.baseline, alpha: s.alpha, value: averageDropPercent([pair])});
      })
    );
  }
  if (curves.length) {
    const specs = curves.map((kind) => defaultCurve(kind, {steps}));
    const results = faithfulnessCurves(classifier, pixels, size, methods.map((m) => maps[m]!), classIndex, specs);
    methods.forEach((method, m) => {
      const byKind = new Map(results[m]!.map((r) => [r.kind, r]));
      for (const r of results[m]!) {
        rows.push({method, metric: r.kind, baseline: r.baseline, alpha: null, value: r.area});
        curveResults.push({method, ...r});
      }
      const morf = byKind.get("road-morf");
      const lerf = byKind.get("road-lerf");
      if (morf && lerf) rows.push({method, metric: "road-gap", baseline: morf.baseline, alpha: null, value: roadGap(morf, lerf)});
    });
  }
  if (options.box) {
    for (const method of methods) {
      const l = localise(maps[method]!, size, size, options.box);
      rows.push({method, metric: "pointing-game", baseline: "", alpha: null, value: l.pointingHit});
      rows.push({method, metric: "energy-inside", baseline: "", alpha: null, value: l.energyInside});
      rows.push({method, metric: "iou", baseline: "", alpha: null, value: l.iou});
    }
  }
  return {rows, curves: curveResults};
}

/** A column of the agreement table: metric, baseline and alpha together. */
export function columnName(row: Pick<FaithfulnessRow, "metric" | "baseline" | "alpha">): string {
  return [row.metric, row.baseline, row.alpha === null ? "" : `${row.alpha}%`].filter(Boolean).join(" ");
}

/** The agreement table of rows from any number of images: each column's mean per method, then tau. */
export function agreementFromRows(rows: FaithfulnessRow[]): AgreementTable {
  const methods = [...new Set(rows.map((r) => r.method))];
  const columns = new Map<string, {metric: FaithfulnessMetric; sums: number[]; counts: number[]}>();
  for (const r of rows) {
    const key = columnName(r);
    const c = columns.get(key) ?? {metric: r.metric, sums: methods.map(() => 0), counts: methods.map(() => 0)};
    const m = methods.indexOf(r.method);
    if (Number.isFinite(r.value)) {
      c.sums[m] += r.value;
      c.counts[m]++;
    }
    columns.set(key, c);
  }
  return metricAgreement(
    methods,
    [...columns].map(([metric, c]) => ({metric, higherIsBetter: HIGHER_IS_BETTER[c.metric], values: c.sums.map((s, i) => (c.counts[i] ? s / c.counts[i]! : NaN))}))
  );
}
