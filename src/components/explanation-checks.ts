/**
 * The Explanation evaluation page's views of the faithfulness checks (src/pipeline/faithfulness/):
 * deletion / insertion and ROAD curves per method, how the ranking of methods moves with the
 * perturbation baseline, the sanity check's similarity per randomised block, a radiologist's box
 * over a map, and the agreement table of a sample set. Each returns a DOM node; no computation
 * heavier than ranking a few numbers happens here.
 */
import * as Plot from "@observablehq/plot";
import {metricAgreement, type AgreementTable} from "../pipeline/faithfulness/agreement.js";
import type {CurveKind, CurveResult} from "../pipeline/faithfulness/curves.js";
import {columnName, HIGHER_IS_BETTER, type FaithfulnessMetric, type FaithfulnessRow} from "../pipeline/faithfulness/evaluate-image.js";
import type {Box} from "../pipeline/faithfulness/localisation.js";
import type {SanityResult} from "../pipeline/faithfulness/sanity.js";
import {html} from "./html.js";

type Labels = Record<string, string>;
const nameOf = (labels: Labels) => (m: string) => labels[m] ?? m;

export const CURVE_TITLES: Record<CurveKind, string> = {
  deletion: "Deletion: most relevant first set to black (lower area is better)",
  insertion: "Insertion: most relevant first shown over a blurred copy (higher is better)",
  "road-morf": "ROAD, most relevant first removed (MoRF: lower is better)",
  "road-lerf": "ROAD, least relevant first removed (LeRF: higher is better)"
};

/** One chart per curve kind: the class score as pixels are removed (inserted), one line per method. */
export function curvesChart(curves: (CurveResult & {method: string})[], kind: CurveKind, {labels = {}, width = 480}: {labels?: Labels; width?: number} = {}): HTMLElement {
  const name = nameOf(labels);
  const points = curves.filter((c) => c.kind === kind).flatMap((c) => c.fractions.map((f, i) => ({method: name(c.method), fraction: 100 * f, score: c.scores[i]!, area: c.area})));
  const chart = Plot.plot({
    width,
    height: 260,
    title: CURVE_TITLES[kind],
    x: {domain: kind.startsWith("road") ? [10, 90] : [0, 100], label: kind === "insertion" ? "% of pixels shown (most relevant first) →" : `% of pixels removed (${kind === "road-lerf" ? "least" : "most"} relevant first) →`, grid: true},
    y: {domain: [0, 1], label: "↑ class score", grid: true},
    color: {legend: true, scheme: "category10"},
    marks: [
      Plot.line(points, {x: "fraction", y: "score", stroke: "method", z: "method", strokeWidth: 2, marker: "dot"}),
      Plot.tip(points, Plot.pointerX({x: "fraction", y: "score", stroke: "method", title: (d: {method: string; fraction: number; score: number; area: number}) => `${d.method}: ${d.score.toFixed(3)} at ${d.fraction.toFixed(0)} %; area ${d.area.toFixed(3)}`}))
    ]
  }) as HTMLElement;
  chart.classList.add("faithfulness-curve", `curve-${kind}`);
  return chart;
}

/** Areas of every curve per method, and ROAD's gap (LeRF - MoRF). */
export function areaTable(curves: (CurveResult & {method: string})[], {labels = {}}: {labels?: Labels} = {}): HTMLElement {
  const name = nameOf(labels);
  const methods = [...new Set(curves.map((c) => c.method))];
  const area = (m: string, k: CurveKind) => curves.find((c) => c.method === m && c.kind === k)?.area;
  const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(3));
  return html`<table class="faithfulness-areas">
    <thead><tr><th>method</th><th>deletion ↓</th><th>insertion ↑</th><th>ROAD MoRF ↓</th><th>ROAD LeRF ↑</th><th>ROAD gap (LeRF − MoRF) ↑</th></tr></thead>
    <tbody>${methods.map((m) => {
      const morf = area(m, "road-morf");
      const lerf = area(m, "road-lerf");
      return html`<tr data-method=${m}><td>${name(m)}</td><td>${fmt(area(m, "deletion"))}</td><td>${fmt(area(m, "insertion"))}</td><td>${fmt(morf)}</td><td>${fmt(lerf)}</td><td>${fmt(morf === undefined || lerf === undefined ? undefined : lerf - morf)}</td></tr>`;
    })}</tbody>
  </table>` as HTMLElement;
}

