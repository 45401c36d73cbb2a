/**
 * The OOD gate over every score, for the OOD page: a gate selector (the card's default first), the
 * chosen score's histograms per set with its threshold, ROC per set, a table of AUROC and FPR at
 * 95 % TPR for every score and set, and the card's report on the gate targets (issue 15, item 3).
 * Takes the card and the parsed per-image scores; returns one element that redraws itself when the
 * selector changes (no page state needed).
 */
import type {Card, GateScoreName, OodDecision} from "../pipeline/bundle/card.js";
import {oodRocCurve, scoreColumns, scoresOf, rejectedShare, thinCurve, type OodScoreRow} from "../pipeline/evaluation-figures.js";
import {oodAuroc} from "../pipeline/metrics.js";
import {GATE_SCORE_HIGHER_IS_OUT} from "../pipeline/ood.js";
import {fprAtTpr} from "../pipeline/ood-evaluation.js";
import {scoreHistograms} from "./histogram-chart.js";
import {html} from "./html.js";
import {rocChart} from "./roc-chart.js";

export const GATE_SCORE_LABELS: Record<GateScoreName, string> = {
  l1: "L1 (autoencoder)",
  l2: "L2 (autoencoder)",
  ssim: "SSIM (autoencoder)",
  ssim8: "SSIM 8x8 (autoencoder)",
  latent: "latent norm (autoencoder)",
  mahalanobis: "Mahalanobis (classifier features)",
  knn: "kNN distance (classifier features)",
  energy: "energy (classifier logits)",
  msp: "max. probability (classifier)"
};

interface TargetReport {
  score: GateScoreName;
  threshold: number;
  inDistributionTestAccepted: number;
  testImages: number;
  imagesPerSet?: number;
  measuredBy?: string;
  sets: {set: string; auroc: number; fprAt95Tpr: number; rejected: number; target: number; met: boolean; images: number}[];
  degenerate: {image: string; rejected: boolean; check: string | null; predicted: boolean}[];
  degenerateMet: boolean;
  allMet: boolean;
}

export interface GatePanelOptions {
  /** Where the rows come from, for the caption (e.g. "evaluation/ood-gate-scores.csv"). */
  source: string;
  colours?: string[];
}

