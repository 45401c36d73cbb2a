/**
 * Node-only: the batch audit. Runs a bundle over every image of a folder and writes each stage's
 * results as Parquet tables (see tables.ts), resumably and in shards.
 *
 * Resume: a shard's images are cut into fixed chunks (by position in the shard's deterministic
 * list). A chunk's table files (one per chunk table, empty where a table was not asked for) are
 * written to temporary names, flushed, and renamed into place with `images` last; the `images` part of a chunk is its commit marker. A run killed at any
 * moment loses at most the chunk in progress; the next run skips every committed chunk and
 * rewrites the others under the same file names, so no row is lost or duplicated.
 */
import * as tf from "@tensorflow/tfjs";
import {createHash} from "node:crypto";
import {existsSync, linkSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {analyse, analysisTarget, type Analysis} from "../../analyse.js";
import {loadBundle, type Bundle} from "../../bundle/load.js";
import {usedOutputs, type ExplanationMethod} from "../../explain/index.js";
import {drop} from "../../evaluate.js";
import {decodeImage, loadAllDicomCodecs, readImageHeader} from "../../image/index.js";
import {ImageDecodeError, storedSize, type DecodedImage, type ReduceTarget} from "../../image/types.js";
import {initBackend} from "../../wasm-backend.js";
import {prepare} from "../../preprocess.js";
import {BASELINE_NAMES, type BaselineName} from "../../faithfulness/baselines.js";
import type {BoxRow} from "../../faithfulness/localisation.js";
import {
  boxInInput,
  DEFAULT_CURVE_STEPS,
  faithfulnessRows,
  localisationRows,
  readBoxes,
  sanityPaths,
  sanityRows,
  validateBaselines,
  type BoxTable,
  type ExplainedImage
} from "./faithfulness.js";
import {directorySource} from "../fs-source.js";
import {listHash, shardOf, walkImages, type ImageWalk, type Shard} from "./images.js";
import {readLabelFiles, type LabelTable} from "./labels.js";
import {schedulerTaskId} from "./scheduler.js";
import {computeMetrics} from "./metrics.js";
import {imageMetadataCells} from "./image-metadata.js";
import {checkBy, computeSubgroups, SUBGROUPS, subgroupsFile, SUBJECTS, subjectRows, subjectsFile} from "./subgroups.js";
import {commit, duckdbVersion, HOST_TAG, ParquetStore, temporaryName, type Row} from "./parquet.js";
import {Progress, type ProgressMode, type ProgressStream} from "./progress.js";
import {AuditError, message} from "./errors.js";
import {checkOutputFolder} from "./guards.js";
import {chunkCommitted} from "./parts.js";
import {loadRecalibrationFile, type LoadedRecalibration} from "./recalibration.js";
import {recalibrated} from "../../recalibration.js";
import {claimOutput, readConfig, tablesHash, type AuditConfig} from "./output-config.js";
import {ALL_TABLES, CHUNK_TABLES, METRICS, metricsFile, partFile, RUN, shardFolder, STAGES, tableScan, type TableName} from "./tables.js";

/** Explanation methods an audit can evaluate. */
export const AUDIT_METHODS = ["saliency", "cam", "gradcam", "gradcampp", "hirescam", "xgradcam", "layercam", "eigencam", "scorecam", "smoothgrad", "intgrad"] as const satisfies readonly ExplanationMethod[];
/** The CAM family: no backward pass with a pooled head, and what the BAD paper compares. */
export const DEFAULT_EXPLAIN: ExplanationMethod[] = ["cam", "gradcam", "gradcampp"];
export const DEFAULT_ALPHAS = [5, 10, 20, 40];
export const DEFAULT_CHUNK = 32;
export const DEFAULT_MODEL = "pediatric-pneumonia";
export const DEFAULT_OUT = "audit-out";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

export {AuditError} from "./errors.js";

export interface AuditOptions {
  /** The folder of images (walked recursively). */
  images: string;
  /** Labels CSV files (see labels.ts for their semantics). */
  labels?: string[];
  /** Subgroup columns for the `subgroups` table (labels CSV columns or `images` columns); see subgroups.ts. */
  by?: string[];
  /** A bundle name in `modelsDir`, or a folder (own bundle or Chester folder). Default pediatric-pneumonia. */
  model?: string;
  /** For a Chester folder: its separate autoencoder folder. */
  ood?: string;
  /** Where bundle names are looked up. Default <project>/models. */
  modelsDir?: string;
  /** Default audit-out. */
  out?: string;
  shard?: Shard;
  /** Default: the CAM family. [] skips explanations. */
  explain?: ExplanationMethod[];
  /** Black Average Drop alphas, in percent. Default 5, 10, 20, 40. */
  alphas?: number[];
  /** A recalibration file (recalibration.ts) for this bundle, applied on top of its outputs. */
  recalibration?: string;
  /** Deletion / insertion curves, ROAD, and AD / BAD / IC under each baseline: the `faithfulness` table. */
  faithfulness?: boolean;
  /** Baselines of the faithfulness table's AD / BAD / IC. Default all four. */
  baselines?: BaselineName[];
  /** Steps of the deletion and insertion curves. Default 16. */
  curveSteps?: number;
  /** The cascading randomisation sanity check on this many images (spread evenly), or all: the `sanity` table. */
  sanity?: number | "all";
  /** A boxes CSV (cxr-nih/boxes.csv's columns): the `localisation` table. */
  localisation?: string;
  /** Images per committed chunk. Default 32. */
  chunkSize?: number;
  /** Only the first N images of the sorted list (before sharding). */
  limit?: number;
  /** An explicit list of files relative to `images`, instead of walking it. */
  files?: string[];
  progress?: ProgressMode;
  /** Where progress and messages go. Default process.stderr. */
  stream?: ProgressStream;
  /** Called once the shard's remaining work is known, before the first image. */
  onStart?: (event: {total: number; resumed: number}) => void;
  /** Called after each image (benchmarks sample memory here). */
  onImage?: (event: {done: number; total: number; path: string}) => void;
  /** When another live process holds this shard: fail (default), or wait for it to finish. */
  lock?: "fail" | "wait";
  /** When `out` holds results of a different configuration: fail (default), or delete them. */
  onConfigMismatch?: "error" | "replace";
}

export interface AuditSummary {
  out: string;
  shard: Shard;
  /** Images in this shard. */
  images: number;
  /** Processed by this invocation. */
  processed: number;
  /** Already committed by an earlier invocation. */
  resumed: number;
  /** Images that failed in this invocation. */
  errors: number;
  wallSeconds: number;
  imagesPerSecond: number;
  tensorsStart: number;
  tensorsEnd: number;
  backend: string;
  /** Whether every shard is complete and the metrics table was (re)written. */
  metricsWritten: boolean;
}

export function resolveModel(model: string, modelsDir = path.join(ROOT, "models")): string {
  const looksLikeName = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(model);
  if (looksLikeName && existsSync(path.join(modelsDir, model))) return path.join(modelsDir, model);
  const folder = path.resolve(model);
  if (existsSync(folder) && statSync(folder).isDirectory()) return folder;
  const hint = model === DEFAULT_MODEL ? ` (the default bundle: make it as training/README.md says, or give --model)` : "";
  const available = existsSync(modelsDir)
    ? readdirSync(modelsDir).filter((d) => existsSync(path.join(modelsDir, d, "card.json")) || existsSync(path.join(modelsDir, d, "config.json")))
    : [];
  throw new AuditError(
    `unknown model ${JSON.stringify(model)}: ${looksLikeName ? `${path.join(modelsDir, model)} does not exist, nor does ` : ""}` +
      `a folder ${folder}${hint}. Bundles in ${modelsDir}: ${available.length ? available.join(", ") : "none yet"}`
  );
}

function cardHash(folder: string): string {
  const file = ["card.json", "config.json"].map((f) => path.join(folder, f)).find((f) => existsSync(f));
  return file ? createHash("sha256").update(readFileSync(file)).digest("hex") : "";
}

function workbenchVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {version: string}).version;
  } catch {
    return "unknown";
  }
}

