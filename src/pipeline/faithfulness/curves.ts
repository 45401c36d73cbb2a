/**
 * Deletion and insertion curves (RISE, Petsiuk et al. 2018) and ROAD (Rong et al. 2022), composed
 * from the relevance order (relevance-order.ts) and a baseline (baselines.ts):
 *
 * - deletion: the most relevant fraction f of pixels replaced by the baseline (default black), for
 *   f from 0 to 1; the class score should fall fast: a lower area is better.
 * - insertion: only the most relevant fraction f of the image shown over the baseline image
 *   (default blurred); the score should rise fast: a higher area is better.
 * - ROAD MoRF / LeRF: the most (least) relevant fraction removed by noisy linear imputation, f from
 *   10 % to 90 %; a faithful map drops the score fast under MoRF and slowly under LeRF, so
 *   LeRF - MoRF (areas) is larger for a better map.
 *
 * Areas are the trapezoid rule over f, divided by the span of f (so a constant score s has area s).
 */
import * as tf from "@tensorflow/tfjs";
import {classProbabilities} from "../evaluate.js";
import type {Classifier} from "../model/classifier.js";
import {BLACK, blurBaseline, noisyLinearBaseline, type Baseline} from "./baselines.js";
import {relevanceOrder} from "./relevance-order.js";

export type CurveKind = "deletion" | "insertion" | "road-morf" | "road-lerf";

export interface CurveSpec {
  kind: CurveKind;
  /** Fractions of the pixels removed (deletion, ROAD) or shown (insertion), in [0, 1]. */
  fractions: number[];
  baseline: Baseline;
}

const evenly = (steps: number) => Array.from({length: steps + 1}, (_, k) => k / steps);
export const ROAD_FRACTIONS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/** The default spec of each curve: 16 steps for deletion and insertion (17 points), ROAD at 10 % .. 90 %. */
export function defaultCurve(kind: CurveKind, options: {steps?: number; baseline?: Baseline} = {}): CurveSpec {
  const steps = options.steps ?? 16;
  if (!(Number.isInteger(steps) && steps >= 1)) throw new RangeError(`curve steps must be a positive integer, got ${steps}`);
  switch (kind) {
    case "deletion":
      return {kind, fractions: evenly(steps), baseline: options.baseline ?? BLACK};
    case "insertion":
      return {kind, fractions: evenly(steps), baseline: options.baseline ?? blurBaseline()};
    case "road-morf":
    case "road-lerf":
      return {kind, fractions: ROAD_FRACTIONS, baseline: options.baseline ?? noisyLinearBaseline()};
  }
}

/** The images a curve feeds the model, one per fraction. `heat` is at the image's size. */
export function curveImages(image: Float32Array, height: number, width: number, heat: ArrayLike<number>, spec: CurveSpec, order: Int32Array = relevanceOrder(heat)): Float32Array[] {
  const n = height * width;
  if (heat.length !== n) throw new RangeError(`the heat map must be at the image's size (${height} x ${width}); upsample it first`);
  return spec.fractions.map((f) => {
    if (!(f >= 0 && f <= 1)) throw new RangeError(`curve fractions must be in [0, 1], got ${f}`);
    const count = Math.round(f * n);
    const removed = new Uint8Array(n);
    if (spec.kind === "insertion") {
      removed.fill(1);
      for (let r = 0; r < count; r++) removed[order[r]!] = 0;
    } else if (spec.kind === "road-lerf") {
      for (let r = 0; r < count; r++) removed[order[n - 1 - r]!] = 1;
    } else {
      for (let r = 0; r < count; r++) removed[order[r]!] = 1;
    }
    return spec.baseline.replace(image, height, width, removed);
  });
}

/** Trapezoid area under scores over fractions, divided by the fractions' span. */
export function curveArea(fractions: number[], scores: number[]): number {
  if (fractions.length !== scores.length) throw new Error("one score per fraction is needed");
  if (fractions.length === 1) return scores[0]!;
  let area = 0;
  for (let k = 1; k < fractions.length; k++) area += ((fractions[k]! - fractions[k - 1]!) * (scores[k]! + scores[k - 1]!)) / 2;
  const span = fractions[fractions.length - 1]! - fractions[0]!;
  return span > 0 ? area / span : NaN;
}

export interface CurveResult {
  kind: CurveKind;
  baseline: string;
  fractions: number[];
  /** Probability of the explained finding at each fraction. */
  scores: number[];
  area: number;
}

/**
 * Every curve of every map of one image, scored in batched forward passes: result[m][c] is map m
 * under spec c. `image` is the grey model input (size x size, [0, 1]); maps at that size.
 */
export function faithfulnessCurves(classifier: Classifier, image: Float32Array, size: number, heats: ArrayLike<number>[], classIndex: number, specs: CurveSpec[]): CurveResult[][] {
  const layout: {m: number; c: number; images: Float32Array[]}[] = [];
  heats.forEach((heat, m) => {
    const order = relevanceOrder(heat);
    specs.forEach((spec, c) => layout.push({m, c, images: curveImages(image, size, size, heat, spec, order)}));
  });
  const all = layout.flatMap((l) => l.images);
  const tensors = all.map((a) => tf.tensor2d(a, [size, size]));
  let scores: number[];
  try {
    scores = classProbabilities(classifier, tensors, classIndex);
  } finally {
    tf.dispose(tensors);
  }
  const result: CurveResult[][] = heats.map(() => []);
  let offset = 0;
  for (const {m, c, images} of layout) {
    const spec = specs[c]!;
    const s = scores.slice(offset, offset + images.length);
    offset += images.length;
    result[m]![c] = {kind: spec.kind, baseline: spec.baseline.name, fractions: spec.fractions, scores: s, area: curveArea(spec.fractions, s)};
  }
  return result;
}

/** ROAD's summary of one map: LeRF area - MoRF area (larger is more faithful). */
export function roadGap(morf: CurveResult, lerf: CurveResult): number {
  return lerf.area - morf.area;
}
