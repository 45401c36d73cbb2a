/**
 * A reliability diagram: per bin of predicted probability, the observed share of positives against
 * the mean predicted probability (dot area by count), beside the diagonal of perfect calibration.
 */
import * as Plot from "@observablehq/plot";
import {reliabilityCurve} from "../pipeline/metrics.js";

export interface ReliabilityChartOptions {
  title?: string;
  width?: number;
  height?: number;
  bins?: number;
  colour?: string;
}

export function reliabilityChart(p: ArrayLike<number>, y: ArrayLike<number>, options: ReliabilityChartOptions = {}): HTMLElement | SVGElement {
  const {title, width = 420, height = 360, bins = 10, colour = "#1f77b4"} = options;
  const points = reliabilityCurve(p, y, {bins}).bins.filter((b) => b.count > 0);
  const chart = Plot.plot({
    width,
    height,
    title,
    marginLeft: 48,
    marginBottom: 42,
    x: {domain: [0, 1], label: "Mean predicted probability →", grid: true},
    y: {domain: [0, 1], label: "↑ Observed share of positives", grid: true},
    r: {range: [3, 12]},
    marks: [
      Plot.line([[0, 0], [1, 1]], {stroke: "#999", strokeDasharray: "4,4"}),
      Plot.line(points, {x: "meanPredicted", y: "observedRate", stroke: colour, strokeWidth: 1.8}),
      Plot.dot(points, {x: "meanPredicted", y: "observedRate", r: "count", fill: colour, stroke: "white",
        title: (b) => `${b.count} images predicted ${b.lo.toFixed(1)}–${b.hi.toFixed(1)}: mean ${b.meanPredicted.toFixed(3)}, observed ${b.observedRate.toFixed(3)}`})
    ]
  }) as HTMLElement | SVGElement;
  chart.classList.add("reliability-chart");
  chart.setAttribute("aria-label", title ?? "Reliability diagram");
  return chart;
}