export interface MetricChoice {
  metric: FaithfulnessMetric;
  alpha: number | null;
}

/**
 * The baseline as a control: under each baseline, each method's value of one metric (AD, BAD at
 * an alpha, or IC) and its rank among the methods (1 = best). Lines that cross are rankings that
 * flip with what replaces the removed pixels.
 */
export function baselineRanking(rows: FaithfulnessRow[], choice: MetricChoice, {labels = {}, width = 560}: {labels?: Labels; width?: number} = {}): HTMLElement {
  const name = nameOf(labels);
  const chosen = rows.filter((r) => r.metric === choice.metric && r.alpha === choice.alpha);
  const methods = [...new Set(chosen.map((r) => r.method))];
  const baselines = [...new Set(chosen.map((r) => r.baseline))];
  const points = baselines.flatMap((baseline) => {
    const values = methods.map((m) => chosen.find((r) => r.method === m && r.baseline === baseline)?.value ?? NaN);
    const ranks = metricAgreement(methods, [{metric: baseline, higherIsBetter: HIGHER_IS_BETTER[choice.metric], values}]).ranks[0]!;
    return methods.map((m, i) => ({baseline, method: name(m), value: values[i]!, rank: ranks[i]!}));
  });
  const chart = Plot.plot({
    width,
    height: 60 + 40 * methods.length,
    marginLeft: 50,
    marginRight: 120,
    x: {domain: baselines, label: "baseline: what a removed pixel becomes", padding: 0.3},
    y: {domain: [methods.length + 0.5, 0.5], label: "↑ rank (1 = best)", ticks: methods.length},
    color: {legend: true, scheme: "category10"},
    marks: [
      Plot.line(points, {x: "baseline", y: "rank", stroke: "method", z: "method", strokeWidth: 2}),
      Plot.dot(points, {x: "baseline", y: "rank", fill: "method", r: 5, title: (d: {method: string; baseline: string; value: number; rank: number}) => `${d.method} under ${d.baseline}: ${d.value.toFixed(2)} (rank ${d.rank})`}),
      Plot.text(points.filter((p) => p.baseline === baselines.at(-1)), {x: "baseline", y: "rank", text: "method", dx: 10, textAnchor: "start", fontSize: 11})
    ]
  }) as HTMLElement;
  const flips = baselines.length > 1 && baselines.some((b) => {
    const at = (x: string) => methods.map((m) => points.find((p) => p.baseline === x && p.method === name(m))!.rank).join(",");
    return at(b) !== at(baselines[0]!);
  });
  const unit = choice.metric === "increase-in-confidence" ? "% (100 = the score rose)" : "% drop";
  return html`<div class="baseline-ranking">
    ${chart}
    <table class="baseline-values"><thead><tr><th>method</th>${baselines.map((b) => html`<th>${b}</th>`)}</tr></thead>
      <tbody>${methods.map((m) => html`<tr data-method=${m}><td>${name(m)}</td>${baselines.map((b) => {
        const p = points.find((x) => x.baseline === b && x.method === name(m))!;
        return html`<td>${Number.isFinite(p.value) ? p.value.toFixed(1) : "–"} (${Number.isFinite(p.rank) ? p.rank : "–"})</td>`;
      })}</tr>`)}</tbody></table>
    <p class="muted">Values in ${unit}, rank in brackets. ${flips ? html`<b>The ranking changes with the baseline</b> for this image: the metric scores the perturbation as much as the map.` : "The ranking is the same under every baseline for this image."}</p>
  </div>` as HTMLElement;
}

