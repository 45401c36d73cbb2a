/**
 * The whole Chester pipeline on one image: preprocessing, OOD gate, calibrated prediction,
 * explanations, and (optionally) their evaluation. Returns plain arrays and numbers: no tensor
 * outlives the call, so a page or a batch job can run it forever without growing memory.
 */
import * as tf from "@tensorflow/tfjs";
import type {Bundle} from "./bundle/load.js";
import {calibrate} from "./calibration.js";
import {
  EXPLANATION_METHODS,
  explainTensors,
  normaliseMap,
  upsample,
  usedOutputs,
  type ExplanationMethod,
  type GradientPath,
  type HeatMap,
  type UpsampleMethod
} from "./explain/index.js";
import {averageDropPercent, keepTopPercent, multiplyByMap, perturbAndScoreMany, type ScorePair} from "./evaluate.js";
import type {DecodedImage} from "./image/types.js";
import type {GateScoreName, OodDecision} from "./bundle/card.js";
import {CHECK_SIZE, checkImage, type ImageCheck} from "./image-check.js";
import {isInDistribution, runOod, type OodResult} from "./ood.js";
import type {FeatureScores} from "./ood-features.js";
import {allScores, gateDecision} from "./ood-gate.js";
import {prepareSizes, type Box, type ResizeMode} from "./preprocess.js";
import {storedSize, type ReduceTarget} from "./image/types.js";

export interface AnalyseOptions {
  /** Default: the card's ("crop" for every bundle we ship). */
  resize?: ResizeMode;
  /** The finding to explain, by output index or label. Default: the highest calibrated probability. */
  finding?: number | string;
  /** Default: saliency, CAM, Grad-CAM, Grad-CAM++. Pass [] to skip explanations. */
  methods?: ExplanationMethod[];
  gradientPath?: GradientPath;
  /** Upsample maps to the classifier input size; null keeps them at their natural size. */
  upsample?: UpsampleMethod | null;
  /** Predict even when the OOD gate rejects the image (the result says so). */
  predictRejected?: boolean;
  /** The score whose decision rules the gate (one the card has a threshold for). Default: the card's. */
  gate?: GateScoreName;
  /** Evaluate the CAM-family maps: Average Drop and Black Average Drop at these alphas (percent). */
  evaluateAlphas?: number[];
}

export interface Prediction {
  index: number;
  label: string;
  /** Sigmoid output of the model. */
  raw: number;
  /** Eq. 1 at the operating point (0.5 = the operating point). */
  calibrated: number;
  operatingPoint: number;
}

export interface MapEvaluation {
  method: ExplanationMethod;
  /** Drop for the multiply-by-map perturbation (Average Drop's summand), and its scores. */
  averageDrop: {pair: ScorePair; drop: number};
  /** Per alpha: the top-alpha-kept perturbation (Black Average Drop's summand). */
  blackAverageDrop: {alpha: number; pair: ScorePair; drop: number}[];
}

export interface Analysis {
  width: number;
  height: number;
  /** Region of the image that became the square inputs. */
  box: Box;
  resize: ResizeMode;
  /** Milliseconds per stage. */
  timings: Record<string, number>;
  ood: OodResult | null;
  /**
   * The gate as a whole: the pixel check (before any model), the feature-space scores, the decision
   * in use and its verdict. `ood` (when the bundle has an autoencoder) carries the same verdict.
   */
  gate: {
    check: ImageCheck;
    featureScores: FeatureScores | null;
    decision: OodDecision | null;
    inDistribution: boolean;
  };
  /** Labelled outputs only, in output order; null when the gate rejected and predictRejected is off. */
  predictions: Prediction[] | null;
  /** True when the gate rejected the image and it was predicted anyway. */
  predictedDespiteRejection: boolean;
  explanation: {finding: Prediction; size: number; maps: Partial<Record<ExplanationMethod, HeatMap>>} | null;
  evaluation: MapEvaluation[] | null;
}

