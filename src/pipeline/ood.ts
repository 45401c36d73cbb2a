/**
 * Out-of-distribution gate (Chester section 3): reconstruct the 64x64 image with the autoencoder and
 * score how far the reconstruction is from the input, and how far the latent code is from the origin.
 */
import * as tf from "@tensorflow/tfjs";
import type {OodDecision} from "./bundle/card.js";
import type {ImageCheck} from "./image-check.js";
import type {Autoencoder} from "./model/autoencoder.js";
import type {FeatureScores} from "./ood-features.js";
import {ssim, ssimBlocks} from "./ssim.js";

export {GATE_SCORE_HIGHER_IS_OUT, isInDistribution, OOD_SCORE_HIGHER_IS_OUT, OOD_SCORE_NAMES, type GateScores, type OodScores} from "./ood-scores.js";
import {isInDistribution, OOD_SCORE_NAMES, type OodScores} from "./ood-scores.js";

/** All five scores as one [5] tensor, in OOD_SCORE_NAMES order (one read-back instead of five). */
export function oodScoreTensor(input: tf.Tensor2D, reconstruction: tf.Tensor2D, latent: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const difference = input.sub(reconstruction);
    return tf.stack([
      difference.abs().mean(),
      difference.square().mean(),
      ssim(input, reconstruction),
      ssimBlocks(input, reconstruction),
      latent.norm()
    ]) as tf.Tensor1D;
  });
}


export interface OodResult {
  /** The autoencoder's five scores. */
  scores: OodScores;
  /** The classifier's feature-space scores, when the bundle ships their statistics and the image was checked. */
  featureScores?: FeatureScores | null;
  /** The pixel check that runs before any model (blank, near-constant, noise). */
  check?: ImageCheck;
  /** The gate's verdict: the check passed and the decision's score is on its in-distribution side. */
  inDistribution: boolean;
  /** The decision in use (the card's default gate, or the one chosen); its score may be a feature score. */
  decision: OodDecision;
  size: number;
  /** The autoencoder's input and reconstruction, [size * size] in [0, 1]. */
  input: Float32Array;
  reconstruction: Float32Array;
  /** Per-pixel absolute error |input - reconstruction|. */
  errorMap: Float32Array;
}

/** Runs the gate on a grey [S, S] image in [0, 1] (S = the autoencoder's input size). */
export function runOod(autoencoder: Autoencoder, grey: tf.Tensor2D): OodResult {
  const size = autoencoder.spec.inputSize;
  if (grey.shape[0] !== size || grey.shape[1] !== size)
    throw new Error(`the OOD model takes ${size}x${size} images, got ${grey.shape[0]}x${grey.shape[1]}`);
  const [scoreValues, reconstruction, errorMap] = tf.tidy(() => {
    const {reconstruction, latent} = autoencoder.reconstruct(grey);
    return [oodScoreTensor(grey, reconstruction, latent), reconstruction, grey.sub(reconstruction).abs()];
  });
  try {
    const values = scoreValues.dataSync();
    const scores = Object.fromEntries(OOD_SCORE_NAMES.map((name, i) => [name, values[i]!])) as OodScores;
    const decision = autoencoder.spec.decision;
    return {
      scores,
      inDistribution: isInDistribution(scores, decision),
      decision,
      size,
      input: grey.dataSync() as Float32Array,
      reconstruction: reconstruction.dataSync() as Float32Array,
      errorMap: errorMap.dataSync() as Float32Array
    };
  } finally {
    tf.dispose([scoreValues, reconstruction, errorMap]);
  }
}
