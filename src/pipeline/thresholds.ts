/**
 * The user's thresholds applied to an analysis after the fact: a gate on any OOD score and each
 * finding's operating point. Pure (plain numbers in, plain numbers out), so a threshold moved on
 * one page re-decides every verdict without running a model again. An analysis made with
 * `predictRejected: true` carries predictions for every image; the gate decides whether they are
 * shown as trusted.
 */
import type {Analysis, Prediction} from "./analyse.js";
import {calibrate} from "./calibration.js";
import type {OodDecision} from "./bundle/card.js";

export interface UserThresholds {
  /** A score of the OOD result and its cutoff; its direction is the card's for that score, or the score's natural one. */
  gate?: {score: string; cutoff: number};
  /** Per finding label, the threshold on the raw sigmoid output. */
  findings?: Record<string, number>;
}

/** Scores where a larger value means "more out of distribution" (the others: smaller means out). */
const HIGHER_IS_OUT = new Set(["l1", "l2", "latent", "mahalanobis", "knn", "energy"]);

/** The gate a user choice stands for, with the direction the score needs. */
export function userDecision(gate: {score: string; cutoff: number}, card?: OodDecision): OodDecision {
  const inDistributionWhen = card && card.score === gate.score ? card.inDistributionWhen : HIGHER_IS_OUT.has(gate.score) ? "below" : "above";
  return {score: gate.score, threshold: gate.cutoff, inDistributionWhen} as OodDecision;
}

export interface ThresholdedAnalysis extends Analysis {
  /** Which thresholds differ from the card's, for the page to say so. */
  userThresholds: {gate: boolean; findings: string[]};
}

export function applyThresholds(analysis: Analysis, thresholds: UserThresholds | undefined, options: {scaleUpper?: number} = {}): ThresholdedAnalysis {
  const userThresholds = {gate: false, findings: [] as string[]};
  let ood = analysis.ood;
  if (ood && thresholds?.gate && thresholds.gate.score in ood.scores && Number.isFinite(thresholds.gate.cutoff)) {
    const decision = userDecision(thresholds.gate, ood.decision);
    const value = (ood.scores as Record<string, number>)[decision.score]!;
    const inDistribution = decision.inDistributionWhen === "above" ? value > decision.threshold : value < decision.threshold;
    ood = {...ood, decision, inDistribution};
    userThresholds.gate = decision.score !== analysis.ood!.decision.score || decision.threshold !== analysis.ood!.decision.threshold;
  }
  let predictions: Prediction[] | null = analysis.predictions;
  if (predictions && thresholds?.findings) {
    predictions = predictions.map((p) => {
      const t = thresholds.findings![p.label];
      if (t === undefined || !(t > 0 && t < 1) || t === p.operatingPoint) return p;
      userThresholds.findings.push(p.label);
      return {...p, operatingPoint: t, calibrated: calibrate(p.raw, t, {scaleUpper: options.scaleUpper})};
    });
  }
  const rejected = ood ? !ood.inDistribution : false;
  let explanation = analysis.explanation;
  if (explanation && predictions) {
    const finding = predictions.find((p) => p.index === explanation!.finding.index);
    if (finding) explanation = {...explanation, finding};
  }
  return {
    ...analysis,
    ood,
    predictions,
    explanation,
    predictedDespiteRejection: rejected && predictions !== null,
    userThresholds
  };
}

/** A rejected image's predictions and maps are shown only when the user asks for them. */
export function shownAnalysis<T extends Analysis>(analysis: T, predictRejected: boolean): T {
  if (!analysis.ood || analysis.ood.inDistribution || predictRejected) return analysis;
  return {...analysis, predictions: null, explanation: null, evaluation: null, predictedDespiteRejection: false};
}
