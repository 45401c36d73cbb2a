/** Our per-method AD / BAD / Incorrect % beside the Black Average Drop paper's Table 1 (both in percent). */
import type {MethodSummary, PaperRow} from "../pipeline/explain/study.js";
import {paperRowsPercent} from "../pipeline/explain/study.js";
import {html} from "./html.js";

const pct = (v: number | null | undefined, digits = 1) => (v === null || v === undefined || Number.isNaN(v) ? "–" : v.toFixed(digits));

/**
 * For each method, our row (data-source="ours") then the paper's X-ray and ImageNet rows, so the
 * figures to compare sit one above the other in the same columns.
 */
export function badComparisonTable(ours: MethodSummary[], paper: PaperRow[], {labels = {} as Record<string, string>} = {}): HTMLElement {
  const converted = paperRowsPercent(paper);
  const paperOf = (dataset: string, method: string) => converted.find((r) => r.dataset === dataset && r.method === method);
  const num = "text-align:right;font-variant-numeric:tabular-nums";
  const muted = "color:var(--theme-foreground-muted)";
  return html`<table class="bad-comparison" style="max-width:900px">
    <thead><tr><th>method</th><th>figures from</th><th style=${num}>n</th><th style=${num}>AD %</th><th style=${num}>BAD %</th>
      <th style=${num}>Incorrect % (AD images)</th><th style=${num}>Incorrect % (BAD images)</th><th style=${num}>Increase in confidence %</th></tr></thead>
    <tbody>${ours.flatMap((r) => {
      const name = labels[r.method] ?? r.method;
      const paperRows = (["X-ray", "ImageNet"] as const).flatMap((dataset) => {
        const p = paperOf(dataset, r.method);
        return p
          ? [html`<tr data-source="paper" style=${muted}><td></td><td>BAD paper, ${dataset} (×100)</td><td></td><td style=${num}>${pct(p.adPercent, 2)}</td><td style=${num}>${pct(p.badPercent, 2)}</td>
              <td style=${num}>${pct(p.incorrectAd)}</td><td style=${num}>${pct(p.incorrectBad)}</td><td></td></tr>`]
          : [];
      });
      return [
        html`<tr data-source="ours" data-method=${r.method} style="border-top:2px solid var(--theme-foreground-faint)"><td><b>${name}</b></td><td>this workbench, α = ${r.alpha} %</td><td style=${num}>${r.n}</td>
          <td class="ad" style=${num}><b>${pct(r.averageDrop)}</b></td><td class="bad" style=${num}><b>${pct(r.blackAverageDrop)}</b></td>
          <td style=${num}>${pct(r.incorrectAd)}</td><td style=${num}>${pct(r.incorrectBad)}</td><td style=${num}>${pct(r.increaseInConfidence)}</td></tr>`,
        ...paperRows
      ];
    })}</tbody>
  </table>` as HTMLElement;
}