export function validateExplain(methods: string[]): ExplanationMethod[] {
  const unknown = methods.filter((m) => !(AUDIT_METHODS as readonly string[]).includes(m));
  if (unknown.length)
    throw new AuditError(`unknown explanation method${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}; choose from ${AUDIT_METHODS.join(", ")} (or none)`);
  return [...new Set(methods)] as ExplanationMethod[];
}

export function validateAlphas(alphas: number[]): number[] {
  if (!alphas.length) throw new AuditError("--alpha needs at least one value in (0, 100]");
  for (const a of alphas) if (!(Number.isFinite(a) && a > 0 && a <= 100)) throw new AuditError(`--alpha ${a} is outside (0, 100] (percent of pixels kept)`);
  return [...new Set(alphas)];
}

// ---------------------------------------------------------------------------------------------
// Locks: one live process per shard and output folder.

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** Lock files this process holds (so an earlier attempt's lock is never confused with one of its own). */
const heldLocks = new Set<string>();

async function acquireLock(out: string, shard: Shard, mode: "fail" | "wait"): Promise<() => void> {
  const file = path.join(out, `.lock-shard-${shard.index}`);
  const task = schedulerTaskId(process.env, os.hostname());
  const started = Date.now();
  const release = () => {
    heldLocks.delete(file);
    rmSync(file, {force: true});
  };
  for (;;) {
    // Written in full under a temporary name, then linked into place: link fails if the lock exists,
    // and a lock file is never seen half written.
    const temporary = temporaryName(file);
    writeFileSync(temporary, JSON.stringify({pid: process.pid, host: os.hostname(), since: new Date().toISOString(), task}));
    try {
      linkSync(temporary, file);
      heldLocks.add(file);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      // NFS: a link whose reply was lost is retried and reports EEXIST although it succeeded; the
      // temporary's link count says so (open(2), O_EXCL).
      if (statSync(temporary).nlink === 2) {
        heldLocks.add(file);
        return release;
      }
    } finally {
      rmSync(temporary, {force: true});
    }
    let text: string;
    let holder: {pid?: number; host?: string; task?: string | null};
    try {
      text = readFileSync(file, "utf8");
      holder = JSON.parse(text);
    } catch {
      continue; // removed in the meantime
    }
    const killedHere = holder.host === os.hostname() && holder.pid !== undefined && !isAlive(holder.pid);
    // A scheduler runs one attempt of a task at a time: an earlier attempt's lock is stale, from any host.
    const earlierAttempt = task !== null && holder.task === task;
    if (!heldLocks.has(file) && (killedHere || earlierAttempt)) {
      // Left by a killed run: take it over (unless another process just did).
      try {
        if (readFileSync(file, "utf8") === text) rmSync(file, {force: true});
      } catch {
        // already gone
      }
      continue;
    }
    if (mode === "fail" || Date.now() - started > 6 * 3600_000)
      throw new AuditError(
        `shard ${shard.index}/${shard.count} of ${out} is being written by process ${holder.pid ?? "?"} on ${holder.host ?? "?"} ` +
          `(lock file ${file}); if that process no longer runs, delete the lock file`
      );
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Temporary files (see temporaryName) left by processes that no longer run on this machine; in a
 * folder only this shard writes (`ownShard`: its lock is held), those of any machine.
 */
function removeStaleTemporaries(dir: string, ownShard = false): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const match = /^\..*?\.(\d+)(?:\.([A-Za-z0-9-]+))?\.tmp$/.exec(name);
    if (!match) continue;
    const here = (match[2] ?? HOST_TAG) === HOST_TAG;
    if (ownShard || (here && (Number(match[1]) === process.pid || !isAlive(Number(match[1]))))) rmSync(path.join(dir, name), {force: true});
  }
}

// ---------------------------------------------------------------------------------------------

interface Context {
  bundle: Bundle;
  root: string;
  findings: string[];
  /** Output index of each used finding. */
  outputs: number[];
  labels: LabelTable | null;
  explain: ExplanationMethod[];
  alphas: number[];
  faithfulness: {baselines: BaselineName[]; steps: number} | null;
  /** Images the sanity check runs on. */
  sanity: Set<string> | null;
  boxes: BoxTable | null;
  /** Listed paths that could not be walked, and the real bytes of non-UTF-8 paths (images.ts). */
  listing: Pick<ImageWalk, "problems" | "fsPaths">;
  recalibration: LoadedRecalibration | null;
  /** The squares analyse() prepares: a huge image, decoded reduced, gets them exactly. */
  reduceFor: ReduceTarget;
}

type ChunkRows = Record<(typeof CHUNK_TABLES)[number]["name"], Row[]>;

/** Everything about one image, as rows; an image that fails leaves only its images and errors rows. */
function processImage(ctx: Context, relative: string, rows: ChunkRows): boolean {
  const start = performance.now();
  const timings: Partial<Record<(typeof STAGES)[number], number>> = {};
  const entry = ctx.labels?.byPath.get(relative);
  const known = entry?.labels ?? null;
  let bytes: Uint8Array | null = null;
  let header: {width: number; height: number; format: string} | null = null;
  let sha256: string | null = null;
  const imageRow = (status: "ok" | "error", image?: DecodedImage): Row => [
    relative,
    (image && storedSize(image).width) ?? header?.width ?? null,
    (image && storedSize(image).height) ?? header?.height ?? null,
    image?.format ?? header?.format ?? null,
    bytes?.length ?? null,
    sha256,
    status,
    entry?.oodSet ?? null,
    ...STAGES.map((s) => timings[s] ?? null),
    performance.now() - start,
    ...imageMetadataCells(image)
  ];
  const fail = (stage: string, error: unknown, code: string | null = error instanceof ImageDecodeError ? error.code : null) => {
    rows.errors.push([relative, stage, code, message(error)]);
    rows.images.push(imageRow("error"));
    return false;
  };
  const problem = ctx.listing.problems.get(relative);
  if (problem) return fail("read", problem.message, problem.code);

  let t = performance.now();
  try {
    const buffer = readFileSync(ctx.listing.fsPaths.get(relative) ?? path.join(ctx.root, relative));
    bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    return fail("read", error);
  }
  sha256 = createHash("sha256").update(bytes).digest("hex");
  timings.read = performance.now() - t;
  try {
    header = readImageHeader(bytes, {name: relative});
  } catch {
    // decodeImage below says what is wrong.
  }

  t = performance.now();
  let image: DecodedImage;
  try {
    image = decodeImage(bytes, {name: relative, reduceFor: ctx.reduceFor});
  } catch (error) {
    timings.decode = performance.now() - t;
    return fail("decode", error);
  }
  timings.decode = performance.now() - t;

  // Explain the findings the image is labelled positive for, else the top finding.
  const positives = known ? ctx.outputs.filter((_, k) => known[k] === 1) : [];
  const targets: (number | undefined)[] = ctx.explain.length && positives.length ? positives : [undefined];
  const analyses: Analysis[] = [];
  /** One analysis explaining `finding`, its stage times added to the image's. */
  const analyseFor = (finding: number | undefined) => {
    const result = analyse(ctx.bundle, image, {
      predictRejected: true,
      methods: ctx.explain,
      evaluateAlphas: ctx.explain.length ? ctx.alphas : [],
      finding
    });
    for (const [stage, ms] of Object.entries(result.timings)) {
      const s = stage as (typeof STAGES)[number];
      timings[s] = (timings[s] ?? 0) + ms;
    }
    analyses.push(result);
  };
  // A boxed image is also explained for its boxes' findings (the maps localisation scores).
  const boxes = ctx.boxes?.byPath.get(relative) ?? [];
  try {
    for (const finding of targets) analyseFor(finding);
    for (const box of boxes) {
      const index = ctx.outputs[ctx.findings.indexOf(box.finding)]!;
      if (!analyses.some((a) => a.explanation?.finding.index === index)) analyseFor(index);
    }
  } catch (error) {
    return fail("analyse", error);
  }

  const first = analyses[0]!;
  const labelOf = (outputIndex: number): 0 | 1 | null => known?.[ctx.outputs.indexOf(outputIndex)] ?? null;
  const recalibration = ctx.recalibration?.recalibration;
  for (const p of first.predictions!)
    rows.predictions.push([relative, p.label, p.raw, p.calibrated, p.operatingPoint, p.raw >= p.operatingPoint, labelOf(p.index), recalibration ? recalibrated(recalibration, p.label, p.raw) : null]);
  if (first.ood) {
    const s = first.ood.scores;
    const f = first.gate.featureScores;
    rows.ood.push([relative, s.l1, s.l2, s.ssim, s.ssim8, s.latent, f?.mahalanobis ?? null, f?.knn ?? null, f?.energy ?? null, f?.msp ?? null,
      first.gate.decision?.score ?? null, first.gate.check.code, first.ood.inDistribution]);
  }
  for (const result of analyses) {
    if (!result.evaluation || !result.explanation) continue;
    const finding = result.explanation.finding;
    const label = labelOf(finding.index);
    // Incorrect: the perturbed image's class (score >= operating point) differs from the true
    // label, or from the model's own class on the original image when the label is unknown.
    const reference = label ?? (finding.raw >= finding.operatingPoint ? 1 : 0);
    for (const m of result.evaluation) {
      const multiply = m.averageDrop.pair;
      for (const black of m.blackAverageDrop) {
        rows.explanations.push([
          relative,
          finding.label,
          m.method,
          black.alpha,
          100 * drop(multiply),
          100 * drop(black.pair),
          multiply.perturbed > multiply.original,
          (black.pair.perturbed >= finding.operatingPoint ? 1 : 0) !== reference,
          multiply.original,
          multiply.perturbed,
          black.pair.perturbed,
          label
        ]);
      }
    }
  }
  let ok = true;
  if (ctx.faithfulness || ctx.sanity?.has(relative) || boxes.length) {
    // Rows of an image whose checks fail are dropped whole; its predictions stand, and an errors row says which check failed.
    const checked: Pick<ChunkRows, "faithfulness" | "sanity" | "localisation"> = {faithfulness: [], sanity: [], localisation: []};
    const stage = {current: "faithfulness"};
    try {
      checks(ctx, relative, image, analyses, boxes, labelOf, checked, timings, stage);
      rows.faithfulness.push(...checked.faithfulness);
      rows.sanity.push(...checked.sanity);
      rows.localisation.push(...checked.localisation);
    } catch (error) {
      rows.errors.push([relative, stage.current, null, message(error)]);
      ok = false;
    }
  }
  rows.images.push(imageRow("ok", image));
  return ok;
}

/** The faithfulness, sanity and localisation rows of one image (faithfulness.ts), each stage timed. */
function checks(
  ctx: Context,
  relative: string,
  image: DecodedImage,
  analyses: Analysis[],
  boxes: BoxRow[],
  labelOf: (outputIndex: number) => 0 | 1 | null,
  rows: Pick<ChunkRows, "faithfulness" | "sanity" | "localisation">,
  timings: Partial<Record<(typeof STAGES)[number], number>>,
  stage: {current: string}
): void {
  const {classifier, card} = ctx.bundle;
  const size = card.classifier.inputSize;
  const prepared = prepare(image, size, analyses[0]!.resize);
  const pixels = prepared.pixels.dataSync().slice() as Float32Array;
  prepared.pixels.dispose();
  const time = (name: "faithfulness" | "sanity" | "localisation", work: () => void) => {
    stage.current = name;
    const t = performance.now();
    work();
    timings[name] = (timings[name] ?? 0) + performance.now() - t;
  };
  for (const result of analyses) {
    if (!result.explanation) continue;
    const {finding} = result.explanation;
    const explained: ExplainedImage = {
      path: relative,
      finding,
      label: labelOf(finding.index),
      maps: Object.fromEntries(Object.entries(result.explanation.maps).map(([m, map]) => [m, map!.data])),
      pixels,
      size
    };
    if (ctx.faithfulness) time("faithfulness", () => rows.faithfulness.push(...faithfulnessRows(classifier, explained, {...ctx.faithfulness!, alphas: ctx.alphas})));
    if (ctx.sanity?.has(relative)) time("sanity", () => rows.sanity.push(...sanityRows(classifier, explained, ctx.explain)));
    const box = boxes.find((b) => b.finding === finding.label);
    if (box) {
      time("localisation", () => {
        // The stored image's size: a huge image decoded reduced keeps its stored frame, as the analysis's box does.
        const stored = storedSize(image);
        const inInput = boxInInput(box, stored.width, stored.height, result.box, size);
        if (inInput) rows.localisation.push(...localisationRows(explained, inInput));
      });
    }
  }
}

/** Which shards have completed (at least one run row). */
export function completedShards(out: string, count: number): number[] {
  const done: number[] = [];
  for (let i = 1; i <= count; i++) {
    const folder = shardFolder(out, "run", i);
    if (existsSync(folder) && readdirSync(folder).some((f) => f.endsWith(".parquet"))) done.push(i);
  }
  return done;
}

/** Recompute `<out>/metrics/metrics.parquet` from every shard's tables under `out`. */
export async function writeMetrics(out: string, store?: ParquetStore): Promise<{rows: number; missingShards: number[]}> {
  const config = readConfig(out);
  if (!config) throw new AuditError(`${out} holds no audit (no audit.json)`);
  const done = completedShards(out, config.fingerprint.shards);
  const missingShards = Array.from({length: config.fingerprint.shards}, (_, i) => i + 1).filter((i) => !done.includes(i));
  if (!existsSync(path.join(out, "images")) || !readdirSync(path.join(out, "images")).length)
    throw new AuditError(`${out} has no committed images yet`);
  const own = store ?? (await ParquetStore.open());
  try {
    const rows = await computeMetrics(own, out, config.findings, config.operatingPoints);
    await own.write(METRICS, rows, metricsFile(out));
    return {rows: rows.length, missingShards};
  } finally {
    if (!store) own.close();
  }
}

export async function runAudit(options: AuditOptions): Promise<AuditSummary> {
  const stream = options.stream ?? process.stderr;
  const say = (line: string) => {
    if (options.progress !== "none") stream.write(`${line}\n`);
  };
  const shard = options.shard ?? {index: 1, count: 1};
  const out = path.resolve(options.out ?? DEFAULT_OUT);
  const root = path.resolve(options.images);
  const explain = validateExplain(options.explain ?? DEFAULT_EXPLAIN);
  const alphas = explain.length ? validateAlphas(options.alphas ?? DEFAULT_ALPHAS) : [];
  for (const [flag, on] of [["--faithfulness", options.faithfulness], ["--sanity", options.sanity !== undefined], ["--localisation", options.localisation !== undefined]] as const)
    if (on && !explain.length) throw new AuditError(`${flag} evaluates explanation maps: give methods with --explain (it is none)`);
  const faithfulness = options.faithfulness
    ? {baselines: validateBaselines(options.baselines ?? BASELINE_NAMES), steps: options.curveSteps ?? DEFAULT_CURVE_STEPS}
    : null;
  if (faithfulness && !(Number.isInteger(faithfulness.steps) && faithfulness.steps >= 1))
    throw new AuditError(`--curve-steps must be a positive integer, got ${faithfulness.steps}`);
  if (!options.faithfulness && (options.baselines !== undefined || options.curveSteps !== undefined))
    throw new AuditError("--baselines and --curve-steps set up --faithfulness: add --faithfulness");
  if (options.sanity !== undefined && options.sanity !== "all" && !(Number.isInteger(options.sanity) && options.sanity >= 1))
    throw new AuditError(`--sanity takes a number of images or "all", got ${options.sanity}`);
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  if (!(Number.isInteger(chunkSize) && chunkSize >= 1)) throw new AuditError(`the chunk size must be a positive integer, got ${chunkSize}`);
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit >= 1))
    throw new AuditError(`--limit must be a positive integer, got ${options.limit}`);
  if (!existsSync(root)) throw new AuditError(`the images folder ${root} does not exist`);
  if (!statSync(root).isDirectory()) throw new AuditError(`${root} is not a folder (--images takes a folder of images)`);
  checkOutputFolder(out, root);

  // 1. The bundle.
  const folder = resolveModel(options.model ?? DEFAULT_MODEL, options.modelsDir);
  const backend = await initBackend();
  await loadAllDicomCodecs(); // the wasm DICOM codecs, once, so each image decodes synchronously
  let bundle: Bundle;
  try {
    bundle = await loadBundle(directorySource(folder), options.ood ? {ood: directorySource(path.resolve(options.ood))} : {});
  } catch (error) {
    throw new AuditError(`cannot load the model ${folder}: ${message(error)}`);
  }
  try {
    const card = bundle.card;
    const outputs = usedOutputs(card.labels);
    const findings = outputs.map((i) => card.labels[i]!);
    const cardSha256 = cardHash(folder);
    // Checked against this very bundle before anything is read or written.
    const recalibration = options.recalibration ? loadRecalibrationFile(options.recalibration, {name: card.name, cardSha256, labels: card.labels}) : null;

    // 2. The images, and the shard's share of them.
    let walk: ImageWalk;
    try {
      walk = options.files
        ? {files: [...options.files].map((f) => f.split(path.sep).join("/")).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), problems: new Map(), fsPaths: new Map()}
        : walkImages(root);
    } catch (error) {
      throw new AuditError(`the images folder ${root} cannot be read: ${message(error)}`);
    }
    const listed = walk.files;
    const all = options.limit !== undefined ? listed.slice(0, options.limit) : listed;
    if (!all.length) throw new AuditError(`no PNG, JPEG or DICOM files under ${root}`);
    const mine = shard.count === 1 ? all : all.filter((p) => shardOf(p, shard.count) === shard.index);
    const sanity = options.sanity !== undefined ? sanityPaths(all, options.sanity) : null;

    // 3. Labels, checked against the bundle before anything is written.
    const labels = options.labels?.length ? (() => {
      try {
        // Matched against every file (not only the --limit ones), so a CSV's paths are judged fairly.
        return readLabelFiles(options.labels!, root, findings, listed);
      } catch (error) {
        throw new AuditError(message(error));
      }
    })() : null;
    if (options.by?.length) {
      try {
        checkBy(options.by, labels);
      } catch (error) {
        throw new AuditError(message(error));
      }
    }
    // Boxes, checked before anything is written; matched against every file, as labels are.
    const boxes = options.localisation !== undefined ? readBoxes(options.localisation, root, findings, listed) : null;

    // 4. The output folder: same configuration as any earlier run into it, one process per shard.
    const config: AuditConfig = {
      format: "cxr-workbench/audit@1",
      bundle: card.name,
      findings,
      operatingPoints: outputs.map((i) => card.operatingPoints[i]!),
      fingerprint: {
        cardSha256,
        findings,
        shards: shard.count,
        explain,
        alphas,
        chunkSize,
        images: all.length,
        imagesSha256: listHash(all),
        labelsSha256: labels?.hash ?? null,
        tables: tablesHash(),
        ...(recalibration ? {recalibrationSha256: recalibration.sha256} : {}),
        // Only when asked for, so folders audited without them keep their fingerprint.
        ...(faithfulness ? {faithfulness} : {}),
        ...(options.sanity !== undefined ? {sanity: options.sanity} : {}),
        ...(boxes ? {localisationSha256: boxes.sha256} : {})
      }
    };
    mkdirSync(out, {recursive: true});
    const release = await acquireLock(out, shard, options.lock ?? "fail");
    let store: ParquetStore | undefined;
    try {
      // Created exclusively (create-or-compare): of shards started together with different
      // settings, exactly one defines the folder and the others are refused.
      claimOutput(out, config, options.onConfigMismatch);
      store = await ParquetStore.open();

      // 5. Chunks: committed ones are skipped; temporary files of killed runs are removed.
      for (const dir of [out, path.join(out, "metrics")]) removeStaleTemporaries(dir);
      for (const dir of [...CHUNK_TABLES, RUN].map((t) => shardFolder(out, t.name, shard.index))) removeStaleTemporaries(dir, true);
      const chunks = Array.from({length: Math.ceil(mine.length / chunkSize)}, (_, c) => ({index: c, paths: mine.slice(c * chunkSize, (c + 1) * chunkSize)}));
      // A chunk whose parts are missing or not whole Parquet files (cut short) is redone.
      const pending = chunks.filter((c) => !chunkCommitted(out, shard.index, c.index));
      const resumed = mine.length - pending.reduce((n, c) => n + c.paths.length, 0);
      const total = mine.length - resumed;
      const label = shard.count > 1 ? `shard ${shard.index}/${shard.count}` : "audit";
      say(
        `${label}: ${card.name} (${path.relative(process.cwd(), folder) || folder}) on ${backend}, ${mine.length} of ${all.length} images` +
          (resumed ? `, ${resumed} already done` : "") +
          (labels ? `, ${mine.filter((p) => labels.byPath.has(p)).length} of them labelled` : "") +
          (recalibration ? `, recalibrated by ${path.basename(recalibration.file)}` : "") +
          `, explanations: ${explain.length ? `${explain.join(", ")} at alpha ${alphas.join(", ")} %` : "none"}` +
          (faithfulness ? `, faithfulness (baselines ${faithfulness.baselines.join(", ")}; curves in ${faithfulness.steps} steps; ROAD)` : "") +
          (sanity ? `, sanity check on ${mine.filter((p) => sanity.has(p)).length} images` : "") +
          (boxes ? `, localisation: ${[...boxes.byPath.keys()].filter((p) => mine.includes(p)).length} boxed images of ${boxes.rows} boxes` +
            (boxes.otherFindings.size ? ` (${[...boxes.otherFindings.values()].reduce((a, b) => a + b, 0)} boxes skipped: the bundle has no ${[...boxes.otherFindings.keys()].join(", ")})` : "") : "") +
          ` -> ${out}`
      );

      options.onStart?.({total, resumed});
      const ctx: Context = {bundle, root, findings, outputs, labels, explain, alphas, faithfulness, sanity, boxes, listing: walk, recalibration, reduceFor: analysisTarget(bundle)};
      const progress = new Progress(total, stream, options.progress ?? "auto", label);
      const startedAt = new Date();
      const startedMs = performance.now();
      const tensorsStart = tf.memory().numTensors;
      let done = 0;
      let errors = 0;
      for (const chunk of pending) {
        const rows: ChunkRows = {predictions: [], ood: [], explanations: [], faithfulness: [], sanity: [], localisation: [], errors: [], images: []};
        for (const relative of chunk.paths) {
          if (!processImage(ctx, relative, rows)) errors++;
          done++;
          progress.tick(done);
          options.onImage?.({done, total, path: relative});
        }
        const staged: [string, string][] = [];
        for (const table of CHUNK_TABLES) {
          const file = partFile(out, table.name, shard.index, chunk.index);
          staged.push([await store.stage(table, rows[table.name], file), file]);
        }
        commit(staged); // images last: the chunk counts as done only once all its files are in place
      }
      progress.finish();
      const tensorsEnd = tf.memory().numTensors;
      const wallSeconds = (performance.now() - startedMs) / 1000;
      const imagesPerSecond = wallSeconds > 0 ? done / wallSeconds : 0;

      // 6. The run row (one per invocation that did some work, or the shard's first), then metrics.
      const runFolder = shardFolder(out, "run", shard.index);
      const hasRunRow = existsSync(runFolder) && readdirSync(runFolder).some((f) => f.endsWith(".parquet"));
      if (done > 0 || !hasRunRow) {
        const shardErrors = await store.query(
          `SELECT CAST(count(*) AS INTEGER) AS n FROM ${tableScan(out, "errors")} WHERE shard = ${shard.index}`
        ).catch(() => [{n: errors}]);
        await store.write(
          RUN,
          [[
            card.name,
            folder,
            config.fingerprint.cardSha256,
            root,
            (options.labels ?? []).map((f) => path.resolve(f)).join(", ") || null,
            shard.count,
            explain.join(",") || "none",
            alphas.join(","),
            chunkSize,
            mine.length,
            done,
            resumed,
            Number(shardErrors[0]?.n ?? errors),
            startedAt,
            new Date(),
            wallSeconds,
            imagesPerSecond,
            backend,
            workbenchVersion(),
            tf.version.tfjs,
            duckdbVersion(),
            process.version,
            `${process.platform}-${process.arch}`,
            process.memoryUsage().rss / 2 ** 20,
            tensorsStart,
            tensorsEnd,
            recalibration?.file ?? null,
            recalibration?.sha256 ?? null
          ]],
          path.join(runFolder, `run-${startedAt.toISOString().replace(/[:.]/g, "-")}-${process.pid}.parquet`)
        );
      }
      const complete = completedShards(out, shard.count).length === shard.count;
      if (complete) await writeMetrics(out, store);
      if (labels) await store.write(SUBJECTS, subjectRows(labels, findings, root, listed), subjectsFile(out));
      if (complete && options.by?.length) {
        await store.write(SUBGROUPS, await computeSubgroups(store, out, options.by, findings, config.operatingPoints), subgroupsFile(out));
      }
      else say(`${label} done; the metrics table is written when all ${shard.count} shards are done (or run with --metrics-only after merging them)`);
      say(`${label}: ${done} images in ${wallSeconds.toFixed(1)} s (${imagesPerSecond.toFixed(2)} images/s), ${errors} errors; tables in ${out}`);
      return {
        out,
        shard,
        images: mine.length,
        processed: done,
        resumed,
        errors,
        wallSeconds,
        imagesPerSecond,
        tensorsStart,
        tensorsEnd,
        backend,
        metricsWritten: complete
      };
    } finally {
      store?.close();
      release();
    }
  } finally {
    bundle.dispose();
  }
}

/** The tables under `out` as DuckDB expressions, for queries. */
export function tables(out: string): Record<TableName, string> {
  return Object.fromEntries(ALL_TABLES.map((t) => [t.name, tableScan(out, t.name)])) as Record<TableName, string>;
}
