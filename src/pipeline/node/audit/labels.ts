/**
 * Node-only: ground truth for an audit, read from one or more CSV files and checked against the
 * bundle's findings before any image is processed.
 *
 * A labels CSV has a `path` column and, for the findings, either
 * - one column per finding, named after it (case, spaces, "_" and "-" do not matter), with 1, 0, or
 *   empty for unknown; every finding of the bundle needs its column (extra columns are ignored); or
 * - a `label` column naming what the image shows: a finding of the bundle (case-insensitive),
 *   several joined by "|" (as NIH's "Effusion|Mass"), or a negative word (NORMAL, No Finding,
 *   negative, none: every finding 0). A named finding is 1 and every other finding 0; an empty
 *   value is unknown. A value that is neither a finding nor a negative word is an error.
 * A `set` column marks out-of-distribution images: a non-empty value names the set the image
 * belongs to (knee-xray, cifar10...; as `../shared/data/ood/labels.csv`). A CSV with only `path`
 * and `set` is valid. Every image not in such a set counts as in-distribution for the OOD AUROC.
 *
 * Paths are relative to the images folder; for a CSV that lies inside it (as in
 * `../shared/data/<set>/labels.csv`) they may instead be relative to the CSV's own folder:
 * whichever of the two bases matches more of the images is used.
 */
import {createHash} from "node:crypto";
import {readFileSync} from "node:fs";
import path from "node:path";
import {csvParse} from "d3";
import {toPosix} from "./images.js";

export class LabelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LabelError";
  }
}

export const NEGATIVE_LABELS = ["normal", "no finding", "negative", "none"];

export type Label = 0 | 1 | null;

export interface ImageLabels {
  /** One per finding of the bundle (used outputs, in output order); null when unknown. */
  labels: Label[];
  /** The out-of-distribution set the image belongs to; null for in-distribution images. */
  oodSet: string | null;
}

export interface LabelSource {
  file: string;
  /** The folder its paths are relative to. */
  base: string;
  mode: "columns" | "label" | "set-only";
  rows: number;
  /** Rows whose image was found. */
  matched: number;
}

export interface LabelTable {
  byPath: Map<string, ImageLabels>;
  sources: LabelSource[];
  /** Whether any image is marked out-of-distribution. */
  hasOodSets: boolean;
  /** SHA-256 of the CSV files' bytes, in order. */
  hash: string;
}

const norm = (s: string) => s.trim().toLowerCase().replace(/[\s_-]+/g, "_");

/**
 * Reads and checks the CSV files. `images` are the audited files relative to `imagesDir`;
 * `findings` the bundle's (used) findings in output order. Throws LabelError with every problem.
 */
