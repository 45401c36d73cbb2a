/**
 * Node-only: the `subjects` table (every column of the labels CSVs that is not a finding, `path`,
 * `label` or `set`: age, sex, view, site..., in long form so any CSV fits) and the `subgroups` table
 * (`--by sex,view`): per column, group and finding, AUC with a bootstrap 95 % interval and
 * sensitivity, specificity, PPV and NPV at the operating point (src/pipeline/subgroups.ts). A
 * `--by` name is looked up in the subjects' columns first, then in the `images` table's (DICOM
 * attributes such as patient_sex, view_position, manufacturer).
 *
 *   <out>/subjects/subjects.parquet     path, column, value
 *   <out>/subgroups/subgroups.parquet   by, group, finding, n, positives, auc, auc_low, auc_high, ...
 */
import {readFileSync} from "node:fs";
import path from "node:path";
import {csvParse} from "d3";
import {subgroupMetrics} from "../../subgroups.js";
import type {LabelTable} from "./labels.js";
import {sqlName, sqlString, type ParquetStore, type Row, type TableSchema} from "./parquet.js";
import {IMAGES, tableScan} from "./tables.js";

export const SUBJECTS: TableSchema = {
  name: "subjects",
  columns: [
    ["path", "VARCHAR"],
    ["column", "VARCHAR"],
    ["value", "VARCHAR"]
  ]
};

export const SUBGROUPS: TableSchema = {
  name: "subgroups",
  columns: [
    ["by", "VARCHAR"],
    ["group", "VARCHAR"],
    ["finding", "VARCHAR"],
    ["n", "INTEGER"],
    ["positives", "INTEGER"],
    ["auc", "DOUBLE"],
    ["auc_low", "DOUBLE"],
    ["auc_high", "DOUBLE"],
    ["auc_resamples", "INTEGER"],
    ["operating_point", "DOUBLE"],
    ["sensitivity", "DOUBLE"],
    ["specificity", "DOUBLE"],
    ["ppv", "DOUBLE"],
    ["npv", "DOUBLE"]
  ]
};

export const subjectsFile = (out: string) => path.join(out, "subjects", "subjects.parquet");
export const subgroupsFile = (out: string) => path.join(out, "subgroups", "subgroups.parquet");

const norm = (s: string) => s.trim().toLowerCase().replace(/[\s_-]+/g, "_");
const toPosix = (p: string) => p.split(path.sep).join("/");

/** The labels CSVs' other columns, for the images the audit read (paths resolved as labels.ts did). */
export function subjectRows(labels: LabelTable, findings: string[], root: string, images: readonly string[]): Row[] {
  const known = new Set(images);
  const skip = new Set(["path", "label", "set", ...findings.map(norm)]);
  const rows: Row[] = [];
  for (const source of labels.sources) {
    const table = csvParse(readFileSync(source.file, "utf8"));
    const pathColumn = table.columns.find((c) => norm(c) === "path")!;
    const columns = table.columns.filter((c) => !skip.has(norm(c)));
    for (const r of table) {
      const relative = toPosix(path.relative(path.resolve(root), path.resolve(source.base, (r[pathColumn] ?? "").trim())));
      if (!known.has(relative)) continue;
      for (const c of columns) if ((r[c] ?? "").trim() !== "") rows.push([relative, c, r[c]!.trim()]);
    }
  }
  return rows;
}

/** Refuses, before any image is processed, a --by name that neither a labels CSV nor `images` has. */
export function checkBy(by: string[], labels: LabelTable | null): void {
  const csvColumns = (labels?.sources ?? []).flatMap((source) => csvParse(readFileSync(source.file, "utf8").split("\n", 1)[0] ?? "").columns);
  const imageColumns = IMAGES.columns.map(([c]) => c);
  const unknown = by.filter((name) => !csvColumns.some((c) => norm(c) === norm(name)) && !imageColumns.includes(norm(name)));
  if (unknown.length) {
    throw new Error(
      `--by ${unknown.join(", ")}: no such column in the labels CSVs (${csvColumns.join(", ") || "none given"}) or in the images table (${imageColumns.join(", ")})`
    );
  }
}

/** Where each --by name comes from; unknown names are an error listing what exists. */
async function groupSources(store: ParquetStore, out: string, by: string[]): Promise<Map<string, string>> {
  const subjectColumns = new Set(
    (await store.query(`SELECT DISTINCT "column" FROM read_parquet(${sqlString(subjectsFile(out).replaceAll("\\", "/"))})`).catch(() => [])).map((r) => String(r.column))
  );
  const imageColumns = new Set(IMAGES.columns.map(([c]) => c));
  const sources = new Map<string, string>();
  for (const name of by) {
    const subject = [...subjectColumns].find((c) => norm(c) === norm(name));
    if (subject !== undefined) {
      sources.set(name, `(SELECT path, value AS "group" FROM read_parquet(${sqlString(subjectsFile(out).replaceAll("\\", "/"))}) WHERE "column" = ${sqlString(subject)})`);
    } else if (imageColumns.has(norm(name))) {
      sources.set(name, `(SELECT path, CAST(${sqlName(norm(name))} AS VARCHAR) AS "group" FROM ${tableScan(out, "images")})`);
    } else {
      throw new Error(
        `--by ${name}: no such column in the labels CSVs (${[...subjectColumns].join(", ") || "none"}) or in the images table (${[...imageColumns].join(", ")})`
      );
    }
  }
  return sources;
}

export async function computeSubgroups(store: ParquetStore, out: string, by: string[], findings: string[], operatingPoints: number[], options: {resamples?: number; seed?: number} = {}): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [name, source] of await groupSources(store, out, by)) {
    const cases = await store.query(`
      SELECT p.finding, p.probability, p.label, g."group"
      FROM ${tableScan(out, "predictions")} p
      JOIN ${tableScan(out, "images")} i ON i.path = p.path AND i.status = 'ok'
      LEFT JOIN ${source} g ON g.path = p.path
      WHERE p.label IS NOT NULL
      ORDER BY p.path`);
    findings.forEach((finding, k) => {
      const these = cases.filter((c) => c.finding === finding && Number.isFinite(Number(c.probability)));
      if (!these.length) return;
      const metrics = subgroupMetrics(
        these.map((c) => ({group: c.group === null || c.group === undefined ? null : String(c.group), score: Number(c.probability), label: Number(c.label) as 0 | 1})),
        operatingPoints[k]!,
        options
      );
      for (const m of metrics) {
        const defined = (v: number) => (Number.isFinite(v) ? v : null);
        rows.push([name, m.group, finding, m.n, m.positives, defined(m.auc), defined(m.aucLow), defined(m.aucHigh), m.aucResamples, operatingPoints[k]!,
          defined(m.sensitivity), defined(m.specificity), defined(m.ppv), defined(m.npv)]);
      }
    });
  }
  return rows;
}
