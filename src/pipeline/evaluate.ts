/**
 * Explanation evaluation (BAD paper): feed the classifier an image perturbed by its heat map and
 * measure how much the class score drops. Metrics are built from reusable perturbation strategies.
 *
 * All images here are grey pixels in [0, 1] (the image's own intensity scale), so "black" is 0
 * before normalisation, as the paper requires, not 0 after it.
 */
import * as tf from "@tensorflow/tfjs";
import type {Classifier} from "./model/classifier.js";
import {keptCount, topSelection} from "./faithfulness/relevance-order.js";

/** A perturbation: image [S, S] and heat map [S, S] scaled to [0, 1] -> the image the model sees. */
export interface Perturbation {
  readonly name: string;
  apply(image: tf.Tensor2D, heat: tf.Tensor2D): tf.Tensor2D;
}

/** Average Drop's perturbation (Chattopadhay et al.): E = L o I, the image multiplied by the map. */
export const multiplyByMap: Perturbation = {
  name: "multiply",
  apply: (image, heat) => tf.tidy(() => image.mul(heat) as tf.Tensor2D)
};

/**
 * Black Average Drop's perturbation (BAD paper Eq. 11): keep the pixels whose heat is in the top
 * `alpha` percent, set every other pixel to black. Exactly round(alpha% of the pixels) are kept, so
 * a flat map never keeps the whole image. Ties at the cut are broken by a fixed seeded random order
 * of the positions, not by position (which filled a ReLU'd map's zero area from the top rows): see
 * faithfulness/relevance-order.ts, whose topSelection also reports how many came from the tie.
 */
export function keepTopPercent(alphaPercent: number): Perturbation {
  keptCount(1, alphaPercent);
  return {
    name: `top${alphaPercent}`,
    apply: (image, heat) => tf.tidy(() => image.mul(topPercentMask(heat, alphaPercent)) as tf.Tensor2D)
  };
}

/** 1 where the heat is among the top `alphaPercent` % of pixels, else 0 (ties in the seeded order). */
export function topPercentMask(heat: tf.Tensor2D, alphaPercent: number): tf.Tensor2D {
  const {mask} = topSelection(heat.dataSync(), alphaPercent);
  return tf.tensor2d(mask, heat.shape);
}

/** Class score Y on an image and O on its perturbed copy, for one output. */
export interface ScorePair {
  original: number;
  perturbed: number;
}

/**
 * Probability of output `classIndex` for a list of grey [S, S] images: one batched forward pass
 * where the graph takes a batch (see Classifier.probabilities), else one per image.
 */
export function classProbabilities(classifier: Classifier, images: tf.Tensor2D[], classIndex: number): number[] {
  if (!images.length) return [];
  return tf.tidy(() => Array.from(classifier.probabilities(images).slice([0, classIndex], [-1, 1]).dataSync()));
}

/** The perturbed images for each strategy (the pictures a page shows) and their class scores. */
export function perturbAndScore(
  classifier: Classifier,
  image: tf.Tensor2D,
  heat: tf.Tensor2D,
  classIndex: number,
  strategies: Perturbation[],
  original?: number
): {strategy: string; pair: ScorePair}[] {
  return perturbAndScoreMany(classifier, image, [heat], classIndex, strategies, original)[0]!;
}

/**
 * perturbAndScore for several heat maps of one image (one per method), with every perturbed image
 * scored in one batched forward pass: result[m][s] is map m under strategy s.
 */
export function perturbAndScoreMany(
  classifier: Classifier,
  image: tf.Tensor2D,
  heats: tf.Tensor2D[],
  classIndex: number,
  strategies: Perturbation[],
  original?: number
): {strategy: string; pair: ScorePair}[][] {
  const y = original ?? classProbabilities(classifier, [image], classIndex)[0]!;
  const perturbed = heats.flatMap((heat) => strategies.map((strategy) => strategy.apply(image, heat)));
  try {
    const scores = classProbabilities(classifier, perturbed, classIndex);
    return heats.map((_, m) =>
      strategies.map((strategy, s) => ({strategy: strategy.name, pair: {original: y, perturbed: scores[m * strategies.length + s]!}}))
    );
  } finally {
    tf.dispose(perturbed);
  }
}

/** Per image: max(0, Y - O) / Y (the summand of Average Drop and of Black Average Drop). */
export function drop({original, perturbed}: ScorePair): number {
  return original > 0 ? Math.max(0, original - perturbed) / original : 0;
}

/** AD (or BAD, given the top-alpha perturbation's pairs) = mean drop, in percent as the papers report. */
export function averageDropPercent(pairs: ScorePair[]): number {
  return pairs.length ? (100 * pairs.reduce((s, p) => s + drop(p), 0)) / pairs.length : NaN;
}

/** Increase in Confidence: percentage of images whose score rose under the perturbation. */
export function increaseInConfidencePercent(pairs: ScorePair[]): number {
  return pairs.length ? (100 * pairs.filter((p) => p.perturbed > p.original).length) / pairs.length : NaN;
}

/**
 * Incorrect %: percentage of perturbed images whose predicted class (score >= threshold, the
 * operating point) differs from the reference class (the true label when known).
 */
export function incorrectPercent(perturbedScores: number[], reference: (0 | 1 | boolean)[], threshold: number): number {
  if (perturbedScores.length !== reference.length) throw new Error("one reference class per perturbed score is needed");
  if (!perturbedScores.length) return NaN;
  const wrong = perturbedScores.filter((s, i) => (s >= threshold ? 1 : 0) !== Number(reference[i])).length;
  return (100 * wrong) / perturbedScores.length;
}
