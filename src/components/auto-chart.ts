/**
 * A first chart for any query result: bars of the first numeric column by the first text column
 * (coloured by a second text column when there is one), or a scatter of the first two numeric
 * columns. Returns null when neither fits.
 */
import * as Plot from "@observablehq/plot";
import {html} from "./html.js";

const NUMERIC = /^(Int|Uint|Float|Decimal|Double)/i;

export function autoChart(rows: Record<string, unknown>[], columns: {name: string; type: string}[], {width = 760, maxBars = 40} = {}): HTMLElement | null {
  if (!rows.length) return null;
  const numeric = columns.filter((c) => NUMERIC.test(c.type) && rows.some((r) => typeof r[c.name] === "number")).map((c) => c.name);
  const text = columns.filter((c) => !NUMERIC.test(c.type)).map((c) => c.name);
  let plot: Element;
  let caption: string;
  if (text.length && numeric.length) {
    const [category, group] = text;
    const [value] = numeric;
    const shown = rows.slice(0, maxBars);
    const label = (r: Record<string, unknown>) => (group && text.length > 1 && category !== "path" ? `${r[category!]} · ${r[group]}` : String(r[category!]));
    plot = Plot.plot({
      width,
      height: 40 + 18 * shown.length,
      marginLeft: Math.min(320, 8 + 6.5 * Math.max(...shown.map((r) => label(r).length))),
      x: {label: value, grid: true},
      y: {label: null, domain: shown.map(label)},
      color: group && text.length > 1 ? {legend: true} : undefined,
      marks: [
        Plot.barX(shown, {x: (r) => r[value!], y: label, fill: group && text.length > 1 ? (r) => String(r[group]) : "steelblue", title: (r) => `${label(r)}: ${r[value!]}`}),
        Plot.ruleX([0])
      ]
    });
    caption = `${value} by ${category}${rows.length > maxBars ? ` (first ${maxBars} rows)` : ""}`;
  } else if (numeric.length >= 2) {
    const [x, y] = numeric;
    plot = Plot.plot({width, height: 360, grid: true, x: {label: x}, y: {label: y}, marks: [Plot.dot(rows, {x: x!, y: y!, tip: true})]});
    caption = `${y} against ${x}`;
  } else return null;
  return html`<figure class="auto-chart">${plot}<figcaption>Chart of the result: ${caption}.</figcaption></figure>`;
}
