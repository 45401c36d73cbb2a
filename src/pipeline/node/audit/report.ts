/**
 * Node-only: `npm run audit -- --report [--out DIR]` writes `<out>/report.html`, one self-contained
 * page (inline CSS and SVG, no script, no request) that an auditor can hand on: the data, the model
 * and its card hash, metrics per finding, calibration (Brier, ECE with its bootstrap CI, slope and
 * intercept, reliability diagram; before and after a --recalibration file when one was applied), subgroups (when the audit ran with --by), the OOD gate's
 * rejected share, and the failures. Every number is read from the audit's own tables.
 */
import {existsSync, renameSync, writeFileSync} from "node:fs";
import path from "node:path";
import {reliabilityCurve} from "../../metrics.js";
import {calibrationSummary} from "../../recalibration.js";
import {ParquetStore, sqlString} from "./parquet.js";
import {subgroupsFile} from "./subgroups.js";
import {tableScan} from "./tables.js";

const escape = (v: unknown) => String(v ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (v: unknown, digits = 3) => (v === null || v === undefined || !Number.isFinite(Number(v)) ? "–" : Number(v).toFixed(digits));
const pct = (v: unknown) => (v === null || v === undefined || !Number.isFinite(Number(v)) ? "–" : `${(100 * Number(v)).toFixed(1)} %`);

function table(head: string[], rows: unknown[][]): string {
  if (!rows.length) return "<p><i>none</i></p>";
  return `<table><thead><tr>${head.map((h) => `<th>${escape(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

/** A reliability diagram as inline SVG: observed rate against mean predicted per bin, the diagonal. */
function reliabilitySvg(p: number[], y: number[]): string {
  const {bins} = reliabilityCurve(p, y, {bins: 10});
  const size = 180;
  const at = (v: number) => 10 + v * size;
  const points = bins.filter((b) => b.count > 0).map((b) => `${at(b.meanPredicted).toFixed(1)},${at(1 - b.observedRate).toFixed(1)}`);
  const dots = bins.filter((b) => b.count > 0).map((b) => `<circle cx="${at(b.meanPredicted).toFixed(1)}" cy="${at(1 - b.observedRate).toFixed(1)}" r="${Math.min(6, 2 + Math.sqrt(b.count) / 3).toFixed(1)}"/>`);
  return `<svg width="${size + 20}" height="${size + 20}" viewBox="0 0 ${size + 20} ${size + 20}" role="img" aria-label="reliability diagram">
<rect x="10" y="10" width="${size}" height="${size}" fill="none" stroke="#999"/><line x1="10" y1="${10 + size}" x2="${10 + size}" y2="10" stroke="#bbb" stroke-dasharray="4 3"/>
<polyline fill="none" stroke="#1f6feb" stroke-width="1.5" points="${points.join(" ")}"/><g fill="#1f6feb">${dots.join("")}</g></svg>`;
}

export async function writeReport(out: string): Promise<string> {
  if (!existsSync(path.join(out, "images"))) throw new Error(`${out} holds no audit tables (no images folder)`);
  const store = await ParquetStore.open();
  try {
    const q = (sql: string) => store.query(sql);
    const images = tableScan(out, "images");
    const run = (await q(`SELECT * FROM ${tableScan(out, "run")} ORDER BY ended_at DESC LIMIT 1`).catch(() => []))[0] ?? {};
    const formats = await q(`SELECT format, status, count(*) AS n FROM ${images} GROUP BY ALL ORDER BY ALL`);
    const syntaxes = await q(`SELECT transfer_syntax, count(*) AS n FROM ${images} WHERE transfer_syntax IS NOT NULL GROUP BY ALL ORDER BY n DESC`).catch(() => []);
    const warnings = await q(`SELECT path, anatomy_warning FROM ${images} WHERE anatomy_warning IS NOT NULL ORDER BY path`).catch(() => []);
    const metrics = await q(`SELECT * FROM read_parquet(${sqlString(path.join(out, "metrics/metrics.parquet").replaceAll("\\", "/"))})`).catch(() => []);
    const findings = metrics.filter((m) => m.kind === "finding");
    const ood = metrics.filter((m) => m.kind === "ood");
    const errors = await q(`SELECT path, stage, code, error FROM ${tableScan(out, "errors")} ORDER BY path`).catch(() => []);
    const labelled = await q(`SELECT p.finding, p.probability, p.recalibrated, p.label FROM ${tableScan(out, "predictions")} p JOIN ${images} i ON i.path = p.path AND i.status = 'ok' WHERE p.label IS NOT NULL ORDER BY p.path`);
    const subgroups = existsSync(subgroupsFile(out)) ? await q(`SELECT * FROM read_parquet(${sqlString(subgroupsFile(out).replaceAll("\\", "/"))}) ORDER BY "by", finding, "group"`) : [];

    const calibration = findings.map((f) => {
      const these = labelled.filter((r) => r.finding === f.finding);
      const p = these.map((r) => Number(r.probability));
      const y = these.map((r) => Number(r.label));
      const s = calibrationSummary(p, y, {resamples: 1000, seed: 0});
      // With a --recalibration file: the same images through its map (findings it has a map for).
      const mapped = these.filter((r) => r.recalibrated !== null && r.recalibrated !== undefined);
      const after = mapped.length === these.length && these.length
        ? calibrationSummary(these.map((r) => Number(r.recalibrated)), y, {resamples: 1000, seed: 0})
        : null;
      return {finding: String(f.finding), p, y, s, after, recalibrated: after ? these.map((r) => Number(r.recalibrated)) : null};
    });
    const recalibrated = calibration.filter((c) => c.after);

    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Audit report: ${escape(run.bundle)}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f3f3f3}td{font-variant-numeric:tabular-nums}.cal{display:flex;flex-wrap:wrap;gap:1.5em}.cal figure{margin:0}small{color:#666}</style></head><body>
<h1>Audit report</h1>
<p>Model <b>${escape(run.bundle)}</b> (${escape(run.bundle_path)}), card SHA-256 <code>${escape(run.card_sha256)}</code>. Images from <code>${escape(run.images_dir)}</code>; labels ${escape(run.labels ?? "none")}. Run ended ${escape(run.ended_at)}; workbench ${escape(run.workbench_version)}, TF.js ${escape(run.tfjs_version)} on ${escape(run.backend)}, DuckDB ${escape(run.duckdb_version)}.</p>
<h2>Data</h2>
${table(["format", "status", "images"], formats.map((r) => [r.format ?? "(unreadable)", r.status, r.n]))}
${syntaxes.length ? `<h3>DICOM transfer syntaxes</h3>${table(["transfer syntax UID", "images"], syntaxes.map((r) => [r.transfer_syntax, r.n]))}` : ""}
${warnings.length ? `<h3>Images whose header says they are not chest radiographs</h3>${table(["path", "warning"], warnings.map((r) => [r.path, r.anatomy_warning]))}` : ""}
<h2>Metrics per finding</h2>
${table(["finding", "n", "positives", "AUC", "± half-split std", "operating point", "sensitivity", "specificity"], findings.map((f) => [f.finding, f.n, f.positives, fmt(f.auc), fmt(f.auc_std), fmt(f.operating_point), pct(f.sensitivity), pct(f.specificity)]))}
<h2>Calibration</h2>
<p><small>ECE over 10 equal-width bins with a percentile bootstrap 95 % CI (1,000 resamples, seed 0); calibration slope (1 is ideal, below 1 overconfident) and intercept (0 is ideal) from logistic fits on logit p.</small></p>
${table(["finding", "n", "Brier", "ECE", "ECE 95 % CI", "slope", "intercept"], calibration.map(({finding, s}) => [finding, s.n, fmt(s.brier, 4), fmt(s.ece.estimate, 4), `${fmt(s.ece.low, 4)} – ${fmt(s.ece.high, 4)}`, fmt(s.slope), fmt(s.intercept)]))}
<div class="cal">${calibration.map(({finding, p, y}) => `<figure>${reliabilitySvg(p, y)}<figcaption>${escape(finding)}: observed rate against mean predicted probability</figcaption></figure>`).join("")}</div>
${recalibrated.length ? `<h2>Recalibration</h2>
<p>Applied on top of the bundle's outputs: <code>${escape(run.recalibration)}</code>, SHA-256 <code>${escape(run.recalibration_sha256)}</code>. The same labelled images, the bundle's raw probability beside the recalibrated one.</p>
${table(["finding", "n", "Brier before", "Brier after", "ECE before", "ECE after (95 % CI)", "slope before", "slope after", "intercept before", "intercept after"], recalibrated.map(({finding, s, after}) => [finding, s.n, fmt(s.brier, 4), fmt(after!.brier, 4), fmt(s.ece.estimate, 4), `${fmt(after!.ece.estimate, 4)} (${fmt(after!.ece.low, 4)} – ${fmt(after!.ece.high, 4)})`, fmt(s.slope), fmt(after!.slope), fmt(s.intercept), fmt(after!.intercept)]))}
<div class="cal">${recalibrated.map(({finding, recalibrated: r, y}) => `<figure>${reliabilitySvg(r!, y)}<figcaption>${escape(finding)} after recalibration</figcaption></figure>`).join("")}</div>` : ""}
${subgroups.length ? `<h2>Subgroups</h2>${table(["by", "group", "finding", "n", "positives", "AUC", "AUC 95 % CI", "sensitivity", "specificity", "PPV", "NPV"], subgroups.map((r) => [r.by, r.group, r.finding, r.n, r.positives, fmt(r.auc), `${fmt(r.auc_low)} – ${fmt(r.auc_high)}`, pct(r.sensitivity), pct(r.specificity), pct(r.ppv), pct(r.npv)]))}` : ""}
<h2>Out-of-distribution gate</h2>
${table(["set", "score", "n", "AUROC", "rejected"], ood.map((r) => [r.ood_set ?? "in-distribution", r.ood_score, r.n, fmt(r.auroc), pct(r.rejected)]))}
<h2>Failures</h2>
${table(["path", "stage", "code", "error"], errors.map((r) => [r.path, r.stage, r.code, r.error]))}
</body></html>
`;
    const file = path.join(out, "report.html");
    writeFileSync(`${file}.tmp`, html);
    renameSync(`${file}.tmp`, file);
    return file;
  } finally {
    store.close();
  }
}
