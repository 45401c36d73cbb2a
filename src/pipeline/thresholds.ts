/**
 * The user's thresholds applied to an analysis after the fact: a gate on any OOD score and each
 * finding's operating point. Pure (plain numbers in, plain numbers out), so a threshold moved on
 * one page re-decides every verdict without running a model again. An analysis made with
 * `predictRejected: true` carries predictions for every image; the gate decides whether they are
 * shown as trusted.
 */
import type {Analysis, Prediction} from "./analyse.js";
import {calibrate} from "./calibration.js";
import type {GateScoreName, OodDecision} from "./bundle/card.js";
import {GATE_SCORE_HIGHER_IS_OUT, isInDistribution} from "./ood-scores.js";

export interface UserThresholds {
  /** A score of the OOD result and its cutoff; its direction is the card's for that score, or the score's natural one. */
  gate?: {score: string; cutoff: number};
  /** Per finding label, the threshold on the raw sigmoid output. */
  findings?: Record<string, number>;
}

/**
 * The gate a user choice stands for: the card's direction for that score where the card has a
 * decision on it, else the score's natural one (GATE_SCORE_HIGHER_IS_OUT).
 */
export function userDecision(gate: {score: string; cutoff: number}, card?: OodDecision | null, cardDecisions: OodDecision[] = []): OodDecision {
  const known = [card, ...cardDecisions].find((d) => d && d.score === gate.score);
  const higherIsOut = GATE_SCORE_HIGHER_IS_OUT[gate.score as GateScoreName] ?? true;
  const inDistributionWhen = known ? known.inDistributionWhen : higherIsOut ? "below" : "above";
  return {score: gate.score, threshold: gate.cutoff, inDistributionWhen} as OodDecision;
}

export interface ThresholdedAnalysis extends Analysis {
  /** Which thresholds differ from the card's, for the page to say so. */
  userThresholds: {gate: boolean; findings: string[]};
}

export function applyThresholds(analysis: Analysis, thresholds: UserThresholds | undefined, options: {scaleUpper?: number; cardDecisions?: OodDecision[]} = {}): ThresholdedAnalysis {
  const userThresholds = {gate: false, findings: [] as string[]};
  let {ood, gate} = analysis;
  const scores: Record<string, number> = {...(ood?.scores ?? {}), ...(gate?.featureScores ?? ood?.featureScores ?? {})};
  if (thresholds?.gate && thresholds.gate.score in scores && Number.isFinite(thresholds.gate.cutoff)) {
    const current = gate?.decision ?? ood?.decision ?? null;
    const decision = userDecision(thresholds.gate, current, options.cardDecisions);
    // The pixel check (blank, noise) still refuses whatever the threshold.
    const checked = gate ? gate.check.ok : true;
    const inDistribution = checked && isInDistribution(scores, decision);
    if (gate) gate = {...gate, decision, inDistribution};
    if (ood) ood = {...ood, decision, inDistribution};
    userThresholds.gate = !current || decision.score !== current.score || decision.threshold !== current.threshold;
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
  const rejected = gate ? !gate.inDistribution : ood ? !ood.inDistribution : false;
  let explanation = analysis.explanation;
  if (explanation && predictions) {
    const finding = predictions.find((p) => p.index === explanation!.finding.index);
    if (finding) explanation = {...explanation, finding};
  }
  return {
    ...analysis,
    ood,
    gate,
    predictions,
    explanation,
    predictedDespiteRejection: rejected && predictions !== null,
    userThresholds
  };
}

/** A rejected image's predictions and maps are shown only when the user asks for them. */
export function shownAnalysis<T extends Analysis>(analysis: T, predictRejected: boolean): T {
  const inDistribution = analysis.gate ? analysis.gate.inDistribution : analysis.ood ? analysis.ood.inDistribution : true;
  if (inDistribution || predictRejected) return analysis;
  return {...analysis, predictions: null, explanation: null, evaluation: null, predictedDespiteRejection: false};
}
