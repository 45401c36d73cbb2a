/** A 2x2 confusion matrix with the rates derived from it, as an accessible table. */
import type {Confusion} from "../pipeline/metrics.js";
import {html} from "./html.js";

const rate = (v: number) => (Number.isNaN(v) ? "undefined" : v.toFixed(3));

export function confusionMatrix(c: Confusion, {positive = "positive", negative = "negative", caption}: {positive?: string; negative?: string; caption?: string} = {}): HTMLElement {
  const n = c.tp + c.fp + c.tn + c.fn;
  const cell = (count: number, what: string, good: boolean) =>
    html`<td class=${`confusion-cell ${good ? "confusion-cell--right" : "confusion-cell--wrong"}`} style=${`text-align:center;padding:0.5rem 1rem;background:${good ? "#e6f4ea" : "#fdecea"}`} data-cell=${what} title=${`${what}: ${count} of ${n}`}><b>${count}</b><br><span class="muted">${what}</span></td>`;
  return html`<div class="confusion">
    <table class="confusion-matrix" style="max-width:30rem">
      ${caption ? html`<caption>${caption}</caption>` : ""}
      <thead><tr><td></td><th scope="col">predicted ${positive}</th><th scope="col">predicted ${negative}</th></tr></thead>
      <tbody>
        <tr><th scope="row">labelled ${positive}</th>${cell(c.tp, "true positives", true)}${cell(c.fn, "false negatives", false)}</tr>
        <tr><th scope="row">labelled ${negative}</th>${cell(c.fp, "false positives", false)}${cell(c.tn, "true negatives", true)}</tr>
      </tbody>
    </table>
    <dl class="confusion-rates" style="display:grid;grid-template-columns:max-content max-content;gap:0.1rem 1rem;margin:0.5rem 0">
      <dt>Sensitivity</dt><dd data-rate="sensitivity">${rate(c.sensitivity)}</dd>
      <dt>Specificity</dt><dd data-rate="specificity">${rate(c.specificity)}</dd>
      <dt>PPV</dt><dd data-rate="ppv">${rate(c.ppv)}</dd>
      <dt>NPV</dt><dd data-rate="npv">${rate(c.npv)}</dd>
      <dt>Accuracy</dt><dd data-rate="accuracy">${rate(c.accuracy)}</dd>
    </dl>
  </div>` as HTMLElement;
}
