/**
 * A folder of real images for the audit tests (copied from the shared data into tests/.tmp, never
 * committed): pediatric test images of both classes, out-of-distribution images, two DICOM files
 * made from a real radiograph (one without an extension), and two broken files in the middle of
 * the sorted order. Plus a labels CSV in the `path,label,set` form.
 */
import {spawn} from "node:child_process";
import {copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import path from "node:path";
import {csvParse} from "d3";
import {decodeImage} from "../../src/pipeline/image/index.js";
import {ParquetStore, tables, type TableName} from "../../src/pipeline/node/audit/index.js";
import {greyImage, writeDicom} from "./dicom-writer.js";
import {DATA_ROOT, REPO_ROOT, TMP_ROOT} from "./paths.js";

export const PARITY_BUNDLE = path.join(REPO_ROOT, "tests/fixtures/parity");

export interface AuditFixture {
  root: string;
  images: string;
  labels: string;
  /** Every file the audit should find (relative, sorted). */
  files: string[];
  /** The two unreadable ones. */
  broken: string[];
  /** relative path -> "NORMAL" | "PNEUMONIA" | "" (unknown), and OOD set or "". */
  truth: Map<string, {label: string; set: string}>;
}

function spaced<T>(rows: T[], count: number): T[] {
  return Array.from({length: count}, (_, i) => rows[Math.floor(((i + 0.5) * rows.length) / count)]!);
}

export function auditFixture(name = "audit"): AuditFixture {
  const root = path.join(TMP_ROOT, name);
  const images = path.join(root, "images");
  rmSync(root, {recursive: true, force: true});
  mkdirSync(images, {recursive: true});
  const truth = new Map<string, {label: string; set: string}>();
  const copy = (from: string, to: string, label: string, set: string) => {
    mkdirSync(path.dirname(path.join(images, to)), {recursive: true});
    copyFileSync(path.join(DATA_ROOT, from), path.join(images, to));
    truth.set(to, {label, set});
  };
  const peds = (csvParse(readFileSync(path.join(DATA_ROOT, "cxr-peds/labels.csv"), "utf8")) as Record<string, string>[]).filter((r) => r.split === "test");
  for (const label of ["NORMAL", "PNEUMONIA"])
    for (const r of spaced(peds.filter((r) => r.label === label), 16)) copy(`cxr-peds/${r.path}`, `peds/${r.path}`, label, "");
  const ood = csvParse(readFileSync(path.join(DATA_ROOT, "ood/labels.csv"), "utf8")) as Record<string, string>[];
  for (const [set, n] of [["knee-xray", 3], ["mnist", 2], ["cifar10", 2]] as const)
    for (const r of spaced(ood.filter((r) => r.set === set), n)) copy(`ood/${r.path}`, `ood/${r.path}`, "", set);

  // Two DICOM files from a real pneumonia radiograph (8-bit MONOCHROME2), one without an extension.
  const source = peds.find((r) => r.label === "PNEUMONIA")!;
  const decoded = decodeImage(new Uint8Array(readFileSync(path.join(DATA_ROOT, "cxr-peds", source.path!))));
  const grey = Uint8Array.from({length: decoded.width * decoded.height}, (_, i) => Math.round(255 * decoded.data[i * decoded.channels]!));
  const dicom = writeDicom(greyImage(decoded.width, decoded.height, grey, [], {allocated: 8, stored: 8}));
  writeFileSync(path.join(images, "peds/test/PNEUMONIA/zz-dicom.dcm"), dicom);
  writeFileSync(path.join(images, "peds/test/PNEUMONIA/zz-dicom-no-extension"), dicom);
  truth.set("peds/test/PNEUMONIA/zz-dicom.dcm", {label: "PNEUMONIA", set: ""});
  truth.set("peds/test/PNEUMONIA/zz-dicom-no-extension", {label: "PNEUMONIA", set: ""});

  // Broken files sorted between the normal and the pneumonia images: the middle of the run.
  const jpeg = readFileSync(path.join(DATA_ROOT, "cxr-peds", peds[0]!.path!));
  writeFileSync(path.join(images, "peds/test/NORMAL/zz-truncated.jpg"), jpeg.subarray(0, Math.floor(jpeg.length * 0.4)));
  writeFileSync(path.join(images, "peds/test/NORMAL/zz-text.png"), "this is a text file renamed .png\n");
  truth.set("peds/test/NORMAL/zz-truncated.jpg", {label: "NORMAL", set: ""});
  truth.set("peds/test/NORMAL/zz-text.png", {label: "NORMAL", set: ""});
  // Not audited: other extensions and hidden files.
  writeFileSync(path.join(images, "notes.txt"), "not an image\n");
  writeFileSync(path.join(images, ".hidden.png"), "hidden\n");

  const files = [...truth.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const labels = path.join(root, "labels.csv");
  writeFileSync(labels, "path,label,set\n" + files.map((f) => `${f},${truth.get(f)!.label},${truth.get(f)!.set}`).join("\n") + "\n");
  return {root, images, labels, files, broken: ["peds/test/NORMAL/zz-text.png", "peds/test/NORMAL/zz-truncated.jpg"], truth};
}

/** Query an audit's tables with DuckDB: `{images}` etc. in the SQL become read_parquet(...) scans. */
export async function queryAudit(out: string, sql: string): Promise<Record<string, unknown>[]> {
  const scans = tables(out);
  const store = await ParquetStore.open();
  try {
    return await store.query(sql.replace(/\{(\w+)\}/g, (_, t: string) => scans[t as TableName]));
  } finally {
    store.close();
  }
}

/** The audit command as a child process (the real CLI, as `npm run audit` runs it). */
export function auditProcess(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "scripts/audit.ts"), ...args], {
    cwd: REPO_ROOT,
    env: {...process.env, ...env},
    stdio: ["ignore", "pipe", "pipe"]
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const done = new Promise<{code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string}>((resolve) =>
    child.on("close", (code, signal) => resolve({code, signal, stdout, stderr}))
  );
  return {child, done};
}