function timed<T>(timings: Record<string, number>, stage: string, work: () => T): T {
  const start = performance.now();
  try {
    return work();
  } finally {
    timings[stage] = performance.now() - start;
  }
}

export function findingIndex(labels: string[], finding: number | string): number {
  const index = typeof finding === "number" ? finding : labels.findIndex((l) => l.toLowerCase() === finding.toLowerCase());
  if (!(index >= 0 && index < labels.length && labels[index]!.trim()))
    throw new RangeError(`unknown finding ${JSON.stringify(finding)}; this bundle has: ${labels.filter((l) => l.trim()).join(", ")}`);
  return index;
}

/**
 * The squares analyse() prepares from an image, in this order: the classifier's, the autoencoder's
 * (if any), the pixel check's (image-check.ts), each size once. Passed to the decoder as
 * DecodeOptions.reduceFor, a huge image's squares are made exactly while it is decoded.
 */
export function analysisSizes(bundle: Pick<Bundle, "card" | "autoencoder">): number[] {
  return [...new Set([bundle.card.classifier.inputSize, ...(bundle.autoencoder ? [bundle.autoencoder.spec.inputSize] : []), CHECK_SIZE])];
}

/** DecodeOptions.reduceFor for analyse(bundle, image, {resize}), plus any `extra` square sizes (e.g. a page's display). */
export function analysisTarget(bundle: Pick<Bundle, "card" | "autoencoder">, resize?: ResizeMode, extra: number[] = []): ReduceTarget {
  return {sizes: [...new Set([...analysisSizes(bundle), ...extra])], mode: resize ?? bundle.card.resize};
}

