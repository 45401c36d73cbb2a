/**
 * Histograms of one OOD score, one row per image set (Chester Figure 5), each normalised to its own
 * size so sets of 400 and 2000 images compare; a threshold with its rejected side shaded, and the
 * current image's value.
 */
import * as Plot from "@observablehq/plot";
import {extent} from "d3";

export interface HistogramGroup {
  name: string;
  values: number[];
}

export interface HistogramOptions {
  /** x-axis label, e.g. "SSIM (higher = more like the training images)". */
  label: string;
  width?: number;
  /** Height of each set's row. */
  rowHeight?: number;
  bins?: number;
  /** A threshold drawn as a red rule, and the side it rejects ("below": values at or under it). */
  threshold?: number;
  rejects?: "below" | "above";
  /** The current image's value, drawn as a black rule on every row. */
  current?: number | null;
  colours?: string[];
  title?: string;
}

export function scoreHistograms(groups: HistogramGroup[], options: HistogramOptions): HTMLElement | SVGElement {
  const {label, width = 640, rowHeight = 62, bins = 50, threshold, rejects = "below", current, colours, title} = options;
  const rows = groups.flatMap((g) => g.values.map((value) => ({set: g.name, value})));
  const all = [...rows.map((r) => r.value), ...(threshold !== undefined ? [threshold] : []), ...(current != null ? [current] : [])];
  const [lo, hi] = extent(all) as [number, number];
  const pad = (hi - lo) * 0.02 || 0.01;
  const domain: [number, number] = [lo - pad, hi + pad];
  const shaded = threshold === undefined ? [] : [rejects === "below" ? {x1: domain[0], x2: threshold} : {x1: threshold, x2: domain[1]}];
  const chart = Plot.plot({
    width,
    height: 50 + rowHeight * groups.length,
    title,
    marginLeft: 12,
    marginRight: 170,
    marginBottom: 40,
    x: {domain, label: `${label} →`, grid: true},
    y: {label: null, axis: null},
    // Facet by set through the plot's facet data, so the shaded side and the rules repeat on every row.
    facet: {data: rows, y: "set"},
    fy: {domain: groups.map((g) => g.name), label: null, axis: "right", tickSize: 0},
    color: {domain: groups.map((g) => g.name), ...(colours ? {range: colours} : {})},
    marks: [
      Plot.rect(shaded, {x1: "x1", x2: "x2", fill: "#d9480f", fillOpacity: 0.08, inset: 0}),
      Plot.rectY(rows, Plot.binX<Plot.RectYOptions>({y: "proportion-facet"}, {x: "value", domain, thresholds: bins, fill: "set", fillOpacity: 0.85, inset: 0.5})),
      Plot.ruleY([0]),
      ...(threshold !== undefined ? [Plot.ruleX([threshold], {stroke: "#d9480f", strokeWidth: 2})] : []),
      ...(current != null ? [Plot.ruleX([current], {stroke: "black", strokeWidth: 2, strokeDasharray: "5,3"})] : [])
    ]
  }) as HTMLElement | SVGElement;
  chart.classList.add("score-histograms");
  chart.setAttribute("aria-label", title ?? `Histograms of ${label} for ${groups.map((g) => g.name).join(", ")}`);
  return chart;
}

/** The legend of the rules the histograms draw. */
export function histogramKey({threshold = true, current = true}: {threshold?: boolean; current?: boolean} = {}): HTMLElement {
  const key = document.createElement("p");
  key.className = "chart-key muted";
  key.innerHTML = [
    threshold ? `<span style="display:inline-block;width:1.4rem;border-top:2px solid #d9480f;vertical-align:middle"></span> threshold (the shaded side is rejected)` : "",
    current ? `<span style="display:inline-block;width:1.4rem;border-top:2px dashed black;vertical-align:middle"></span> the current image` : ""
  ].filter(Boolean).join(" &nbsp; ");
  return key;
}