/** Similarity of each method's map to the trained model's as blocks are randomised from the head down. */
export function sanityChart(result: SanityResult, {labels = {}, width = 640}: {labels?: Labels; width?: number} = {}): HTMLElement {
  const name = nameOf(labels);
  const blocks = result.steps.map((s) => s.randomised.at(-1)!);
  const points = result.steps.flatMap((step, i) =>
    Object.entries(step.similarity).flatMap(([m, s]) => [
      {block: blocks[i]!, method: name(m), measure: "Spearman", value: s!.spearman},
      {block: blocks[i]!, method: name(m), measure: "SSIM", value: s!.ssim}
    ])
  ).filter((p) => Number.isFinite(p.value));
  const chart = Plot.plot({
    width,
    height: 300,
    marginBottom: 50,
    x: {domain: blocks, label: "randomised up to (head first) →", tickRotate: -30},
    y: {domain: [-1, 1], label: "↑ similarity to the trained model's map (Spearman solid, SSIM dashed)", grid: true},
    color: {legend: true, scheme: "category10"},
    marks: [
      Plot.ruleY([result.threshold], {stroke: "#999", strokeDasharray: "2,3"}),
      Plot.line(points.filter((p) => p.measure === "Spearman"), {x: "block", y: "value", stroke: "method", z: "method", strokeWidth: 2, marker: "dot"}),
      Plot.line(points.filter((p) => p.measure === "SSIM"), {x: "block", y: "value", stroke: "method", z: "method", strokeWidth: 1.5, strokeDasharray: "5,4"}),
      Plot.tip(points, Plot.pointer({x: "block", y: "value", stroke: "method", title: (d: {method: string; measure: string; block: string; value: number}) => `${d.method}, ${d.measure} after randomising up to ${d.block}: ${d.value.toFixed(3)}`}))
    ]
  }) as HTMLElement;
  chart.classList.add("sanity-chart");
  const methods = Object.keys(result.steps[0]?.similarity ?? {});
  return html`<div class="sanity">
    ${chart}
    <p class="sanity-verdict">${result.flagged.length
      ? html`<b>Flagged</b> (Spearman still above ${result.threshold} with every block random: the map does not depend on what the model learned): ${result.flagged.map(name).join(", ")}.`
      : html`No method flagged: with every block random, each map's Spearman correlation with the trained model's is at most ${result.threshold} (${methods.map(name).join(", ")}).`}
      A missing point is a constant map (e.g. a ReLU'd map that is zero everywhere), whose rank correlation is undefined.</p>
  </div>` as HTMLElement;
}

/** A box drawn over a map panel's canvas (box in the size x size input frame). */
export function drawBox(canvas: HTMLCanvasElement, box: Box, size: number, colour = "#00e5ff"): HTMLCanvasElement {
  const context = canvas.getContext("2d")!;
  const k = canvas.width / size;
  context.strokeStyle = colour;
  context.lineWidth = Math.max(2, canvas.width / 128);
  context.strokeRect(box.x * k, box.y * k, box.width * k, box.height * k);
  return canvas;
}

/** The columns the agreement view shows, in order: the claim's metrics first, then the baseline control. */
export function agreementColumns(alpha: number): {key: string; label: string}[] {
  return [
    {key: `black-average-drop black ${alpha}%`, label: `BAD ${alpha} % (black) ↓`},
    {key: "average-drop black", label: "AD (black) ↓"},
    {key: "deletion black", label: "Deletion ↓"},
    {key: "insertion blur", label: "Insertion ↑"},
    {key: "road-gap noisy-linear", label: "ROAD gap ↑"},
    {key: "pointing-game", label: "Pointing game ↑"},
    {key: "energy-inside", label: "Energy inside ↑"},
    {key: "iou", label: "IoU ↑"},
    {key: `black-average-drop mean ${alpha}%`, label: `BAD ${alpha} % (mean) ↓`},
    {key: `black-average-drop blur ${alpha}%`, label: `BAD ${alpha} % (blur) ↓`},
    {key: `black-average-drop noisy-linear ${alpha}%`, label: `BAD ${alpha} % (ROAD imputation) ↓`}
  ];
}

export interface AgreementData {
  bundle: string;
  finding: string;
  images: {path: string; box: boolean}[];
  methods: string[];
  table: AgreementTable;
}

