/**
 * Scoring images for the OOD evaluation (ood-stats, evaluate-bundle) and the figures behind the
 * gate: every score of one image in one call, FPR at 95 % TPR, and the choice of the default gate
 * on validation data.
 */
import * as tf from "@tensorflow/tfjs";
import type {Bundle} from "./bundle/load.js";
import type {GateScoreName} from "./bundle/card.js";
import {usedOutputs} from "./explain/index.js";
import {acceptanceThreshold, isRejected, inDistributionSide} from "./evaluation-figures.js";
import {CHECK_SIZE, measureImage, type ImageMeasures} from "./image-check.js";
import {oodAuroc} from "./metrics.js";
import {GATE_SCORE_HIGHER_IS_OUT, OOD_SCORE_NAMES, oodScoreTensor, type GateScores} from "./ood.js";
import {FEATURE_SCORE_NAMES} from "./ood-features.js";

export interface ImageScores {
  /** Sigmoid outputs of every classifier output. */
  probabilities: number[];
  /** Every gate score the bundle computes (autoencoder and feature space). */
  scores: GateScores;
  measures: ImageMeasures;
  /** The pooled features [K] (for fitting statistics). */
  pooled: Float32Array;
}

/**
 * Everything the gate knows about one preprocessed image: grey [S, S] for the classifier, [s, s]
 * for the autoencoder, and the pixel check's 64 x 64 square (default: the autoencoder's input when
 * it is that size, else the classifier's input resized).
 */
export function scoreImage(bundle: Bundle, pixels: tf.Tensor2D, small: tf.Tensor2D | null, checked?: tf.Tensor2D): ImageScores {
  const used = usedOutputs(bundle.card.labels);
  let result: ImageScores | undefined;
  tf.tidy(() => {
    const {probabilities, features, logits} = bundle.classifier.forward(bundle.classifier.toInput(pixels));
    const pooled = features.mean([1, 2]);
    const scores: GateScores = {};
    if (bundle.features) Object.assign(scores, bundle.features.scores(pooled, logits, used));
    if (bundle.autoencoder && small) {
      const {reconstruction, latent} = bundle.autoencoder.reconstruct(small);
      const values = oodScoreTensor(small, reconstruction, latent).dataSync();
      OOD_SCORE_NAMES.forEach((name, i) => (scores[name] = values[i]!));
    }
    result = {
      probabilities: Array.from(probabilities.dataSync()),
      scores,
      measures: measureImage(checked ?? (small?.shape[0] === CHECK_SIZE ? small : pixels)),
      pooled: Float32Array.from(pooled.dataSync())
    };
  });
  return result!;
}

/** The scores a bundle computes, in a fixed order (the autoencoder's, then the feature-space ones). */
export function bundleScoreNames(bundle: Pick<Bundle, "autoencoder" | "features">): GateScoreName[] {
  return [...(bundle.autoencoder ? OOD_SCORE_NAMES : []), ...(bundle.features ? FEATURE_SCORE_NAMES : [])];
}

/**
 * Share of OOD images accepted when the threshold accepts `tpr` of the in-distribution images
 * (FPR at 95 % TPR, in-distribution the positive class, as Liang et al. 2018 and later report it).
 */
export function fprAtTpr(inScores: ArrayLike<number>, outScores: ArrayLike<number>, higherIsOut: boolean, tpr = 0.95): number {
  if (!inScores.length || !outScores.length) return NaN;
  const threshold = acceptanceThreshold(inScores, higherIsOut, tpr);
  const side = inDistributionSide(higherIsOut);
  let accepted = 0;
  for (let i = 0; i < outScores.length; i++) if (!isRejected(outScores[i]!, threshold, side)) accepted++;
  return accepted / outScores.length;
}

/** Every score's AUROC and FPR at 95 % TPR between in-distribution images and one OOD set. */
export function separationByScore(scoreNames: GateScoreName[], inScores: GateScores[], outScores: GateScores[]): {auroc: Record<string, number>; fprAt95Tpr: Record<string, number>} {
  const pair = (score: GateScoreName) => [inScores.map((s) => s[score]!), outScores.map((s) => s[score]!), GATE_SCORE_HIGHER_IS_OUT[score]] as const;
  return {
    auroc: Object.fromEntries(scoreNames.map((score) => [score, oodAuroc(...pair(score))])),
    fprAt95Tpr: Object.fromEntries(scoreNames.map((score) => [score, fprAtTpr(...pair(score))]))
  };
}

