/** Which thresholds a page is using: the card's, or the ones the user set on any page (with a reset). */
import type {Prediction} from "../pipeline/analyse.js";
import {html} from "./html.js";
import {workbench, type ModelThresholds} from "./workbench-state.js";
import type {WorkerModelInfo} from "./worker-protocol.js";

export function thresholdsInUse(model: Pick<WorkerModelInfo, "card" | "oodDecision">, thresholds: ModelThresholds): HTMLElement {
  const card = model.card;
  const findings = Object.entries(thresholds.findings ?? {}).filter(([label, t]) => {
    const i = card.labels.indexOf(label);
    return i >= 0 && t !== card.operatingPoints[i];
  });
  const gate = thresholds.gate && (thresholds.gate.score !== model.oodDecision?.score || thresholds.gate.cutoff !== model.oodDecision?.threshold) ? thresholds.gate : null;
  if (!gate && !findings.length)
    return html`<p class="thresholds-in-use muted" id="thresholds-in-use">Thresholds: the model card's (the OOD gate${model.oodDecision ? ` ${model.oodDecision.score} ${model.oodDecision.inDistributionWhen === "above" ? ">" : "<"} ${model.oodDecision.threshold.toPrecision(4)}` : ""} and each finding's operating point). Set your own on <a href="./ood.html" data-workbench-link>Out-of-distribution</a> and <a href="./prediction.html" data-workbench-link>Prediction</a>; they apply on every page.</p>`;
  const reset = html`<button type="button">Back to the card's thresholds</button>` as HTMLButtonElement;
  reset.onclick = () => workbench.resetThresholds();
  return html`<p class="thresholds-in-use" id="thresholds-in-use" role="status"><b>Your thresholds are in use</b> (set on this or another page):
    ${gate ? html`OOD gate <code>${gate.score}</code> at ${gate.cutoff.toPrecision(4)}` : ""}${gate && findings.length ? "; " : ""}
    ${findings.map(([label, t], i) => html`${i ? ", " : ""}${label} ${t.toPrecision(3)} (card ${card.operatingPoints[card.labels.indexOf(label)]!.toPrecision(3)})`)}. ${reset}</p>`;
}

/** Each finding's call in words, at the threshold in force (the card's or the user's). */
export function findingCalls(analysis: {predictions: Prediction[] | null; userThresholds?: {findings: string[]}}): HTMLElement {
  const predictions = analysis.predictions ?? [];
  const positives = predictions.filter((p) => p.raw >= p.operatingPoint);
  const mine = new Set(analysis.userThresholds?.findings ?? []);
  return html`<details id="finding-calls" open=${predictions.length <= 3}><summary>${positives.length ? html`Called positive: <b>${positives.map((p) => p.label).join(", ")}</b>` : "No finding called positive"} (each at its threshold)</summary>
    <ul>${predictions.map((p) => html`<li data-finding=${p.label} data-call=${p.raw >= p.operatingPoint ? "positive" : "negative"} data-calibrated=${p.calibrated} data-raw=${p.raw}>
      ${p.label}: <b>${p.raw >= p.operatingPoint ? "positive" : "negative"}</b>, raw output ${p.raw.toFixed(4)} ${p.raw >= p.operatingPoint ? "≥" : "<"} threshold ${p.operatingPoint.toPrecision(3)}${mine.has(p.label) ? " (yours)" : " (the card's operating point)"}; calibrated ${p.calibrated.toFixed(3)}</li>`)}</ul></details>`;
}
