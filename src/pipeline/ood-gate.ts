/**
 * Which OOD decision rules an image: the card's default gate (`oodGate.default`, chosen on
 * validation data by `npm run ood-stats`), or any other score the card has a threshold for. A
 * bundle without `oodGate` (Chester's folders, older bundles) keeps its autoencoder's decision.
 */
import type {Card, GateScoreName, OodDecision} from "./bundle/card.js";
import type {GateScores, OodResult} from "./ood.js";

/** Every decision the card offers, one per score. */
export function gateDecisions(card: Card): OodDecision[] {
  if (card.oodGate) return card.oodGate.decisions;
  return card.ood ? [card.ood.decision] : [];
}

/** The decision for `score`, or the card's default when none is asked for; null: no gate at all. */
export function gateDecision(card: Card, score?: GateScoreName): OodDecision | null {
  const decisions = gateDecisions(card);
  const wanted = score ?? card.oodGate?.default ?? card.ood?.decision.score;
  if (wanted === undefined) return null;
  const decision = decisions.find((d) => d.score === wanted);
  if (!decision)
    throw new RangeError(`this bundle has no OOD gate on ${JSON.stringify(wanted)}; it has: ${decisions.map((d) => d.score).join(", ") || "none"}`);
  return decision;
}

/** All of an OOD result's scores in one record (the autoencoder's and the feature-space ones). */
export function allScores(ood: Pick<OodResult, "scores" | "featureScores">): GateScores {
  return {...ood.scores, ...(ood.featureScores ?? {})};
}
