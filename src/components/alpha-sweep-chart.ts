/**
 * Black Average Drop's summand as alpha (the share of pixels kept) sweeps, one line per method,
 * with Average Drop (which has no alpha) as a dashed level per method and the current alpha marked.
 * The y axis names both: solid lines are BAD's drop, dashed levels AD's.
 */
import * as Plot from "@observablehq/plot";

export interface SweepPoint {
  method: string;
  /** Percent of pixels kept. */
  alpha: number;
  /** Drop of the class score, percent. */
  drop: number;
}

export interface SweepChartOptions {
  /** Average Drop per method (percent), drawn as dashed levels. */
  averageDrop?: {method: string; drop: number}[];
  /** The alpha the page's slider is at. */
  alpha?: number;
  /** Method -> display name. */
  labels?: Record<string, string>;
  width?: number;
}

export function alphaSweepChart(points: SweepPoint[], {averageDrop = [], alpha, labels = {}, width = 640}: SweepChartOptions = {}): HTMLElement | SVGElement {
  const name = (m: string) => labels[m] ?? m;
  const methods = [...new Set(points.map((p) => p.method))].map(name);
  const rows = points.map((p) => ({...p, name: name(p.method)}));
  const levels = averageDrop.map((a) => ({...a, name: name(a.method)}));
  return Plot.plot({
    width,
    height: 320,
    marginRight: 40,
    x: {domain: [0, 100], label: "α: % of pixels kept (the hottest of the map; the rest set to black) →", grid: true},
    y: {domain: [0, 100], label: "↑ Drop of the class score (%): BAD solid, AD dashed", grid: true},
    color: {domain: methods, legend: true, scheme: "category10"},
    marks: [
      Plot.ruleY(levels, {y: "drop", stroke: "name", strokeDasharray: "6,4", strokeOpacity: 0.8, title: (d: {name: string; drop: number}) => `Average Drop, ${d.name}: ${d.drop.toFixed(1)} %`}),
      // The first method drawn wider underneath: CAM and Grad-CAM often coincide (Grad-CAM = ReLU(CAM) with a pooled head) and would hide each other.
      Plot.line(rows, {x: "alpha", y: "drop", stroke: "name", z: "name", strokeWidth: (d: {name: string}) => (d.name === methods[0] ? 4 : 2), strokeOpacity: 0.85, marker: "dot"}),
      alpha === undefined ? null : Plot.ruleX([alpha], {stroke: "black", strokeWidth: 1.5}),
      alpha === undefined ? null : Plot.text([alpha], {x: (d: number) => d, y: 100, text: (d: number) => `α = ${d} %`, dx: 4, textAnchor: "start", dy: 6, fontSize: 11}),
      Plot.tip(rows, Plot.pointerX({x: "alpha", y: "drop", stroke: "name", title: (d: SweepPoint & {name: string}) => `${d.name}, α = ${d.alpha} %: BAD drop ${d.drop.toFixed(1)} %`}))
    ]
  }) as HTMLElement | SVGElement;
}
