/**
 * Chester's Eq. 1 drawn for one finding: raw sigmoid output against the calibrated probability the
 * workbench shows, the operating point mapping to 0.5 (and Chester's SCALE_UPPER stretch when the
 * card has one).
 */
import * as Plot from "@observablehq/plot";
import {calibrate, uncalibrate} from "../pipeline/calibration.js";

export interface CalibrationChartOptions {
  operatingPoint: number;
  scaleUpper?: number;
  /** The live threshold, marked on the curve. */
  threshold?: number;
  /** "log" spreads the small sigmoid outputs of rare findings. */
  xScale?: "linear" | "log";
  width?: number;
  height?: number;
  title?: string;
}

const LOG_MIN = 1e-4;

export function calibrationChart(options: CalibrationChartOptions): HTMLElement | SVGElement {
  const {operatingPoint: op, scaleUpper, threshold, xScale = "linear", width = 480, height = 340, title} = options;
  const log = xScale === "log";
  const n = 301;
  const breaks = [op, ...(scaleUpper ? [uncalibrate(0.6, op)] : [])];
  const xs = [...Array.from({length: n}, (_, i) => (log ? LOG_MIN * (1 / LOG_MIN) ** (i / (n - 1)) : i / (n - 1))), ...breaks];
  const raw = [...new Set(xs)].filter((x) => x >= (log ? LOG_MIN : 0) && x <= 1).sort((a, b) => a - b);
  const rows = [
    ...raw.map((x) => ({x, y: x, curve: "raw sigmoid, uncalibrated (y = x)"})),
    ...raw.map((x) => ({x, y: calibrate(x, op), curve: "Eq. 1 calibrated"})),
    ...(scaleUpper ? raw.map((x) => ({x, y: calibrate(x, op, {scaleUpper}), curve: `Eq. 1 then SCALE_UPPER ${scaleUpper}`})) : [])
  ];
  const curves = [...new Set(rows.map((r) => r.curve))];
  const marks: Plot.Markish[] = [
    Plot.line(rows.filter((d) => d.curve.startsWith("raw")), {x: "x", y: "y", stroke: "curve", strokeWidth: 1, strokeDasharray: "4,4"}),
    Plot.line(rows.filter((d) => !d.curve.startsWith("raw")), {x: "x", y: "y", z: "curve", stroke: "curve", strokeWidth: 2.2}),
    Plot.ruleX([op], {y1: log ? 0 : 0, y2: 0.5, stroke: "#555", strokeDasharray: "2,3"}),
    Plot.ruleY([0.5], {x1: log ? LOG_MIN : 0, x2: op, stroke: "#555", strokeDasharray: "2,3"}),
    Plot.dot([{x: op, y: 0.5}], {x: "x", y: "y", r: 5, fill: "black", stroke: "white"}),
    Plot.text([{x: op, y: 0.5}], {x: "x", y: "y", text: () => `operating point ${op.toPrecision(3)} → 0.5`, dx: 8, dy: 12, textAnchor: "start", fontSize: 11, stroke: "white", strokeWidth: 3, fill: "black"})
  ];
  if (threshold !== undefined && threshold > 0 && threshold <= 1) {
    const y = calibrate(threshold, op, {scaleUpper});
    marks.push(
      Plot.dot([{x: threshold, y}], {x: "x", y: "y", r: 7, stroke: "#d9480f", strokeWidth: 2.5}),
      Plot.text([{x: threshold, y}], {x: "x", y: "y", text: () => `threshold ${threshold.toPrecision(3)} → ${y.toFixed(3)}`, dx: -10, dy: -10, textAnchor: "end", fontSize: 11, stroke: "white", strokeWidth: 3, fill: "#d9480f"})
    );
  }
  const chart = Plot.plot({
    width,
    height,
    title,
    marginLeft: 48,
    marginBottom: 42,
    // Plain decimals on the log axis (Plot's default would write 1m for 0.001).
    x: {type: log ? "log" : "linear", domain: [log ? LOG_MIN : 0, 1], label: `Raw sigmoid output${log ? " (log scale)" : ""} →`, grid: true,
      ...(log ? {ticks: [1e-4, 1e-3, 0.01, 0.1, 1], tickFormat: (v: number) => String(v)} : {})},
    y: {domain: [0, 1], label: "↑ Probability shown (calibrated)", grid: true},
    color: {domain: curves, range: ["#999", "#1f77b4", "#e8a33d"], legend: true},
    marks
  }) as HTMLElement | SVGElement;
  chart.classList.add("calibration-chart");
  chart.setAttribute("aria-label", title ?? `Eq. 1 calibration with operating point ${op}`);
  return chart;
}