const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)} %` : "–");
const fixed = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : "–");

export function oodGatePanel(card: Card, rows: OodScoreRow[], options: GatePanelOptions): HTMLElement {
  const scores = scoreColumns(rows);
  const decisions: OodDecision[] = card.oodGate?.decisions ?? (card.ood ? [card.ood.decision] : []);
  const defaultScore = card.oodGate?.default ?? card.ood?.decision.score ?? scores[0]!;
  const sets = [...new Set(rows.map((r) => r.set))].filter((s) => s !== "validation" && s !== "test");
  const root = html`<div class="ood-gate-panel"></div>` as HTMLElement;
  if (!rows.length || !sets.length) {
    root.append(html`<p class="muted">No per-image gate scores for this bundle yet (run <code>npm run ood-stats -- ${card.name} --report N</code>).</p>`);
    return root;
  }
  const select = html`<select aria-label="Gate score" class="gate-select">${decisions
    .filter((d) => scores.includes(d.score))
    .map((d) => html`<option value=${d.score} selected=${d.score === defaultScore}>${GATE_SCORE_LABELS[d.score]}${d.score === defaultScore ? " — the card's default" : ""}</option>`)}</select>` as HTMLSelectElement;
  const body = html`<div></div>` as HTMLElement;
  const inside = (score: GateScoreName) => scoresOf(rows, "test", score);

  // AUROC and FPR at 95 % TPR, every score x set: the table the selector does not change.
  const table = html`<table class="gate-table">
    <caption>Every score against each set (in distribution: the ${inside(scores[0]!).length} test images of <code>${options.source}</code>): AUROC / FPR at 95 % TPR (share of the set accepted when 95 % of test images are). Bold: the card's default gate.</caption>
    <thead><tr><th>score</th>${sets.map((s) => html`<th>${s}</th>`)}</tr></thead>
    <tbody>${scores.map((score) => html`<tr data-score=${score}><td>${score === defaultScore ? html`<b>${GATE_SCORE_LABELS[score]}</b>` : GATE_SCORE_LABELS[score]}</td>${sets.map((set) => {
      const out = scoresOf(rows, set, score);
      const higher = GATE_SCORE_HIGHER_IS_OUT[score];
      return html`<td data-set=${set} style="text-align:right"><span class="auroc">${fixed(oodAuroc(inside(score), out, higher))}</span> / <span class="fpr">${pct(fprAtTpr(inside(score), out, higher))}</span></td>`;
    })}</tr>`)}</tbody>
  </table>`;

  const draw = () => {
    const score = select.value as GateScoreName;
    const decision = decisions.find((d) => d.score === score)!;
    const groups = ["test", ...sets].map((set) => ({name: set === "test" ? "test (in distribution)" : set, values: scoresOf(rows, set, score)}));
    const higher = GATE_SCORE_HIGHER_IS_OUT[score];
    const histograms = scoreHistograms(groups, {
      label: `${GATE_SCORE_LABELS[score]} (${higher ? "higher" : "lower"} = stranger)`,
      title: `${GATE_SCORE_LABELS[score]}${score === defaultScore ? " (the default gate)" : ""}`,
      width: 640,
      rowHeight: 46,
      bins: 40,
      colours: options.colours,
      threshold: decision.threshold,
      rejects: decision.inDistributionWhen === "above" ? "below" : "above"
    });
    // Its own class: the page's Figure 5 counts its histograms by theirs.
    histograms.classList.replace("score-histograms", "gate-histograms");
    body.replaceChildren(
      html`<p class="gate-shares">At this gate (${score} ${decision.inDistributionWhen === "above" ? ">" : "<"} ${decision.threshold.toPrecision(4)}, set on validation images):
        ${groups.map((g, i) => html`${i ? ", " : ""}<b>${g.name}</b> ${pct(rejectedShare(g.values, decision.threshold, decision.inDistributionWhen))} rejected`)}.</p>`,
      histograms,
      html`<div class="grid grid-cols-2">${sets.map((set) => {
        const curve = thinCurve(oodRocCurve(inside(score), scoresOf(rows, set, score), higher));
        return rocChart([{name: `${score} (AUROC ${fixed(oodAuroc(inside(score), scoresOf(rows, set, score), higher))})`, fpr: curve.fpr, tpr: curve.tpr}],
          {title: `Test chest X-rays vs ${set}`, wording: "ood", width: 420, height: 300, legend: true});
      })}</div>`
    );
  };
  select.addEventListener("change", draw);
  draw();
  root.append(html`<label>Gate: ${select}</label>`, body, table, targetReport(card));
  return root;
}

/** The card's report on the gate targets (scripts/ood-gate-report.ts), met or not. */
export function targetReport(card: Card): HTMLElement {
  const report = (card.metrics as {oodGate?: TargetReport} | undefined)?.oodGate;
  if (!report) return html`<p class="muted">The card has no gate report yet.</p>`;
  const mark = (met: boolean) => (met ? html`<span class="met">✓ met</span>` : html`<span class="missed">✕ missed</span>`);
  return html`<div class="gate-report">
    <table>
      <caption>The default gate (${report.score}) against the targets${report.imagesPerSet ? `, on ${report.imagesPerSet} evenly spaced images per set` : ""}${report.measuredBy ? html` (<code>${report.measuredBy}</code>)` : ""}</caption>
      <thead><tr><th>set</th><th>images</th><th>AUROC</th><th>target</th><th>FPR at 95 % TPR</th><th>rejected at the gate</th><th></th></tr></thead>
      <tbody>
        <tr data-set="test"><td>test (in distribution)</td><td>${report.testImages}</td><td></td><td>accept ≥ 95 %</td><td></td><td>${pct(1 - report.inDistributionTestAccepted)}</td><td>${mark(report.inDistributionTestAccepted >= 0.95)}</td></tr>
        ${report.sets.map((s) => html`<tr data-set=${s.set}><td>${s.set}</td><td>${s.images}</td><td>${fixed(s.auroc)}</td><td>≥ ${s.target}</td><td>${pct(s.fprAt95Tpr)}</td><td>${pct(s.rejected)}</td><td>${mark(s.met)}</td></tr>`)}
      </tbody>
    </table>
    <p>Blank, near-constant and noise images (made on the spot: ${report.degenerate.map((d) => d.image).join(", ")}):
      ${report.degenerate.filter((d) => d.rejected && !d.predicted).length} of ${report.degenerate.length} refused before prediction ${mark(report.degenerateMet)}.
      All targets: ${mark(report.allMet)}.</p>
  </div>` as HTMLElement;
}