export function readLabelFiles(files: string[], imagesDir: string, findings: string[], images: readonly string[]): LabelTable {
  const root = path.resolve(imagesDir);
  const known = new Set(images);
  const byPath = new Map<string, ImageLabels>();
  const origin = new Map<string, string>();
  const sources: LabelSource[] = [];
  const hash = createHash("sha256");
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      throw new LabelError(`cannot read the labels file ${file}: ${(error as Error).message}`);
    }
    hash.update(text);
    const rows = csvParse(text);
    const columns = rows.columns;
    if (!rows.length)
      throw new LabelError(`${file} has ${columns.length ? "a header but no rows" : "no header and no rows"}: it labels no image (remove it, or fill it in)`);
    const column = (name: string) => columns.find((c) => norm(c) === name);
    const pathColumn = column("path");
    if (!pathColumn) throw new LabelError(`${file} has no "path" column (its columns: ${columns.join(", ")})`);
    const labelColumn = column("label");
    const setColumn = column("set");
    const findingColumns = findings.map((f) => column(norm(f)));
    let mode: LabelSource["mode"];
    if (findingColumns.some((c) => c !== undefined)) {
      const missing = findings.filter((_, i) => findingColumns[i] === undefined);
      if (missing.length)
        throw new LabelError(
          `${file} does not match the bundle's findings: it has columns for ${findings.filter((_, i) => findingColumns[i]).join(", ")} ` +
            `but none for ${missing.join(", ")} (the bundle's findings: ${findings.join(", ")})`
        );
      mode = "columns";
    } else if (labelColumn) mode = "label";
    else if (setColumn) mode = "set-only";
    else {
      const binary = columns.filter((c) => c !== pathColumn && rows.length > 0 && rows.every((r) => r[c] === "0" || r[c] === "1"));
      throw new LabelError(
        `${file} does not match the bundle's findings (${findings.join(", ")}): it has no column named after any of them, ` +
          `no "label" column and no "set" column` +
          (binary.length ? `; its 0/1 columns are ${binary.join(", ")}` : `; its columns are ${columns.join(", ")}`)
      );
    }

    // Resolve the paths: relative to the images folder, or to the CSV's folder when it lies inside it.
    const csvFolder = path.dirname(path.resolve(file));
    const bases = [root];
    if (csvFolder !== root && csvFolder.startsWith(root + path.sep)) bases.unshift(csvFolder);
    const resolveFrom = (base: string, p: string) => toPosix(path.relative(root, path.resolve(base, p.trim())));
    const matches = bases.map((base) => rows.filter((r) => known.has(resolveFrom(base, r[pathColumn] ?? ""))).length);
    const best = matches.indexOf(Math.max(...matches));
    const base = bases[best]!;

    const unknownValues = new Map<string, number>();
    const problems: string[] = [];
    let matched = 0;
    rows.forEach((row, i) => {
      const line = i + 2; // the header is line 1
      const raw = row[pathColumn]?.trim();
      if (!raw) {
        problems.push(`line ${line}: empty path`);
        return;
      }
      const relative = resolveFrom(base, raw);
      let labels: Label[];
      if (mode === "columns") {
        labels = findingColumns.map((c, k) => {
          const value = (row[c!] ?? "").trim();
          if (value === "") return null;
          // Exactly "0" or "1": Number() would also take 0x1, 1e0, 1.0 and " 1".
          if (value === "0" || value === "1") return value === "1" ? 1 : 0;
          problems.push(`line ${line}: ${findings[k]} is ${JSON.stringify(value)}; finding columns hold 1, 0 or nothing`);
          return null;
        });
      } else if (mode === "label") {
        const value = (row[labelColumn!] ?? "").trim();
        if (value === "") labels = findings.map(() => null);
        else {
          labels = findings.map(() => 0);
          for (const part of value.split("|").map((p) => p.trim()).filter(Boolean)) {
            if (NEGATIVE_LABELS.includes(part.toLowerCase())) continue;
            const k = findings.findIndex((f) => norm(f) === norm(part));
            if (k >= 0) labels[k] = 1;
            else unknownValues.set(part, (unknownValues.get(part) ?? 0) + 1);
          }
        }
      } else labels = findings.map(() => null);
      const oodSet = setColumn ? (row[setColumn] ?? "").trim() || null : null;
      if (!known.has(relative)) return;
      matched++;
      const where = `${file}:${line}`;
      if (byPath.has(relative)) {
        problems.push(`line ${line}: ${relative} already has labels (${origin.get(relative)})`);
        return;
      }
      byPath.set(relative, {labels, oodSet});
      origin.set(relative, where);
    });
    if (unknownValues.size) {
      const list = [...unknownValues].map(([v, n]) => `${JSON.stringify(v)} (${n} rows)`).join(", ");
      throw new LabelError(
        `${file} does not match the bundle's findings: its "label" column names ${list}, which ` +
          `${unknownValues.size === 1 ? "is" : "are"} not among the bundle's findings (${findings.join(", ")}) ` +
          `nor a negative label (${NEGATIVE_LABELS.join(", ")})`
      );
    }
    if (problems.length)
      throw new LabelError(`${file} has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n  ${problems.slice(0, 20).join("\n  ")}` +
        (problems.length > 20 ? `\n  ... and ${problems.length - 20} more` : ""));
    if (rows.length && matched === 0)
      throw new LabelError(
        `none of the ${rows.length} paths in ${file} names an audited image (paths are relative to ${root}` +
          `${bases.length > 1 ? ` or to ${csvFolder}` : ""}; first path: ${JSON.stringify(rows[0]![pathColumn])})`
      );
    sources.push({file, base, mode, rows: rows.length, matched});
  }
  return {byPath, sources, hasOodSets: [...byPath.values()].some((l) => l.oodSet !== null), hash: hash.digest("hex")};
}
