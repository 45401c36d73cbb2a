/** ROC curves (Chester Figure 3 for findings, and the OOD scores per set) with marked points. */
import * as Plot from "@observablehq/plot";

export interface RocSeries {
  /** Legend entry, e.g. a finding or an OOD score. */
  name: string;
  fpr: number[];
  tpr: number[];
}

export interface RocMarker {
  fpr: number;
  tpr: number;
  /** Text drawn beside the point. */
  label: string;
  /** "operating" (a filled circle) or "threshold" (the live control's point: a ring). */
  kind?: "operating" | "threshold";
}

export interface RocChartOptions {
  width?: number;
  height?: number;
  title?: string;
  markers?: RocMarker[];
  /** Colours of the series, in order (default: Plot's categorical scheme). */
  colours?: string[];
  /** Show the colour legend (default when there are several series). */
  legend?: boolean;
  /** Axis wording: "finding" (sensitivity / 1 - specificity) or "ood" (OOD set as the positive class). */
  wording?: "finding" | "ood";
}

export function rocChart(series: RocSeries[], options: RocChartOptions = {}): HTMLElement | SVGElement {
  const {width = 360, height = 320, title, markers = [], colours, wording = "finding"} = options;
  const rows = series.flatMap((s) => s.fpr.map((fpr, i) => ({name: s.name, fpr, tpr: s.tpr[i]!})));
  const legend = options.legend ?? series.length > 1;
  const chart = Plot.plot({
    width,
    height,
    title,
    marginLeft: 48,
    marginBottom: 42,
    x: {domain: [0, 1], label: wording === "ood" ? "In-distribution test images flagged (FPR) →" : "False positive rate (1 − specificity) →", grid: true},
    y: {domain: [0, 1], label: wording === "ood" ? "↑ OOD images flagged (TPR)" : "↑ True positive rate (sensitivity)", grid: true},
    color: {domain: series.map((s) => s.name), ...(colours ? {range: colours} : {}), legend},
    marks: [
      Plot.line([[0, 0], [1, 1]], {stroke: "#999", strokeDasharray: "4,4"}),
      Plot.line(rows, {x: "fpr", y: "tpr", z: "name", stroke: "name", strokeWidth: 1.8, curve: "step-after"}),
      Plot.dot(markers.filter((m) => m.kind !== "threshold"), {x: "fpr", y: "tpr", r: 5, fill: "black", stroke: "white", title: "label"}),
      Plot.dot(markers.filter((m) => m.kind === "threshold"), {x: "fpr", y: "tpr", r: 7, stroke: "#d9480f", strokeWidth: 2.5, title: "label"}),
      Plot.text(markers.filter((m) => m.kind !== "threshold"), {x: "fpr", y: "tpr", text: "label", dx: 9, dy: -9, textAnchor: "start", fontSize: 11, stroke: "white", strokeWidth: 3, fill: "black"}),
      Plot.text(markers.filter((m) => m.kind === "threshold"), {x: "fpr", y: "tpr", text: "label", dx: 10, dy: 13, textAnchor: "start", fontSize: 11, stroke: "white", strokeWidth: 3, fill: "#d9480f"})
    ]
  }) as HTMLElement | SVGElement;
  chart.classList.add("roc-chart");
  chart.setAttribute("aria-label", title ?? `ROC curve${series.length > 1 ? "s" : ""}: ${series.map((s) => s.name).join(", ")}`);
  return chart;
}
