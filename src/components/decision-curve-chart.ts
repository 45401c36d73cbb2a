/**
 * A decision curve (Vickers and Elkin 2006): net benefit against the threshold probability for the
 * model (and the model after a recalibration file), treat-all and treat-none, with operating points
 * and the threshold probability a cost ratio means marked.
 */
import * as Plot from "@observablehq/plot";
import type {DecisionCurvePoint} from "../pipeline/decision-curve.js";

export interface DecisionCurveSeries {
  name: string;
  points: DecisionCurvePoint[];
}

export interface DecisionCurveMarker {
  threshold: number;
  netBenefit: number;
  label: string;
}

export interface DecisionCurveChartOptions {
  title?: string;
  width?: number;
  height?: number;
  xScale?: "linear" | "log";
  /** The lowest threshold probability drawn on a log axis. */
  logMin?: number;
  markers?: DecisionCurveMarker[];
  /** The threshold probability of the user's cost ratio: a vertical rule. */
  costThreshold?: {threshold: number; label: string};
  /** The prevalence (the net benefit of treating all at pt 0), for the y range. */
  prevalence: number;
}

export function decisionCurveChart(series: DecisionCurveSeries[], options: DecisionCurveChartOptions): HTMLElement | SVGElement {
  const {title, width = 640, height = 400, xScale = "linear", logMin = 1e-3, markers = [], costThreshold, prevalence} = options;
  const log = xScale === "log";
  const first = series[0]!.points;
  const rows = [
    ...series.flatMap((s) => s.points.map((p) => ({x: p.threshold, y: p.model, curve: s.name}))),
    ...first.map((p) => ({x: p.threshold, y: p.treatAll, curve: "treat all"})),
    ...first.map((p) => ({x: p.threshold, y: 0, curve: "treat none"}))
  ].filter((r) => !log || r.x >= logMin);
  const curves = [...series.map((s) => s.name), "treat all", "treat none"];
  // Net benefit is at most the prevalence; below a small negative margin treat-all only plunges.
  const top = Math.max(prevalence, ...rows.map((r) => r.y)) * 1.08;
  const bottom = -Math.max(0.02, 0.3 * prevalence);
  const chart = Plot.plot({
    width,
    height,
    title,
    marginLeft: 56,
    marginBottom: 42,
    clip: true,
    x: {type: log ? "log" : "linear", domain: [log ? logMin : 0, 1], label: `Threshold probability pt${log ? " (log scale)" : ""} →`, grid: true,
      ...(log ? {ticks: [0.001, 0.01, 0.1, 1].filter((t) => t >= logMin), tickFormat: (v: number) => String(v)} : {})},
    y: {domain: [bottom, top], label: "↑ Net benefit (true positives per case, net of harm)", grid: true},
    color: {domain: curves, range: [...["#1f77b4", "#2ca02c"].slice(0, series.length), "#ff7f0e", "#777"], legend: true},
    marks: [
      Plot.ruleY([0], {stroke: "#bbb"}),
      Plot.line(rows.filter((r) => !r.curve.startsWith("treat ")), {x: "x", y: "y", z: "curve", stroke: "curve", strokeWidth: 2.2}),
      Plot.line(rows.filter((r) => r.curve === "treat all"), {x: "x", y: "y", stroke: "curve", strokeWidth: 1.6, strokeDasharray: "6,3"}),
      Plot.line(rows.filter((r) => r.curve === "treat none"), {x: "x", y: "y", stroke: "curve", strokeWidth: 1.6, strokeDasharray: "2,3"}),
      ...(costThreshold
        ? [
            Plot.ruleX([costThreshold.threshold], {stroke: "#d9480f", strokeWidth: 1.5, strokeDasharray: "5,3"}),
            Plot.text([costThreshold], {x: "threshold", y: top, text: "label", dy: 10, dx: 4, textAnchor: "start", fontSize: 11, fill: "#d9480f", stroke: "white", strokeWidth: 3})
          ]
        : []),
      Plot.dot(markers, {x: "threshold", y: "netBenefit", r: 5, fill: "black", stroke: "white", title: "label"}),
      // Labels of points near the right edge go to their left, so they stay inside the chart.
      Plot.text(markers, {x: "threshold", y: "netBenefit", text: "label", dx: 8, dy: -10, textAnchor: "start", fontSize: 11, stroke: "white", strokeWidth: 3, fill: "black",
        filter: (m: DecisionCurveMarker) => m.threshold <= (log ? 0.15 : 0.6)}),
      Plot.text(markers, {x: "threshold", y: "netBenefit", text: "label", dx: -8, dy: -10, textAnchor: "end", fontSize: 11, stroke: "white", strokeWidth: 3, fill: "black",
        filter: (m: DecisionCurveMarker) => m.threshold > (log ? 0.15 : 0.6)})
    ]
  }) as HTMLElement | SVGElement;
  chart.classList.add("decision-curve-chart");
  chart.setAttribute("aria-label", title ?? "Decision curve");
  return chart;
}
