/**
 * What the Explanation and Explanation evaluation pages compute, as plain arrays in and out (no
 * tensor outlives a call): raw maps timed one method at a time, upsampling a map after the fact
 * (so a page can switch bilinear/Lanczos without recomputing gradients), the images each metric
 * feeds the model, an alpha sweep, and the per-method summary of a set of images.
 */
import * as tf from "@tensorflow/tfjs";
import type {Analysis} from "../analyse.js";
import type {Classifier} from "../model/classifier.js";
import {averageDropPercent, incorrectPercent, increaseInConfidencePercent, keepTopPercent, multiplyByMap, classProbabilities, type ScorePair} from "../evaluate.js";
import {explainTensors, type ExplanationMethod, type GradientPath, type HeatMap} from "./index.js";
import {normaliseMap, upsample, type UpsampleMethod} from "./upsample.js";

/** Grey pixels (row-major, [0, 1]) of a square image as a tensor. */
function square(pixels: ArrayLike<number>, size: number): tf.Tensor2D {
  if (pixels.length !== size * size) throw new RangeError(`expected ${size * size} pixels, got ${pixels.length}`);
  return tf.tensor2d(Float32Array.from(pixels), [size, size]);
}

function heatTensor(map: HeatMap): tf.Tensor2D {
  return tf.tensor2d(map.data, [map.height, map.width]);
}

function toHeatMap(t: tf.Tensor2D): HeatMap {
  return {width: t.shape[1], height: t.shape[0], data: t.dataSync() as Float32Array};
}

export interface TimedMaps {
  /** Raw maps at their natural resolution (the CAM family at the feature-map size). */
  maps: Partial<Record<ExplanationMethod, HeatMap>>;
  /** Milliseconds per method, each computed on its own (one backward pass for each gradient map). */
  timings: Partial<Record<ExplanationMethod, number>>;
  /** Milliseconds of the forward pass whose features the CAM family shares. */
  forwardMs: number;
}

/** Raw maps of one image and one output, each method timed on its own. */
export function timedRawMaps(classifier: Classifier, pixels: ArrayLike<number>, size: number, classIndex: number, methods: ExplanationMethod[], options: {path?: GradientPath} = {}): TimedMaps {
  const grey = square(pixels, size);
  const timings: Partial<Record<ExplanationMethod, number>> = {};
  const maps: Partial<Record<ExplanationMethod, HeatMap>> = {};
  const start = performance.now();
  // One forward pass serves the whole CAM family, as in analyse().
  const features = tf.tidy(() => classifier.forward(classifier.toInput(grey)).features);
  features.dataSync();
  const forwardMs = performance.now() - start;
  try {
    for (const method of methods) {
      const t0 = performance.now();
      const map = tf.tidy(() => explainTensors(classifier, grey, classIndex, [method], {path: options.path, features})[method]!);
      maps[method] = toHeatMap(map);
      map.dispose();
      timings[method] = performance.now() - t0;
    }
  } finally {
    tf.dispose([grey, features]);
  }
  return {maps, timings, forwardMs};
}

/** A map upsampled to height x width; a map already that size is returned as is. */
export function upsampleHeatMap(map: HeatMap, height: number, width: number, method: UpsampleMethod): HeatMap {
  if (map.width === width && map.height === height) return map;
  const out = tf.tidy(() => upsample(heatTensor(map), height, width, method));
  try {
    return toHeatMap(out);
  } finally {
    out.dispose();
  }
}

/** One method's perturbed images for one image at one alpha, and the class scores they get. */
export interface PerturbedView {
  /** The image multiplied by the map scaled to [0, 1]: what Average Drop feeds the model. */
  multiplied: Float32Array;
  /** Only the top-alpha % of pixels by heat kept, the rest black (0 in pixel intensity): Black Average Drop's image. */
  black: Float32Array;
  /** Class score on the original image, on the multiplied one and on the black-masked one. */
  original: number;
  multipliedScore: number;
  blackScore: number;
}

/**
 * The images Average Drop and Black Average Drop feed the model for each map (upsampled to the
 * image size), and their scores: one batched forward pass for all of them.
 */
export function perturbedViews(classifier: Classifier, pixels: ArrayLike<number>, size: number, maps: HeatMap[], classIndex: number, alphaPercent: number): PerturbedView[] {
  const black = keepTopPercent(alphaPercent);
  return tf.tidy(() => {
    const image = square(pixels, size);
    const images = maps.flatMap((map) => {
      const heat = normaliseMap(heatTensor(map));
      return [multiplyByMap.apply(image, heat), black.apply(image, heat)];
    });
    const scores = classProbabilities(classifier, [image, ...images], classIndex);
    return maps.map((_, m) => ({
      multiplied: images[2 * m]!.dataSync() as Float32Array,
      black: images[2 * m + 1]!.dataSync() as Float32Array,
      original: scores[0]!,
      multipliedScore: scores[1 + 2 * m]!,
      blackScore: scores[2 + 2 * m]!
    }));
  });
}