export function analyse(bundle: Bundle, image: DecodedImage, options: AnalyseOptions = {}): Analysis {
  const {card, classifier, autoencoder} = bundle;
  const resize = options.resize ?? card.resize;
  const methods = options.methods ?? EXPLANATION_METHODS;
  const timings: Record<string, number> = {};
  const size = card.classifier.inputSize;
  const stored = storedSize(image);

  const {box, pixels, small, checked} = timed(timings, "preprocess", () => {
    // The pixel check's square too (image-check.ts), unless a model already takes that size.
    const sizes = analysisSizes(bundle);
    const {box, squares} = prepareSizes(image, sizes, resize);
    // Force the work here so the stage timing is honest.
    squares[0]!.dataSync();
    return {box, pixels: squares[0]!, small: autoencoder ? squares[sizes.indexOf(autoencoder.spec.inputSize)]! : null, checked: squares[sizes.indexOf(CHECK_SIZE)]!};
  });
  const keep: tf.Tensor[] = [...new Set([pixels, small, checked].filter((t): t is tf.Tensor2D => t !== null))];
  try {
    const decision = gateDecision(card, options.gate);
    const check = timed(timings, "check", () => checkImage(checked, stored));
    const ood = autoencoder && small ? timed(timings, "ood", () => runOod(autoencoder, small)) : null;
    const gate: Analysis["gate"] = {check, featureScores: null, decision, inDistribution: check.ok};
    /** The verdict from what is known so far; `ood` mirrors it for the pages and the audit. */
    const judge = () => {
      const scores = ood ? allScores({scores: ood.scores, featureScores: gate.featureScores}) : {...(gate.featureScores ?? {})};
      gate.inDistribution = check.ok && (decision ? isInDistribution(scores, decision) : true);
      if (ood) Object.assign(ood, {check, featureScores: gate.featureScores, decision: decision ?? ood.decision, inDistribution: gate.inDistribution});
      return !gate.inDistribution;
    };
    const result: Analysis = {
      width: stored.width,
      height: stored.height,
      box,
      resize,
      timings,
      ood,
      gate,
      predictions: null,
      predictedDespiteRejection: false,
      explanation: null,
      evaluation: null
    };
    // A blank or noise image never reaches the classifier, unless asked to.
    if (!check.ok && !options.predictRejected) {
      judge();
      return result;
    }
    // With no feature scores to compute, the autoencoder's gate refuses before the classifier runs.
    if (!bundle.features && judge() && !options.predictRejected) return result;

    // One forward pass serves the prediction, the feature-space OOD scores and the whole CAM family.
    const {raw, features, logits} = timed(timings, "predict", () => {
      const {probabilities, features, logits} = tf.tidy(() => classifier.forward(classifier.toInput(pixels)));
      const raw = probabilities.dataSync() as Float32Array;
      probabilities.dispose();
      return {raw, features, logits};
    });
    keep.push(features, logits);
    if (bundle.features) {
      gate.featureScores = timed(timings, "oodFeatures", () => {
        const pooled = tf.tidy(() => features.mean([1, 2]));
        try {
          return bundle.features!.scores(pooled, logits, usedOutputs(card.labels));
        } finally {
          pooled.dispose();
        }
      });
    }
    const rejected = judge();
    if (rejected && !options.predictRejected) return result;
    result.predictedDespiteRejection = rejected;
    const predictions = usedOutputs(card.labels).map((index) => ({
      index,
      label: card.labels[index]!,
      raw: raw[index]!,
      calibrated: calibrate(raw[index]!, card.operatingPoints[index]!, {scaleUpper: card.scaleUpper}),
      operatingPoint: card.operatingPoints[index]!
    }));
    result.predictions = predictions;
    if (!methods.length) return result;

    const explained =
      options.finding === undefined
        ? predictions.reduce((best, p) => (p.calibrated > best.calibrated ? p : best))
        : predictions.find((p) => p.index === findingIndex(card.labels, options.finding!))!;
    const maps: Partial<Record<ExplanationMethod, HeatMap>> = {};
    const upsampleMethod = options.upsample === undefined ? "bilinear" : options.upsample;
    const heats: Partial<Record<ExplanationMethod, tf.Tensor2D>> = {};
    try {
      for (const method of methods) {
        timed(timings, method, () => {
          const heat = tf.tidy(() => {
            const map = explainTensors(classifier, pixels, explained.index, [method], {path: options.gradientPath, features})[method]!;
            return upsampleMethod ? upsample(map, size, size, upsampleMethod) : map;
          });
          maps[method] = {width: heat.shape[1], height: heat.shape[0], data: heat.dataSync() as Float32Array};
          heats[method] = heat;
        });
      }
      result.explanation = {finding: explained, size, maps};
      if (options.evaluateAlphas?.length && upsampleMethod) {
        result.evaluation = timed(timings, "evaluate", () =>
          evaluateMaps(bundle, pixels, heats, explained, options.evaluateAlphas!)
        );
      }
    } finally {
      tf.dispose(Object.values(heats));
    }
    return result;
  } finally {
    tf.dispose(keep);
  }
}

function evaluateMaps(
  bundle: Bundle,
  pixels: tf.Tensor2D,
  heats: Partial<Record<ExplanationMethod, tf.Tensor2D>>,
  finding: Prediction,
  alphas: number[]
): MapEvaluation[] {
  const strategies = [multiplyByMap, ...alphas.map(keepTopPercent)];
  const methods = Object.keys(heats) as ExplanationMethod[];
  const scaled = methods.map((method) => normaliseMap(heats[method]!));
  try {
    // Every perturbed image of every map in one batched forward pass (where the graph allows).
    const scored = perturbAndScoreMany(bundle.classifier, pixels, scaled, finding.index, strategies, finding.raw);
    return methods.map((method, m) => {
      const [multiply, ...black] = scored[m]!;
      return {
        method,
        averageDrop: {pair: multiply!.pair, drop: averageDropPercent([multiply!.pair])},
        blackAverageDrop: black.map((s, i) => ({alpha: alphas[i]!, pair: s.pair, drop: averageDropPercent([s.pair])}))
      };
    });
  } finally {
    tf.dispose(scaled);
  }
}