/** Kendall's tau between two columns of the table (NaN when absent). */
export function tauOf(table: AgreementTable, a: string, b: string): number {
  const pair = table.pairs.find((p) => (p.a === a && p.b === b) || (p.a === b && p.b === a));
  return pair ? pair.tau : NaN;
}

/** Every method under the shown metrics (mean over the sample, rank), and tau between the metrics. */
export function agreementView(data: AgreementData, alpha: number, {labels = {}, width = 640}: {labels?: Labels; width?: number} = {}): HTMLElement {
  const name = nameOf(labels);
  const {table} = data;
  const columns = agreementColumns(alpha).filter((c) => table.metrics.some((m) => m.metric === c.key));
  const index = (key: string) => table.metrics.findIndex((m) => m.metric === key);
  const fmt = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(3)) : "–");
  const values = html`<table class="agreement-table" data-bundle=${data.bundle}>
    <thead><tr><th>method</th>${columns.map((c) => html`<th>${c.label}</th>`)}</tr></thead>
    <tbody>${table.methods.map((m, i) => html`<tr data-method=${m}><td>${name(m)}</td>${columns.map((c) => {
      const k = index(c.key);
      return html`<td data-metric=${c.key}>${fmt(table.metrics[k]!.values[i]!)} <span class="muted">(${Number.isFinite(table.ranks[k]![i]!) ? table.ranks[k]![i] : "–"})</span></td>`;
    })}</tr>`)}</tbody>
  </table>` as HTMLElement;
  const cells = columns.flatMap((a) => columns.map((b) => ({a: a.label, b: b.label, tau: a.key === b.key ? 1 : tauOf(table, a.key, b.key)})));
  const heat = Plot.plot({
    width,
    height: 80 + 34 * columns.length,
    marginLeft: 200,
    marginBottom: 140,
    x: {domain: columns.map((c) => c.label), label: null, tickRotate: -40},
    y: {domain: columns.map((c) => c.label), label: null},
    color: {type: "linear", domain: [-1, 1], scheme: "RdBu", legend: true, label: "Kendall's τ between the metrics' rankings of the methods"},
    marks: [
      Plot.cell(cells, {x: "a", y: "b", fill: (d: {tau: number}) => (Number.isFinite(d.tau) ? d.tau : null), inset: 0.5}),
      // Light figures on the dark ends of the scale (two marks: a constant fill is a colour, not the scale's).
      Plot.text(cells.filter((d) => !(Math.abs(d.tau) > 0.6)), {x: "a", y: "b", text: (d: {tau: number}) => (Number.isFinite(d.tau) ? d.tau.toFixed(2) : "–"), fill: "black", fontSize: 10}),
      Plot.text(cells.filter((d) => Math.abs(d.tau) > 0.6), {x: "a", y: "b", text: (d: {tau: number}) => d.tau.toFixed(2), fill: "white", fontSize: 10})
    ]
  }) as HTMLElement;
  heat.classList.add("agreement-tau");
  const bad = `black-average-drop black ${alpha}%`;
  const say = (key: string, what: string) => {
    const t = tauOf(table, bad, key);
    return Number.isFinite(t) ? html`<li>BAD ${alpha} % against ${what}: <b class="tau">τ = ${t.toFixed(2)}</b> (${t > 0.5 ? "largely the same order" : t < -0.5 ? "largely reversed" : "little agreement"})</li>` : null;
  };
  return html`<div class="agreement" data-bundle=${data.bundle}>
    ${values}
    <p class="muted">Each cell: the mean over the sample's ${data.images.length} images, and in brackets the method's rank under that metric (1 = best; ↓ lower is better, ↑ higher).</p>
    <ul class="agreement-answer">
      ${say("deletion black", "the deletion curve")}
      ${say("insertion blur", "the insertion curve")}
      ${say("road-gap noisy-linear", "ROAD")}
      ${say("pointing-game", "the radiologists' boxes (pointing game)")}
      ${say("energy-inside", "the boxes (energy inside)")}
      ${say(`black-average-drop noisy-linear ${alpha}%`, "itself with ROAD's imputation instead of black")}
    </ul>
    ${heat}
  </div>` as HTMLElement;
}

export {columnName};
