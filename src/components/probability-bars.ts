/** Calibrated probability per finding as bars, with the operating point (0.5 after Eq. 1) marked. */
import * as Plot from "@observablehq/plot";
import type {Prediction} from "../pipeline/analyse.js";

export function probabilityBars(predictions: Prediction[], {width = 560, highlight}: {width?: number; highlight?: number} = {}): HTMLElement | SVGElement {
  const rows = predictions.map((p) => ({
    ...p,
    positive: p.calibrated >= 0.5,
    chosen: p.index === highlight
  }));
  return Plot.plot({
    width,
    height: 40 + 22 * rows.length,
    marginLeft: 130,
    x: {domain: [0, 1], label: "Calibrated probability (Eq. 1: 0.5 = the finding's operating point)", grid: true},
    y: {domain: rows.map((r) => r.label), label: null},
    color: {domain: [false, true], range: ["#9ab", "#d9480f"]},
    marks: [
      Plot.barX(rows, {
        x: "calibrated",
        y: "label",
        fill: "positive",
        // "none", not null: Plot drops a mark whose channel value is null.
        stroke: (d) => (d.chosen ? "black" : "none"),
        title: (d: Prediction) => `${d.label}\ncalibrated ${d.calibrated.toFixed(3)}\nraw sigmoid ${d.raw.toFixed(4)}\noperating point ${d.operatingPoint.toFixed(4)}`
      }),
      Plot.ruleX([0.5], {stroke: "black", strokeDasharray: "4,3"}),
      Plot.text(rows, {x: "calibrated", y: "label", text: (d) => d.calibrated.toFixed(2), dx: 16, fontSize: 10}),
      Plot.ruleX([0])
    ]
  }) as HTMLElement | SVGElement;
}
