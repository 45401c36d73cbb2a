/**
 * The gate scores' names, directions and the gate's rule, without TF.js: what a page needs to apply
 * thresholds to scores computed elsewhere (the analysis worker). ood.ts and ood-features.ts, which
 * compute the scores, re-export these.
 */
import type {GateScoreName, OodDecision, OodScoreName} from "./bundle/card.js";

export type OodScores = Record<OodScoreName, number>;
/** Whatever scores an image has: the autoencoder's, the classifier's feature-space ones, or both. */
export type GateScores = Partial<Record<GateScoreName, number>>;

/** For each score, whether a larger value means "more out of distribution". */
export const OOD_SCORE_HIGHER_IS_OUT: Record<OodScoreName, boolean> = {
  l1: true, // mean absolute error
  l2: true, // mean squared error
  ssim: false,
  ssim8: false,
  latent: true // Euclidean norm of the latent code
};

export const OOD_SCORE_NAMES: OodScoreName[] = ["l1", "l2", "ssim", "ssim8", "latent"];

export type FeatureScoreName = "mahalanobis" | "knn" | "energy" | "msp";
export const FEATURE_SCORE_NAMES: FeatureScoreName[] = ["mahalanobis", "knn", "energy", "msp"];
export type FeatureScores = Record<FeatureScoreName, number>;

/** For each feature-space score, whether a larger value means "more out of distribution". */
export const FEATURE_SCORE_HIGHER_IS_OUT: Record<FeatureScoreName, boolean> = {
  mahalanobis: true,
  knn: true,
  energy: true,
  msp: false
};

/** Every gate score's direction: the autoencoder's and the feature-space ones. */
export const GATE_SCORE_HIGHER_IS_OUT: Record<GateScoreName, boolean> = {...OOD_SCORE_HIGHER_IS_OUT, ...FEATURE_SCORE_HIGHER_IS_OUT};

/** False when the score is missing (NaN compares false): a gate that cannot be computed rejects. */
export function isInDistribution(scores: GateScores, decision: OodDecision): boolean {
  const value = scores[decision.score] ?? NaN;
  return decision.inDistributionWhen === "above" ? value > decision.threshold : value < decision.threshold;
}
