/**
 * Chester Figure 6: the classifier's AUC on the images an OOD cutoff keeps, against the share kept,
 * one line per OOD score, as the cutoff tightens (right to left).
 */
import * as Plot from "@observablehq/plot";
import type {CoveragePoint} from "../pipeline/metrics.js";

export interface CoverageSeries {
  name: string;
  points: CoveragePoint[];
}

export interface CoverageMarker {
  coverage: number;
  auc: number;
  label: string;
}

export function coverageChart(series: CoverageSeries[], {markers = [], width = 640, height = 340, title, colours}: {markers?: CoverageMarker[]; width?: number; height?: number; title?: string; colours?: string[]} = {}): HTMLElement | SVGElement {
  const rows = series.flatMap((s) => s.points.filter((p) => !Number.isNaN(p.auc)).map((p) => ({...p, name: s.name})));
  const chart = Plot.plot({
    width,
    height,
    title,
    marginLeft: 52,
    marginBottom: 42,
    x: {domain: [0, 1], reverse: true, label: "← Share of test images kept (coverage); the cutoff tightens to the right", grid: true, tickFormat: "~%"},
    y: {label: "↑ Classifier AUC on the kept images", grid: true, nice: true},
    color: {domain: series.map((s) => s.name), ...(colours ? {range: colours} : {}), legend: true},
    marks: [
      Plot.line(rows, {x: "coverage", y: "auc", z: "name", stroke: "name", strokeWidth: 1.8, marker: "circle-stroke"}),
      Plot.tip(rows, Plot.pointer({x: "coverage", y: "auc", title: (d: CoveragePoint & {name: string}) => `${d.name}\ncutoff ${d.cutoff.toPrecision(4)}\nkept ${d.kept} (${(100 * d.coverage).toFixed(1)} %)\nAUC ${d.auc.toFixed(3)}`})),
      Plot.dot(markers.filter((m) => !Number.isNaN(m.auc)), {x: "coverage", y: "auc", r: 7, stroke: "#d9480f", strokeWidth: 2.5}),
      Plot.text(markers.filter((m) => !Number.isNaN(m.auc)), {x: "coverage", y: "auc", text: "label", dx: 10, dy: -10, textAnchor: "start", fontSize: 11, stroke: "white", strokeWidth: 3, fill: "#d9480f"})
    ]
  }) as HTMLElement | SVGElement;
  chart.classList.add("coverage-chart");
  chart.setAttribute("aria-label", title ?? "Classifier AUC against coverage");
  return chart;
}