/**
 * Synthetic outliers made from validation images, for choosing the default gate without looking at
 * any OOD set: the image inverted (a MONOCHROME1 mistake), upside down, and cut into a 4 x 4
 * jigsaw (the intensities of a radiograph without its anatomy).
 */
export const SYNTHETIC_OUTLIERS = ["inverted", "upside-down", "jigsaw"] as const;
export type SyntheticOutlier = (typeof SYNTHETIC_OUTLIERS)[number];

/** A fixed permutation of the 16 tiles (no tile stays in place). */
const JIGSAW = [5, 10, 15, 0, 9, 14, 3, 4, 13, 2, 7, 8, 1, 6, 11, 12];

export function syntheticOutlier(grey: tf.Tensor2D, kind: SyntheticOutlier): tf.Tensor2D {
  return tf.tidy(() => {
    if (kind === "inverted") return tf.scalar(1).sub(grey) as tf.Tensor2D;
    if (kind === "upside-down") return tf.reverse(grey, 0) as tf.Tensor2D;
    const [h, w] = grey.shape;
    const th = Math.floor(h / 4);
    const tw = Math.floor(w / 4);
    const cropped = grey.slice([0, 0], [th * 4, tw * 4]);
    const tiles = cropped.reshape([4, th, 4, tw]).transpose([0, 2, 1, 3]).reshape([16, th, tw]);
    const shuffled = tf.gather(tiles, tf.tensor1d(JIGSAW, "int32")).reshape([4, 4, th, tw]).transpose([0, 2, 1, 3]).reshape([th * 4, tw * 4]);
    return (th * 4 === h && tw * 4 === w ? shuffled : tf.image.resizeBilinear(shuffled.expandDims(2) as tf.Tensor3D, [h, w], false, true).squeeze([2])) as tf.Tensor2D;
  });
}

export interface GateChoice {
  default: GateScoreName;
  /** Per score: mean AUROC of validation images against the synthetic outliers, per kind, and the margin. */
  candidates: {score: GateScoreName; meanAuroc: number; auroc: Record<string, number>; margin: number}[];
  rule: string;
}

/**
 * How far past the gate's threshold the synthetic outliers lie, in units of the validation
 * scores' spread: (median of the outliers - threshold) / (interquartile range of validation),
 * oriented so positive is "rejected", averaged over the kinds. Unlike an AUROC it does not
 * saturate at 1, so it separates scores the easy synthetic outliers tie.
 */
export function separationMargin(validation: number[], outliers: number[][], higherIsOut: boolean): number {
  const sign = higherIsOut ? 1 : -1;
  const inside = validation.map((v) => sign * v).sort((a, b) => a - b);
  const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const spread = quantile(inside, 0.75) - quantile(inside, 0.25) || 1e-12;
  const threshold = quantile(inside, 0.95);
  const margins = outliers.map((rows) => (quantile(rows.map((v) => sign * v).sort((a, b) => a - b), 0.5) - threshold) / spread);
  return margins.reduce((a, b) => a + b, 0) / margins.length;
}

/**
 * The default gate: the score whose AUROC against the synthetic outliers, averaged over the kinds
 * (to 3 decimals), is highest; ties go to the larger separation margin.
 */
export function chooseGate(
  scoreNames: GateScoreName[],
  validation: GateScores[],
  synthetic: Record<string, GateScores[]>
): GateChoice {
  const candidates = scoreNames.map((score) => {
    const inside = validation.map((s) => s[score]!);
    const outliers = Object.values(synthetic).map((rows) => rows.map((s) => s[score]!));
    const auroc = Object.fromEntries(Object.entries(synthetic).map(([kind, rows]) => [kind, oodAuroc(inside, rows.map((s) => s[score]!), GATE_SCORE_HIGHER_IS_OUT[score])]));
    const values = Object.values(auroc);
    return {score, meanAuroc: values.reduce((a, b) => a + b, 0) / values.length, auroc, margin: separationMargin(inside, outliers, GATE_SCORE_HIGHER_IS_OUT[score])};
  });
  const key = (c: (typeof candidates)[number]) => [Math.round(c.meanAuroc * 1000), c.margin] as const;
  const best = candidates.reduce((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    return kb[0] > ka[0] || (kb[0] === ka[0] && kb[1] > ka[1]) ? b : a;
  });
  return {
    default: best.score,
    candidates,
    rule: `the score with the highest AUROC of validation images against synthetic outliers made from them (${Object.keys(synthetic).join(", ")}), averaged over the kinds, to 3 decimals; ties go to the larger separation margin (median outlier past the 95 % threshold, in validation interquartile ranges); no OOD set is used`
  };
}