/** Black-masked score of each map at each alpha: result[m][a] (one batched pass per call). */
export function blackScores(classifier: Classifier, pixels: ArrayLike<number>, size: number, maps: HeatMap[], classIndex: number, alphas: number[]): number[][] {
  const strategies = alphas.map(keepTopPercent);
  return tf.tidy(() => {
    const image = square(pixels, size);
    const images = maps.flatMap((map) => {
      const heat = normaliseMap(heatTensor(map));
      return strategies.map((s) => s.apply(image, heat));
    });
    const scores = classProbabilities(classifier, images, classIndex);
    return maps.map((_, m) => scores.slice(m * alphas.length, (m + 1) * alphas.length));
  });
}

/** One image x method x alpha of a set evaluation (scores as probabilities of the explained finding). */
export interface EvaluationRecord {
  image: string;
  method: string;
  alpha: number;
  /** Score on the image (Y), on the image x map (Average Drop's O) and on the top-alpha black image (Black Average Drop's O). */
  original: number;
  multiplied: number;
  black: number;
  /** The class a perturbed image should keep: the true label, else the model's own class on the original. */
  reference: 0 | 1;
  operatingPoint: number;
}

export interface MethodSummary {
  method: string;
  alpha: number;
  n: number;
  /** Percent, as the audit's metrics table (the BAD paper reports AD and BAD as fractions). */
  averageDrop: number;
  blackAverageDrop: number;
  increaseInConfidence: number;
  /** Percent of multiplied (AD) and of black-masked (BAD) images whose class (score >= operating point) differs from the reference. */
  incorrectAd: number;
  incorrectBad: number;
}

/** AD, BAD, Increase in Confidence and Incorrect % per method at one alpha, methods in first-seen order. */
export function summariseEvaluation(records: EvaluationRecord[], alpha: number): MethodSummary[] {
  const at = records.filter((r) => r.alpha === alpha);
  const methods = [...new Set(at.map((r) => r.method))];
  return methods.map((method) => {
    const rows = at.filter((r) => r.method === method);
    const ad: ScorePair[] = rows.map((r) => ({original: r.original, perturbed: r.multiplied}));
    const bad: ScorePair[] = rows.map((r) => ({original: r.original, perturbed: r.black}));
    // incorrectPercent takes one threshold; each row carries its own operating point, so shift scores by it.
    const shifted = (score: (r: EvaluationRecord) => number) => rows.map((r) => score(r) - r.operatingPoint);
    const reference = rows.map((r) => r.reference);
    return {
      method,
      alpha,
      n: rows.length,
      averageDrop: averageDropPercent(ad),
      blackAverageDrop: averageDropPercent(bad),
      increaseInConfidence: increaseInConfidencePercent(ad),
      incorrectAd: rows.length ? incorrectPercent(shifted((r) => r.multiplied), reference, 0) : NaN,
      incorrectBad: rows.length ? incorrectPercent(shifted((r) => r.black), reference, 0) : NaN
    };
  });
}

/**
 * The evaluation records of one analysed image (analyse() with evaluateAlphas), one per method and
 * alpha. `reference` is the true class of the explained finding, or null when unknown (the model's
 * own class on the original image is used, as in the audit).
 */
export function recordsFromAnalysis(image: string, analysis: Analysis, reference: 0 | 1 | null): EvaluationRecord[] {
  if (!analysis.evaluation || !analysis.explanation) return [];
  const finding = analysis.explanation.finding;
  const ref = reference ?? (finding.raw >= finding.operatingPoint ? 1 : 0);
  return analysis.evaluation.flatMap((m) =>
    m.blackAverageDrop.map((b) => ({
      image,
      method: m.method,
      alpha: b.alpha,
      original: m.averageDrop.pair.original,
      multiplied: m.averageDrop.pair.perturbed,
      black: b.pair.perturbed,
      reference: ref,
      operatingPoint: finding.operatingPoint
    }))
  );
}

/** A row of the BAD paper's Table 1 as data/bad-table1.json holds it (AD and BAD as fractions). */
export interface PaperRow {
  dataset: string;
  method: string;
  ad: number;
  bad: number;
  incorrectAd: number;
  incorrectBad: number;
}

/** The paper's rows in the pipeline's units: AD and BAD x 100 (percent); Incorrect % already is. */
export function paperRowsPercent(rows: PaperRow[]): (PaperRow & {adPercent: number; badPercent: number})[] {
  return rows.map((r) => ({...r, adPercent: 100 * r.ad, badPercent: 100 * r.bad}));
}

/**
 * The finding to explain for a labelled sample and the reference class of each output, as the
 * audit does: the findings the label names (case-insensitive) if the bundle has them, else the top
 * finding; a negative word (NORMAL, No Finding, negative, none) makes every finding 0.
 */
export function sampleTargets(labels: string[], sampleLabel: string): {findings: number[]; reference: (index: number) => 0 | 1 | null} {
  const names = sampleLabel
    .split("|")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const negative = names.length > 0 && names.every((n) => ["normal", "no finding", "negative", "none"].includes(n));
  const positives = labels.flatMap((l, i) => (l.trim() && names.includes(l.trim().toLowerCase()) ? [i] : []));
  const known = negative || positives.length > 0;
  return {findings: positives, reference: (index) => (known ? (positives.includes(index) ? 1 : 0) : null)};
}
