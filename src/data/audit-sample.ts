/**
 * Behind the audit-tables.pack data loader: the batch audit of a small, fixed sample of the
 * local datasets with the default bundle, run once at build time (the audit is resumable, so a
 * rebuild finds the work done; concurrent builds wait for the first).
 *
 * The sample: 12 normal and 12 pneumonia images of the pediatric test split, 4 adult NIH test
 * images, 4 knee radiographs, 2 CIFAR-10 photographs and 2 MNIST digits (evenly spaced in each
 * labels.csv, so the same files every time). Environment: CXR_DATA (the data folder),
 * CXR_AUDIT_MODEL (a bundle folder instead of models/pediatric-pneumonia), CXR_AUDIT_SAMPLE_OUT
 * (where the audit's tables are kept; default .observablehq/audit-sample).
 */
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import path from "node:path";
import {csvParse} from "d3";
import {ALL_TABLES, ParquetStore, runAudit, tableScan, type TableName} from "../pipeline/node/audit/index.js";
import {encodePack} from "../pipeline/bundle/pack.js";
import {DATA_ROOT, PROJECT_ROOT} from "./paths.js";

export const SAMPLE_MODEL = process.env.CXR_AUDIT_MODEL ? path.resolve(process.env.CXR_AUDIT_MODEL) : path.join(PROJECT_ROOT, "models/pediatric-pneumonia");
export const SAMPLE_OUT = path.resolve(process.env.CXR_AUDIT_SAMPLE_OUT ?? path.join(PROJECT_ROOT, ".observablehq/audit-sample"));

/** `count` rows evenly spaced through `rows`. */
function spaced<T>(rows: T[], count: number): T[] {
  if (rows.length <= count) return rows;
  return Array.from({length: count}, (_, i) => rows[Math.floor(((i + 0.5) * rows.length) / count)]!);
}

function csv(folder: string): Record<string, string>[] {
  const file = path.join(DATA_ROOT, folder, "labels.csv");
  if (!existsSync(file)) throw new Error(`${file} not found: set CXR_DATA to the data folder (see ../shared/data/README.md)`);
  return csvParse(readFileSync(file, "utf8")) as Record<string, string>[];
}

/** The sample as rows of a labels CSV (paths relative to the data folder). */
export function sampleRows(): {path: string; label: string; set: string}[] {
  const peds = csv("cxr-peds").filter((r) => r.split === "test");
  const nih = csv("cxr-nih").filter((r) => r.split === "test" && r.resolution === "256");
  const ood = csv("ood");
  const fromSet = (set: string, n: number) => spaced(ood.filter((r) => r.set === set), n).map((r) => ({path: `ood/${r.path}`, label: "", set}));
  return [
    ...spaced(peds.filter((r) => r.label === "NORMAL"), 12).map((r) => ({path: `cxr-peds/${r.path}`, label: "NORMAL", set: ""})),
    ...spaced(peds.filter((r) => r.label === "PNEUMONIA"), 12).map((r) => ({path: `cxr-peds/${r.path}`, label: "PNEUMONIA", set: ""})),
    ...spaced(nih, 4).map((r) => ({path: `cxr-nih/${r.path}`, label: "", set: "adult-cxr"})),
    ...fromSet("knee-xray", 4),
    ...fromSet("cifar10", 2),
    ...fromSet("mnist", 2)
  ];
}

/** Runs (or resumes, or finds done) the sample audit; returns the folder of its tables. */
export async function sampleAudit(): Promise<string> {
  if (!existsSync(path.join(SAMPLE_MODEL, "card.json")) && !existsSync(path.join(SAMPLE_MODEL, "config.json")))
    throw new Error(
      `the audit tables need the default bundle, and ${path.join(SAMPLE_MODEL, "card.json")} does not exist: ` +
        `train and evaluate it first (npm run train -- pediatric-pneumonia && npm run evaluate -- pediatric-pneumonia; ` +
        `see training/README.md), or set CXR_AUDIT_MODEL to a bundle folder`
    );
  const rows = sampleRows();
  mkdirSync(SAMPLE_OUT, {recursive: true});
  const labels = path.join(SAMPLE_OUT, "labels.csv");
  const text = "path,label,set\n" + rows.map((r) => `${r.path},${r.label},${r.set}`).join("\n") + "\n";
  if (!existsSync(labels) || readFileSync(labels, "utf8") !== text) writeFileSync(labels, text);
  await runAudit({
    images: DATA_ROOT,
    files: rows.map((r) => r.path),
    labels: [labels],
    model: SAMPLE_MODEL,
    out: path.join(SAMPLE_OUT, "out"),
    explain: ["cam", "gradcam", "gradcampp"],
    alphas: [5, 10, 20, 40],
    chunkSize: 8,
    progress: "lines",
    lock: "wait",
    onConfigMismatch: "replace"
  });
  return path.join(SAMPLE_OUT, "out");
}

/** One table of the sample audit as a single Parquet file (what a data loader prints). */
export async function sampleTable(table: TableName, out?: string): Promise<Uint8Array> {
  out ??= await sampleAudit();
  const store = await ParquetStore.open();
  const file = path.join(SAMPLE_OUT, `${table}.${process.pid}.parquet`);
  try {
    const order = table === "metrics" || table === "run" ? "" : " ORDER BY path";
    await store.copyQuery(`SELECT * FROM ${tableScan(out, table)}${order}`, file);
    return new Uint8Array(readFileSync(file));
  } finally {
    store.close();
    rmSync(file, {force: true});
  }
}

/**
 * Every table of the sample audit as one pack of Parquet files (`<table>.parquet`): the pages read
 * them with DuckDB-wasm. One file, so the site never names a .parquet attachment (Framework would
 * then fetch parquet-wasm and apache-arrow from a CDN at build time).
 */
export async function printTablesPack(): Promise<void> {
  try {
    const out = await sampleAudit();
    const files = [];
    for (const {name} of ALL_TABLES) files.push({path: `${name}.parquet`, bytes: await sampleTable(name, out)});
    const pack = encodePack(files, {rows: sampleRows(), model: path.relative(PROJECT_ROOT, SAMPLE_MODEL)});
    await new Promise<void>((resolve, reject) => process.stdout.write(pack, (error) => (error ? reject(error) : resolve())));
  } catch (error) {
    console.error(`audit-tables.pack: ${(error as Error).message}`);
    process.exit(1);
  }
}
