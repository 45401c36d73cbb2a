/** Small panels the pages share: errors, the loaded model, the OOD verdict, stage timings. */
import * as Plot from "@observablehq/plot";
import type {Analysis} from "../pipeline/analyse.js";
import type {OodResult} from "../pipeline/ood.js";
import {allScores} from "../pipeline/ood-gate.js";
import {html} from "./html.js";
import type {WorkerModelInfo} from "./worker-protocol.js";

export function errorBox(title: string, error: unknown): HTMLElement {
  const message = error instanceof Error ? error.message : String(error);
  return html`<div class="warning" role="alert"><b>${title}.</b> ${message}</div>`;
}

/** What the pages show about the loaded model (loaded in the analysis worker). */
export function modelSummary(loaded: WorkerModelInfo): HTMLElement {
  const {card, kind, oodDecision, backend} = loaded;
  const labels = card.labels.filter((l) => l.trim());
  const gate = oodDecision
    ? `OOD gate: ${oodDecision.score} ${oodDecision.inDistributionWhen === "above" ? ">" : "<"} ${oodDecision.threshold.toPrecision(4)}`
    : "no OOD model";
  return html`<p class="model-summary" role="status">
    <b>${loaded.description}</b>${kind === "chester" ? " (Chester's published format)" : ""}: ${labels.length} finding${labels.length > 1 ? "s" : ""},
    ${card.classifier.inputSize} px input, ${gate}. Loaded and warmed up in ${(loaded.loadMs / 1000).toFixed(2)} s${loaded.fromCache ? " from this browser's cache" : ""}
    in a background worker (CAM fast path ${loaded.fastPathVerified ? "verified" : "not available: gradients used"}).
    TF.js backend: <b>${backend.name}</b> <span class="muted">(${backend.reason})</span>.
  </p>`;
}

export function oodVerdict(analysis: Analysis, {asked = true, userGate = false}: {asked?: boolean; userGate?: boolean} = {}): HTMLElement {
  const {check, decision, inDistribution} = analysis.gate;
  const forcedWhy = asked ? " because you asked" : " to show what the model does with it";
  if (!check.ok) {
    const forced = analysis.predictedDespiteRejection ? html`, <b>predicted anyway</b>${forcedWhy}: treat these outputs with great caution` : ", so no model was run on it";
    return html`<p class="verdict ${analysis.predictedDespiteRejection ? "verdict--forced" : "verdict--out"}" role="alert" data-check=${check.code}>✕ <b>Rejected as out of distribution</b> before any model ran: ${check.message}${forced}.</p>`;
  }
  if (!decision) return html`<p class="muted">This model has no OOD gate: every image is predicted.</p>`;
  const value = analysis.ood ? allScores(analysis.ood)[decision.score] : analysis.gate.featureScores?.[decision.score as keyof typeof analysis.gate.featureScores];
  const rule = `${decision.score.toUpperCase()} ${value?.toFixed(4) ?? "not computed"} ${inDistribution ? (decision.inDistributionWhen === "above" ? ">" : "<") : decision.inDistributionWhen === "above" ? "≤" : "≥"} ${decision.threshold.toFixed(4)}`;
  const whose = userGate ? " (your threshold)" : "";
  if (inDistribution) return html`<p class="verdict verdict--in" role="status">✓ <b>In distribution</b>: it scores like the training images (${rule}${whose}).</p>`;
  if (analysis.predictedDespiteRejection)
    return html`<p class="verdict verdict--forced" role="alert">⚠ <b>Rejected as out of distribution</b> (${rule}${whose}), <b>predicted anyway</b>${forcedWhy}: the model was not trained on images like this one, so treat these outputs with great caution.</p>`;
  return html`<p class="verdict verdict--out" role="alert">✕ <b>Rejected as out of distribution</b> (${rule}${whose}): this does not look like the chest X-rays the model was trained on, so no prediction is shown. Switch on "Predict images the OOD gate rejects" to see one anyway.</p>`;
}

export function timingTable(timings: Record<string, number>): HTMLElement | SVGElement {
  const rows = Object.entries(timings).map(([stage, ms]) => ({stage, ms}));
  const total = rows.reduce((a, r) => a + r.ms, 0);
  return Plot.plot({
    height: 30 + 22 * rows.length,
    marginLeft: 90,
    x: {label: `Milliseconds (total ${total.toFixed(0)} ms)`, grid: true},
    y: {domain: rows.map((r) => r.stage), label: null},
    marks: [
      Plot.barX(rows, {x: "ms", y: "stage", fill: "steelblue", title: (d: {stage: string; ms: number}) => `${d.stage}: ${d.ms.toFixed(1)} ms`}),
      Plot.text(rows, {x: "ms", y: "stage", text: (d: {ms: number}) => `${d.ms.toFixed(0)} ms`, dx: 22, fontSize: 10}),
      Plot.ruleX([0])
    ]
  }) as HTMLElement | SVGElement;
}

const SCORE_MEANING: Record<string, string> = {
  l1: "mean absolute error",
  l2: "mean squared error",
  ssim: "structural similarity (11x11 Gaussian)",
  ssim8: "SSIM on 8x8 windows (Chester)",
  latent: "norm of the latent code",
  mahalanobis: "Mahalanobis distance of the classifier's pooled features to the nearest class mean",
  knn: "distance to the k-th nearest training feature (unit length)",
  energy: "energy of the classifier's logits (each output as two classes)",
  msp: "maximum probability of each output's decision, averaged"
};

/** The OOD scores of one image, the gate's score marked. */
export function oodScoresTable(ood: OodResult): HTMLElement {
  return html`<table class="ood-scores">
    <thead><tr><th>score</th><th>value</th><th>meaning</th></tr></thead>
    <tbody>${Object.entries(allScores(ood)).map(([score, value]) => html`<tr>
      <td>${score === ood.decision.score ? html`<b>${score}</b> (gate)` : score}</td>
      <td style="text-align:right">${value.toFixed(4)}</td>
      <td class="muted">${SCORE_MEANING[score] ?? ""}</td></tr>`)}</tbody>
  </table>`;
}
