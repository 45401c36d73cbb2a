/**
 * npm run bench [-- --json FILE] [--runs N] [--only node|browser|page|checks] [--no-webgl] [--webgl-runs N]
 *                [--webgl-gradient] [--audit-images N] [--image FILE] [--no-page] [--page-runs N] [--no-huge]
 *                [--site-url URL] [--check-images N] [--check-methods LIST]
 *
 * Our bundles (models/pediatric-pneumonia, models/nih-chestxray14) beside Chester's own graph
 * (its published DenseNet and autoencoder topologies with synthetic weights of the exact shapes,
 * ../shared/tools/make-chester-fixture.cjs), side by side in one run and on the same backend:
 * model load, warm-up, preprocessing, OOD, prediction, each explanation (the CAM family by the fast
 * path and by the gradient path; saliency), BAD evaluation per image, the whole analysis of one
 * image, and Chester's forward pass + input gradient as its app computes them (TF.js's own
 * gradient). Each figure is the median of --runs (default 5) runs after a warm-up, with min and max.
 *
 * The explanation checks (issue 11: faithfulness curves and baselines, the sanity check, localisation)
 * as the batch audit runs them on --check-images radiographs with radiologists' boxes (default 2),
 * per bundle: their cost per image from the audit's own stage times (`--only checks` runs just this).
 *
 * Runtimes: Node (wasm, one thread; each model in its own process, so peak memory is its own; the
 * batch audit with one worker and with two), headless Chromium served cross-origin isolated (wasm
 * with threads), WebGL as it runs on this machine (fewer runs: it is slow without a GPU), and
 * WebGPU where Chromium gives an adapter (said plainly where it does not).
 *
 * The Analyse page (scripts/bench/page.ts): the site as `npm start` serves it (or --site-url),
 * one cold visit then --page-runs (default 3) warm ones in Chromium: the first full result after
 * the page opened and the longest main-thread task. `--only page` runs this part alone;
 * `--no-page` leaves it out. Then the two huge images of issue 12 opened on that page, each in a
 * fresh profile: the time to the verdict and the tab's peak memory (`--no-huge` leaves them out).
 *
 * A benchmark, not a test: it prints figures and ratios and judges nothing. Everything is local:
 * the page is served from 127.0.0.1 and any other request is blocked.
 */
import {spawn} from "node:child_process";
import {copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";
import {encode as encodePng} from "fast-png";
import {bundleForBrowser, CHROMIUM_PATH, launchChromium, modulePage, serveStatic, type Routes} from "../tests/helpers/browser.js";
import {CHESTER_MODELS, chesterFixture, DATA_ROOT, REPO_ROOT, TMP_ROOT} from "../tests/helpers/paths.js";
import type {BrowserMemory, BrowserModel} from "./bench/browser-entry.js";
import {measureAnalysePage, type PageFigures} from "./bench/page.js";
import {STAGE_LABELS, STAGES, type MeasureOptions, type ModelFigures, type Stage, type Stat} from "./bench/measure.js";
import {DEFAULT_IMAGE, MODEL_KEYS, MODEL_LABELS, modelFolders, SHIPPED_KEYS, type ModelKey} from "./bench/node-models.js";

const {values: args} = parseArgs({
  options: {
    json: {type: "string"},
    runs: {type: "string", default: "5"},
    only: {type: "string"},
    "no-webgl": {type: "boolean", default: false},
    "webgl-runs": {type: "string", default: "1"},
    "webgl-gradient": {type: "boolean", default: false},
    "audit-images": {type: "string", default: "6"},
    image: {type: "string"},
    "check-images": {type: "string", default: "2"},
    "check-methods": {type: "string", default: "cam,gradcam,gradcampp"},
    "no-page": {type: "boolean", default: false},
    "page-runs": {type: "string", default: "3"},
    "no-huge": {type: "boolean", default: false},
    "site-url": {type: "string"}
  }
});
const RUNS = Math.max(1, Number(args.runs));
const WEBGL_RUNS = Math.max(1, Number(args["webgl-runs"]));
const AUDIT_IMAGES = Math.max(1, Number(args["audit-images"]));
const CHECK_IMAGES = Math.max(1, Number(args["check-images"]));
const ONLY = args.only;
if (ONLY !== undefined && !["node", "browser", "page", "checks"].includes(ONLY)) throw new Error(`--only takes node, browser, page or checks, got ${JSON.stringify(ONLY)}`);
const WORK = path.join(TMP_ROOT, "bench");
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s`;
const say = (message: string) => process.stderr.write(`[bench ${elapsed()}] ${message}\n`);

type Runtime = "node-wasm" | "chromium-wasm-1" | "chromium-wasm" | "chromium-webgl" | "chromium-webgpu";
interface RuntimeResult {
  runtime: Runtime;
  description: string;
  flags: Record<string, string | number | boolean>;
  runs: number;
  models: Partial<Record<ModelKey, ModelFigures & {memory?: BrowserMemory | {peakRssMb: number}}>>;
  error?: string;
}

// ---------------------------------------------------------------------------------------------------
// Inputs: the image and Chester's fixtures

function ensureImage(): string {
  const chosen = args.image ?? DEFAULT_IMAGE;
  if (existsSync(chosen)) return chosen;
  // Without the data folder: a synthetic 512 x 512 grey PNG, the same in both runtimes.
  mkdirSync(WORK, {recursive: true});
  const file = path.join(WORK, "synthetic.png");
  const size = 512;
  const data = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) data[y * size + x] = Math.round(255 * Math.sqrt((x / size) * (y / size)) * (0.6 + 0.4 * Math.sin(x / 23) * Math.cos(y / 31)) ** 2);
  writeFileSync(file, encodePng({width: size, height: size, data, channels: 1, depth: 8}));
  say(`${chosen} not found: using a synthetic image (${file})`);
  return file;
}

// ---------------------------------------------------------------------------------------------------
// What is measured where

/**
 * Every stage `RUNS` times after a warm-up run, except: for Chester, the stages that no target
 * reads (our whole analysis, the CAM family and the BAD evaluation on its graph) 3 times, the BAD
 * evaluation (15 single passes: its graph is fixed at batch 1) without the warm-up run, and in
 * Node only; on WebGL (software-rendered here, 15-30x slower than wasm) --webgl-runs runs
 * (default 1), the one load as the load figure, no BAD evaluation and no gradient-path CAM, only
 * nih-chestxray14 of our bundles (the same DenseNet-121 as pediatric-pneumonia, and Chester's
 * counterpart), and for Chester only the load and the forward pass (its input gradient, about half
 * a minute there, with --webgl-gradient).
 */
function measureOptions(runtime: Runtime, key: ModelKey): Omit<MeasureOptions, "onProgress"> {
  const chester = key === "chester";
  if (runtime === "chromium-webgl") {
    // Saliency from the whole analysis there (not timed again beside the forward pass: minutes on WebGL).
    const skip: Stage[] = ["evaluate", "camGradientPath", "saliency"];
    if (chester) skip.push("analysis");
    return {runs: WEBGL_RUNS, loadRuns: 0, skip, tfjsGradient: chester && Boolean(args["webgl-gradient"]), tfjsGradientRuns: 1};
  }
  // Chester's figures behind the targets (load, forward, TF.js's gradient) get every run; the
  // rest of our pipeline on its graph (shown for comparison) 3 runs, to keep the benchmark short.
  const extra = chester ? Math.min(3, RUNS) : RUNS;
  return {
    runs: RUNS,
    tfjsGradient: chester,
    analysisRuns: extra,
    evaluateRuns: extra,
    evaluateWarmUp: !chester,
    // Chester's BAD evaluation (15 single passes) in Node only.
    skip: chester && runtime !== "node-wasm" ? ["evaluate"] : [],
    profile: true
  };
}

// ---------------------------------------------------------------------------------------------------
// Node: one child process per measurement

const CHILD = path.join(REPO_ROOT, "scripts/bench/node-child.ts");
const TSX = path.join(REPO_ROOT, "node_modules/tsx/dist/cli.mjs");

/** Runs a child, once more if it fails (a file briefly missing while the working tree changes). */
async function runChild(childArgs: string[]): Promise<Record<string, unknown>> {
  try {
    return await runChildOnce(childArgs);
  } catch (error) {
    say(`${(error as Error).message}; trying once more`);
    return runChildOnce(childArgs);
  }
}

function runChildOnce(childArgs: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSX, CHILD, ...childArgs], {cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"]});
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
      for (const line of d.toString().split("\n")) if (line.startsWith("  [node]")) say(line.trim());
    });
    child.on("close", (code) => {
      const line = stdout.split("\n").find((l) => l.startsWith("BENCH_RESULT "));
      if (code === 0 && line) resolve(JSON.parse(line.slice("BENCH_RESULT ".length)));
      else reject(new Error(`node child ${childArgs.slice(0, 2).join(" ")} failed (${code}): ${stderr.trim().split("\n").slice(-5).join(" | ")}`));
    });
  });
}

async function nodeRuntime(image: string): Promise<{result: RuntimeResult; memory: Partial<Record<ModelKey, Record<string, number>>>}> {
  const result: RuntimeResult = {runtime: "node-wasm", description: `Node ${process.version}, TF.js wasm, 1 thread`, flags: {}, runs: RUNS, models: {}};
  for (const key of MODEL_KEYS) {
    say(`Node wasm: ${key}`);
    const out = await runChild(["measure", key, image, JSON.stringify(measureOptions("node-wasm", key))]);
    result.models[key] = out.figures as ModelFigures;
    result.flags = out.flags as Record<string, string | number | boolean>;
  }
  const memory: Partial<Record<ModelKey, Record<string, number>>> = {};
  for (const key of MODEL_KEYS) {
    say(`Node wasm: peak memory of ${key === "chester" ? "Chester's forward + TF.js input gradient" : "the whole analysis"} (own process)`);
    memory[key] = (await runChild(["memory", key, image])) as Record<string, number>;
  }
  return {result, memory};
}

/** Images/s of the batch audit with `workers` processes of AUDIT_IMAGES images each, started together. */
async function auditThroughput(workers: number, files: string[], imagesDir: string): Promise<{workers: number; images: number; seconds: number; imagesPerSecond: number; perWorker: number[]}> {
  const dir = path.join(WORK, `audit-${workers}`);
  rmSync(dir, {recursive: true, force: true});
  mkdirSync(dir, {recursive: true});
  const go = path.join(dir, "go");
  const children = Array.from({length: workers}, (_, i) => {
    const list = path.join(dir, `files-${i}.json`);
    writeFileSync(list, JSON.stringify(files.slice(i * AUDIT_IMAGES, (i + 1) * AUDIT_IMAGES)));
    return runChild(["audit", "pediatric-pneumonia", imagesDir, list, path.join(dir, `out-${i}`), path.join(dir, `ready-${i}`), go]);
  });
  // Start them together once every worker has loaded its model.
  const deadline = Date.now() + 300_000;
  while (Array.from({length: workers}, (_, i) => existsSync(path.join(dir, `ready-${i}`))).includes(false) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  writeFileSync(go, "go");
  const outs = (await Promise.all(children)) as {images: number; startMs: number; endMs: number; wallSeconds: number}[];
  const images = outs.reduce((n, o) => n + o.images, 0);
  const seconds = (Math.max(...outs.map((o) => o.endMs)) - Math.min(...outs.map((o) => o.startMs))) / 1000;
  return {workers, images, seconds, imagesPerSecond: images / seconds, perWorker: outs.map((o) => o.images / o.wallSeconds)};
}

function auditImages(image: string): {dir: string; files: string[]} {
  const test = path.join(DATA_ROOT, "cxr-peds/test");
  const wanted = 2 * AUDIT_IMAGES;
  if (existsSync(test)) {
    const files = ["NORMAL", "PNEUMONIA"].flatMap((c) => readdirSync(path.join(test, c)).sort().slice(0, AUDIT_IMAGES).map((f) => `${c}/${f}`));
    if (files.length >= wanted) return {dir: test, files: files.filter((_, i) => i % 1 === 0).slice(0, wanted)};
  }
  const dir = path.join(WORK, "audit-images");
  mkdirSync(dir, {recursive: true});
  const files = Array.from({length: wanted}, (_, i) => `image-${String(i).padStart(3, "0")}${path.extname(image)}`);
  for (const f of files) copyFileSync(image, path.join(dir, f));
  return {dir, files};
}

// ---------------------------------------------------------------------------------------------------
// The explanation checks, in the audit

interface CheckFigures {
  bundle: string;
  images: string[];
  methods: string[];
  wallSeconds: number;
  imagesPerSecond: number;
  /** Per image, median (min-max) over the images: each check's time (ms) summed over the explained findings. */
  faithfulnessMs: Stat;
  /** faithfulnessMs per explained finding and method: one map's curves, ROAD and AD / BAD / IC under 4 baselines. */
  faithfulnessPerMapMs: Stat;
  sanityMs: Stat;
  /** sanityMs per explained finding: all methods' maps at each of the model's randomisation steps. */
  sanitySteps: number;
  localisationMs: Stat;
  totalMs: Stat;
}

function stat(values: number[]): Stat {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return {median: sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2, min: sorted[0]!, max: sorted.at(-1)!, n: sorted.length};
}

/** The first `count` Pneumonia boxes' images of cxr-nih/boxes.csv, evenly spaced (both bundles have the finding). */
async function boxedImages(count: number): Promise<string[]> {
  const {readFileSync} = await import("node:fs");
  const {parseBoxesCsv} = await import("../src/pipeline/faithfulness/localisation.js");
  const {boxes} = parseBoxesCsv(readFileSync(path.join(DATA_ROOT, "cxr-nih/boxes.csv"), "utf8"));
  const pneumonia = [...new Set(boxes.filter((b) => b.finding === "Pneumonia").map((b) => `cxr-nih/${b.path}`))].sort();
  return Array.from({length: Math.min(count, pneumonia.length)}, (_, i) => pneumonia[Math.floor(((i + 0.5) * pneumonia.length) / Math.min(count, pneumonia.length))]!);
}

async function explanationChecks(): Promise<CheckFigures[]> {
  if (!existsSync(path.join(DATA_ROOT, "cxr-nih/boxes.csv"))) {
    say(`no ${path.join(DATA_ROOT, "cxr-nih/boxes.csv")}: the explanation checks are left out`);
    return [];
  }
  const files = await boxedImages(CHECK_IMAGES);
  const methods = String(args["check-methods"]);
  const figures: CheckFigures[] = [];
  for (const key of SHIPPED_KEYS) {
    say(`Node wasm: the explanation checks in the audit, ${key}, ${files.length} boxed NIH images, ${methods}`);
    const dir = path.join(WORK, `checks-${key}`);
    rmSync(dir, {recursive: true, force: true});
    mkdirSync(dir, {recursive: true});
    const list = path.join(dir, "files.json");
    writeFileSync(list, JSON.stringify(files));
    const out = (await runChild(["checks", key, DATA_ROOT, list, path.join(DATA_ROOT, "cxr-nih/labels.csv"), path.join(DATA_ROOT, "cxr-nih/boxes.csv"), path.join(dir, "out"), methods])) as {
      wallSeconds: number;
      images: number;
      perImage: {path: string; faithfulness_ms: number; sanity_ms: number; localisation_ms: number; total_ms: number; findings: number; sanity_steps: number}[];
    };
    const m = methods.split(",").length;
    const rows = out.perImage;
    figures.push({
      bundle: key,
      images: rows.map((r) => r.path),
      methods: methods.split(","),
      wallSeconds: out.wallSeconds,
      imagesPerSecond: out.images / out.wallSeconds,
      faithfulnessMs: stat(rows.map((r) => r.faithfulness_ms)),
      faithfulnessPerMapMs: stat(rows.map((r) => r.faithfulness_ms / (Math.max(1, r.findings) * m))),
      sanityMs: stat(rows.map((r) => r.sanity_ms)),
      sanitySteps: Math.max(...rows.map((r) => r.sanity_steps ?? 0)),
      localisationMs: stat(rows.map((r) => r.localisation_ms)),
      totalMs: stat(rows.map((r) => r.total_ms))
    });
  }
  return figures;
}

// ---------------------------------------------------------------------------------------------------
// Chromium

const WASM_DIR = path.join(REPO_ROOT, "node_modules/@tensorflow/tfjs-backend-wasm/dist");

async function browserRuntimes(image: string, skipWebgl: boolean): Promise<RuntimeResult[]> {
  const bundle = await bundleForBrowser(path.join(REPO_ROOT, "scripts/bench/browser-entry.ts"), {name: "bench-entry.js"});
  const chester = modelFolders("chester");
  const routes: Routes = {
    "/index.html": modulePage(`/${bundle.name}`, "bench"),
    [`/${bundle.name}`]: bundle.file,
    [`/${bundle.name}.map`]: `${bundle.file}.map`,
    "/wasm/": WASM_DIR,
    "/models/pediatric-pneumonia/": modelFolders("pediatric-pneumonia").folder,
    "/models/nih-chestxray14/": modelFolders("nih-chestxray14").folder,
    "/models/pediatric-pneumonia-128/": modelFolders("pediatric-pneumonia-128").folder,
    "/models/nih-chestxray14-128/": modelFolders("nih-chestxray14-128").folder,
    "/chester/densenet/": chester.folder,
    "/chester/ae/": chester.ood!,
    [`/image${path.extname(image)}`]: image
  };
  const models: Record<ModelKey, BrowserModel> = {
    "pediatric-pneumonia": {name: "pediatric-pneumonia", url: "/models/pediatric-pneumonia/"},
    "nih-chestxray14": {name: "nih-chestxray14", url: "/models/nih-chestxray14/"},
    "pediatric-pneumonia-128": {name: "pediatric-pneumonia-128", url: "/models/pediatric-pneumonia-128/"},
    "nih-chestxray14-128": {name: "nih-chestxray14-128", url: "/models/nih-chestxray14-128/"},
    chester: {name: "chester", url: "/chester/densenet/", ood: "/chester/ae/"}
  };
  const server = await serveStatic(routes, {crossOriginIsolated: true});
  const chromium = await launchChromium();
  const results: RuntimeResult[] = [];
  try {
    // wasm with one thread, and with one per core: on a busy machine the threaded build can lose
    // more to waiting for its other thread than it gains (the JSON's ratios take the fastest).
    const configs: {runtime: Runtime; backend: "wasm" | "webgl" | "webgpu"; runs: number}[] = [
      {runtime: "chromium-wasm-1", backend: "wasm", runs: RUNS},
      {runtime: "chromium-wasm", backend: "wasm", runs: RUNS}
    ];
    if (!skipWebgl) configs.push({runtime: "chromium-webgl", backend: "webgl", runs: WEBGL_RUNS});
    // Measured only where Chromium gives a WebGPU adapter (not headless without a GPU).
    configs.push({runtime: "chromium-webgpu", backend: "webgpu", runs: RUNS});
    for (const config of configs) {
      const watched = await chromium.newPage();
      const {page} = watched;
      // TF.js gives wasm half of navigator.hardwareConcurrency threads; report every core so it uses them all.
      const cores = os.cpus().length;
      // (Left as it is for chromium-wasm-1: half of this machine's 2 cores is 1 thread.)
      if (config.runtime !== "chromium-wasm-1")
        await page.addInitScript(`Object.defineProperty(Navigator.prototype, "hardwareConcurrency", {get: () => ${2 * cores}});`);
      page.on("console", (message) => {
        const text = message.text();
        if (text.startsWith("bench-progress: ")) say(`  [${config.runtime}] ${text.slice(16)}`);
      });
      await page.goto(server.url("/index.html"));
      await page.waitForFunction(() => window.bench !== undefined, undefined, {timeout: 60_000});
      const result: RuntimeResult = {runtime: config.runtime, description: "", flags: {}, runs: config.runs, models: {}};
      try {
        if (config.backend === "webgpu") {
          const why = await page.evaluate(() => window.bench!.webgpuUnavailable());
          if (why) {
            result.description = `Chromium ${chromium.context.browser()?.version() ?? ""} headless: WebGPU NOT MEASURED here, ${why}`;
            result.error = `not measured: ${why}`;
            say(result.description);
            results.push(result);
            await page.close();
            continue;
          }
        }
        result.flags = await page.evaluate(([b, w]) => window.bench!.start(b, w), [config.backend, server.url("/wasm/")] as const);
        const browserVersion = chromium.context.browser()?.version() ?? "";
        if (config.backend === "wasm")
          result.description = `Chromium ${browserVersion} headless, TF.js wasm, ${result.flags.threads} thread(s), crossOriginIsolated ${result.flags.crossOriginIsolated}`;
        else if (config.backend === "webgl") result.description = `Chromium ${browserVersion} headless, TF.js WebGL ${result.flags.WEBGL_VERSION} on ${await page.evaluate(() => window.bench!.webglRenderer())}`;
        else result.description = `Chromium ${browserVersion} headless, TF.js WebGPU`;
        say(`${result.description}`);
        for (const key of MODEL_KEYS) {
          // WebGL and WebGPU: one of our DenseNets beside Chester's (software-rendered WebGL is slow).
          if (config.backend !== "wasm" && key !== "nih-chestxray14" && key !== "chester") continue;
          say(`${config.runtime}: ${key}`);
          result.models[key] = await page.evaluate(
            ([m, u, o]) => window.bench!.measure(m, u, o),
            [models[key], `/image${path.extname(image)}`, measureOptions(config.runtime, key)] as const
          );
        }
      } catch (error) {
        result.error = (error as Error).message.split("\n")[0];
        say(`${config.runtime} stopped: ${result.error}`);
      }
      const foreign = watched.foreignRequests();
      if (foreign.length) throw new Error(`the page asked for something off 127.0.0.1: ${foreign.join(", ")}`);
      results.push(result);
      await page.close();
    }
  } finally {
    await chromium.close();
    await server.close();
  }
  return results;
}

// ---------------------------------------------------------------------------------------------------
// Report

const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const cell = (s?: Stat) => (s ? `${fmt(s.median)} (${fmt(s.min)}-${fmt(s.max)})` : "-");

function table(result: RuntimeResult): string {
  const headers = ["stage, ms: median (min-max)", ...MODEL_KEYS.map((k) => MODEL_LABELS[k])];
  const rows: string[][] = [];
  for (const stage of STAGES) {
    const cells = MODEL_KEYS.map((k) => cell(result.models[k]?.stages[stage]));
    if (cells.every((c) => c === "-")) continue;
    rows.push([STAGE_LABELS[stage], ...cells]);
  }
  const chester = result.models.chester?.stages;
  if (chester?.forward && chester.gradientTfjs)
    rows.push(["Chester app: forward + input gradient", "", "", fmt(chester.forward.median + chester.gradientTfjs.median)]);
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ")} |`;
  return [line(headers), `|${widths.map((w, i) => (i ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|")}|`, ...rows.map(line)].join("\n");
}

interface Ratios {
  analysis_vs_chester: number | null;
  forward_vs_chester: number | null;
  saliency_vs_forward: number | null;
  batch_two_workers_vs_one: number | null;
  memory_peak_mb: number | null;
  from: string | null;
  load_max_s: number | null;
  load_with_warm_up_max_s: number | null;
  /** Analyse page in Chromium, warm visit (model cached): the first full result, s after the page opened (median of the visits). */
  first_result_warm_s: number | null;
  /** The longest main-thread task (PerformanceObserver longtask) of any warm visit, ms. */
  longest_main_thread_task_ms: number | null;
  [key: string]: unknown;
}

/** Our figure over Chester's, for each of our bundles; the JSON keeps the larger (worse) one. */
function ratios(result: RuntimeResult | undefined) {
  const ours = SHIPPED_KEYS;
  const chester = result?.models.chester?.stages;
  const per = (f: (s: Partial<Record<Stage, Stat>>) => number | null) =>
    Object.fromEntries(ours.map((k) => [k, result?.models[k] ? f(result.models[k]!.stages) : null])) as Record<string, number | null>;
  const worst = (r: Record<string, number | null>) => {
    const v = Object.values(r).filter((x): x is number => x !== null && Number.isFinite(x));
    return v.length ? Math.max(...v) : null;
  };
  const chesterApp = chester?.forward && chester.gradientTfjs ? chester.forward.median + chester.gradientTfjs.median : null;
  const analysis = per((s) => (s.analysis && chesterApp ? s.analysis.median / chesterApp : null));
  const forward = per((s) => (s.forward && chester?.forward ? s.forward.median / chester.forward.median : null));
  const saliency = per((s) => (s.saliency && s.forward ? s.saliency.median / s.forward.median : null));
  return {analysis, forward, saliency, worst: {analysis: worst(analysis), forward: worst(forward), saliency: worst(saliency)}};
}

function fastest(results: RuntimeResult[]): RuntimeResult | undefined {
  const chromium = results.filter((r) => r.runtime.startsWith("chromium") && r.models["nih-chestxray14"]?.stages.analysis);
  return chromium.sort((a, b) => a.models["nih-chestxray14"]!.stages.analysis!.median - b.models["nih-chestxray14"]!.stages.analysis!.median)[0];
}

// ---------------------------------------------------------------------------------------------------

const PAGE_ONLY = args.only === "page";
const image = ensureImage();
say(`machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? "?"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
if (ONLY !== "checks" && !PAGE_ONLY) {
  say(`image: ${path.relative(REPO_ROOT, image) || image}; runs per figure: ${RUNS} after a warm-up (WebGL: ${WEBGL_RUNS})`);
  say("Chester's fixtures (synthetic weights of its exact shapes)");
  chesterFixture(CHESTER_MODELS.densenet);
  chesterFixture(CHESTER_MODELS.autoencoder);
}

const results: RuntimeResult[] = [];
let nodeMemory: Partial<Record<ModelKey, Record<string, number>>> = {};
let batch: {one: Awaited<ReturnType<typeof auditThroughput>>; two: Awaited<ReturnType<typeof auditThroughput>>} | null = null;
const loadBefore = os.loadavg();

let checks: CheckFigures[] = [];
if (ONLY === undefined || ONLY === "node") {
  const node = await nodeRuntime(image);
  results.push(node.result);
  nodeMemory = node.memory;
  const {dir, files} = auditImages(image);
  say(`Node batch audit (pediatric-pneumonia, default explanations): 1 worker x ${AUDIT_IMAGES} images`);
  const one = await auditThroughput(1, files, dir);
  say(`Node batch audit: 2 workers x ${AUDIT_IMAGES} images, started together`);
  const two = await auditThroughput(2, files, dir);
  batch = {one, two};
}
if (ONLY === undefined || ONLY === "checks") checks = await explanationChecks();
let analysePage: PageFigures | null = null;
if (ONLY === undefined || ONLY === "browser" || PAGE_ONLY) {
  if (!existsSync(CHROMIUM_PATH)) say(`no Chromium at ${CHROMIUM_PATH} (set CHROMIUM_PATH): the browser runs are left out`);
  else {
    if (!PAGE_ONLY) {
      say("Chromium: bundling the page, serving it cross-origin isolated on 127.0.0.1");
      results.push(...(await browserRuntimes(image, Boolean(args["no-webgl"]))));
    }
    if (PAGE_ONLY || !args["no-page"]) {
      try {
        analysePage = await measureAnalysePage({root: REPO_ROOT, siteUrl: args["site-url"], runs: Math.max(1, Number(args["page-runs"])), huge: !args["no-huge"], say});
      } catch (error) {
        say(`Analyse page: not measured: ${(error as Error).message}`);
      }
    }
  }
}
const loadAfter = os.loadavg();

// Print
const out: string[] = [];
out.push(`\nBenchmark ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} x ${os.cpus()[0]?.model ?? "?"} (${os.arch()}), no GPU; image ${path.basename(image)}`);
out.push(`load average (1, 5, 15 min): before ${loadBefore.map((l) => l.toFixed(2)).join(" ")}, after ${loadAfter.map((l) => l.toFixed(2)).join(" ")}`);
for (const r of results) {
  out.push(`\n${r.runtime}: ${r.description || "(did not start)"}; ${r.runs} runs after a warm-up${r.error ? `; STOPPED: ${r.error}` : ""}`);
  out.push(table(r));
  const cam = MODEL_KEYS.map((k) => r.models[k]?.camKernels).filter(Boolean);
  if (cam.length)
    out.push(`CAM family by the fast path: ${MODEL_KEYS.map((k) => r.models[k]?.camKernels ? `${k} ${r.models[k]!.camKernels!.count} kernels, gradient kernels: ${r.models[k]!.camKernels!.gradientKernels.join(", ") || "none"}` : "").filter(Boolean).join("; ")}`);
  const mem = MODEL_KEYS.map((k) => {
    const m = r.models[k]?.memory as BrowserMemory | undefined;
    return m ? `${k}: wasm heap ${m.wasmHeapMb === null ? "-" : m.wasmHeapMb.toFixed(0)} MB, JS heap ${m.jsHeapUsedMb === null ? "-" : m.jsHeapUsedMb.toFixed(0)} MB` : "";
  }).filter(Boolean);
  if (mem.length) out.push(`memory at the end (page): ${mem.join("; ")}`);
}
if (Object.keys(nodeMemory).length) {
  out.push(`\nPeak memory, Node (RSS of one process: load + 3 analyses; Chester: its forward + TF.js input gradient x 3):`);
  out.push(MODEL_KEYS.filter((k) => nodeMemory[k]).map((k) => `  ${k}: ${nodeMemory[k]!.peakRssMb!.toFixed(0)} MB peak (after load ${nodeMemory[k]!.afterLoadRssMb!.toFixed(0)} MB, wasm heap ${nodeMemory[k]!.wasmHeapMb?.toFixed(0) ?? "-"} MB)`).join("\n"));
}
if (checks.length) {
  out.push(`\nExplanation checks in the batch audit (Node wasm, one process; --faithfulness with 4 baselines, 16-step curves and ROAD, --sanity, --localisation),`);
  out.push(`per image, ms: median (min-max) over ${checks[0]!.images.length} boxed NIH radiographs (${checks[0]!.images.map((p) => path.basename(p)).join(", ")}), methods ${checks[0]!.methods.join(", ")}:`);
  for (const c of checks) {
    out.push(`  ${c.bundle}: faithfulness ${cell(c.faithfulnessMs)} (per map ${cell(c.faithfulnessPerMapMs)}); sanity ${cell(c.sanityMs)} (${c.sanitySteps} randomisation steps);` +
      ` localisation ${cell(c.localisationMs)}; the whole image ${cell(c.totalMs)}; ${c.imagesPerSecond.toFixed(3)} images/s`);
  }
}
if (batch) {
  out.push(`\nBatch audit in Node (pediatric-pneumonia, CAM family + BAD at 4 alphas, chunk writes included):`);
  out.push(`  1 worker : ${batch.one.images} images in ${batch.one.seconds.toFixed(1)} s = ${batch.one.imagesPerSecond.toFixed(2)} images/s`);
  out.push(`  2 workers: ${batch.two.images} images in ${batch.two.seconds.toFixed(1)} s = ${batch.two.imagesPerSecond.toFixed(2)} images/s (per worker ${batch.two.perWorker.map((x) => x.toFixed(2)).join(", ")})`);
}
const best = fastest(results);
const r = ratios(best);
const nodeR = ratios(results.find((x) => x.runtime === "node-wasm"));
const ourPeak = (["pediatric-pneumonia", "nih-chestxray14"] as const).map((k) => nodeMemory[k]?.peakRssMb).filter((x): x is number => typeof x === "number");
const loads = results.flatMap((res) => (["pediatric-pneumonia", "nih-chestxray14"] as const).map((k) => res.models[k]?.stages.load?.median).filter((x): x is number => typeof x === "number"));
const loadsWarm = results.filter((res) => res.runtime !== "chromium-webgl").flatMap((res) =>
  (["pediatric-pneumonia", "nih-chestxray14"] as const).map((k) => {
    const s = res.models[k]?.stages;
    return s?.load && s.warmUp ? s.load.median + s.warmUp.median : undefined;
  }).filter((x): x is number => typeof x === "number")
);
const json: {ratios: Ratios} & Record<string, unknown> = {
  ratios: {
    analysis_vs_chester: r.worst.analysis,
    forward_vs_chester: r.worst.forward,
    saliency_vs_forward: r.worst.saliency,
    batch_two_workers_vs_one: batch ? batch.two.imagesPerSecond / batch.one.imagesPerSecond : null,
    memory_peak_mb: ourPeak.length ? Math.max(...ourPeak) : null,
    from: best ? `${best.runtime} (${best.description})` : null,
    by_bundle: {analysis_vs_chester: r.analysis, forward_vs_chester: r.forward, saliency_vs_forward: r.saliency},
    node_wasm: nodeR.worst,
    load_max_s: loads.length ? Math.max(...loads) / 1000 : null,
    /** wasm runtimes (WebGL's warm-up compiles its shaders: tens of seconds without a GPU). */
    load_with_warm_up_max_s: loadsWarm.length ? Math.max(...loadsWarm) / 1000 : null,
    first_result_warm_s: analysePage?.firstResultWarmS ?? null,
    longest_main_thread_task_ms: analysePage?.longestMainThreadTaskMs ?? null
  },
  date: new Date().toISOString(),
  machine: {cpus: os.cpus().length, model: os.cpus()[0]?.model, arch: os.arch(), memoryGiB: os.totalmem() / 2 ** 30, loadBefore, loadAfter},
  image: path.relative(REPO_ROOT, image),
  runtimes: results,
  nodeMemory,
  batch,
  analysePage,
  /** Per bundle: the explanation checks' cost per image in the audit (null when not run). */
  explanationChecks: checks.length ? checks : null
};
const x = (v: number | null, d = 2) => (v === null ? "-" : `${v.toFixed(d)}x`);
if (ONLY !== "checks")
  out.push(PAGE_ONLY ? "\nFigures (--only page: the Analyse page alone):" : `\nRatios (${json.ratios.from ?? "no Chromium run"}; the larger of our two bundles):`);
if (ONLY !== "checks" && !PAGE_ONLY) {
  out.push(`  whole analysis / Chester forward + input gradient : ${x(r.worst.analysis)}   (target <= 0.35x)  [${Object.entries(r.analysis).map(([k, v]) => `${k} ${x(v)}`).join(", ")}]`);
  out.push(`  our forward / Chester forward                     : ${x(r.worst.forward)}   (target <= 0.6x)   [${Object.entries(r.forward).map(([k, v]) => `${k} ${x(v)}`).join(", ")}]`);
  out.push(`  saliency / our forward                            : ${x(r.worst.saliency)}   (target <= 3x)     [${Object.entries(r.saliency).map(([k, v]) => `${k} ${x(v)}`).join(", ")}]`);
  out.push(`  Node wasm, same ratios                            : ${x(nodeR.worst.analysis)}, ${x(nodeR.worst.forward)}, ${x(nodeR.worst.saliency)}`);
  out.push(`  batch audit, 2 workers / 1 worker (Node)          : ${x(json.ratios.batch_two_workers_vs_one)}   (target >= 1.8x)`);
  const webglWarm = results.find((res) => res.runtime === "chromium-webgl")?.models["nih-chestxray14"]?.stages.warmUp?.median;
  out.push(`  model load (read + parse + upload), slowest       : ${json.ratios.load_max_s?.toFixed(2) ?? "-"} s; with the warm-up run, wasm: ${json.ratios.load_with_warm_up_max_s?.toFixed(2) ?? "-"} s${webglWarm === undefined ? "" : ` (WebGL warm-up, compiling shaders: ${(webglWarm / 1000).toFixed(1)} s)`}   (target <= 1 s)`);
  out.push(`  peak memory of the whole analysis (Node RSS)      : ${json.ratios.memory_peak_mb?.toFixed(0) ?? "-"} MB   (target <= 600 MB)`);
}
if (analysePage) {
  const secs = (ms: number | null) => (ms === null ? "-" : (ms / 1000).toFixed(2));
  const ok = analysePage.warm.filter((v) => !v.error);
  out.push(`  Analyse page, warm visit: first full result       : ${analysePage.firstResultWarmS?.toFixed(2) ?? "-"} s   (target <= 3 s)    [visits: ${analysePage.warm.map((v) => v.error ? "failed" : secs(v.firstResultMs)).join(", ")} s]`);
  out.push(`  Analyse page, longest main-thread task            : ${analysePage.longestMainThreadTaskMs?.toFixed(0) ?? "-"} ms   (target <= 200 ms) [per visit: ${ok.map((v) => v.longestTaskMs.toFixed(0)).join(", ")} ms]`);
  for (const h of analysePage.hugeImages ?? [])
    out.push(`  Analyse page, ${`${h.width} x ${h.height} ${path.extname(h.image).slice(1).toUpperCase()}`.padEnd(22)}: ${h.error ? `FAILED: ${h.error}` : `tab peak ${h.tabPeakMb?.toFixed(0) ?? "-"} MB (${h.tabPeakBeforeMb?.toFixed(0) ?? "-"} MB after the default sample; target <= 600 MB), verdict in ${h.seconds?.toFixed(1)} s`}`);
}
for (const res of results)
  for (const key of MODEL_KEYS) {
    const p = res.models[key]?.profile;
    if (!p) continue;
    const top = (k: {name: string; calls: number; ms: number}[]) => k.slice(0, 6).map((e) => `${e.name} ${e.ms.toFixed(0)} (${e.calls})`).join(", ");
    out.push(`\nKernels (${res.runtime}, tf.profile, ms (calls)) ${key}:\n  saliency ${p.saliencyTotalMs.toFixed(0)} ms: ${top(p.saliency)}\n  forward  ${p.forwardTotalMs.toFixed(0)} ms: ${top(p.forward)}`);
  }
if (analysePage) {
  const {cold, warm} = analysePage;
  out.push(`\nAnalyse page in Chromium (${analysePage.server}; ${analysePage.url}): a cold visit, then ${warm.length} warm visit(s) in the same browser profile`);
  out.push(`  cold: ${cold.error ? `FAILED: ${cold.error}` : `first full result ${((cold.firstResultMs ?? NaN) / 1000).toFixed(2)} s, longest task ${cold.longestTaskMs.toFixed(0)} ms`}`);
  warm.forEach((v, i) =>
    out.push(
      `  warm ${i + 1}: ${v.error ? `FAILED: ${v.error}` : `first full result ${((v.firstResultMs ?? NaN) / 1000).toFixed(2)} s (model ready at ${((v.modelReadyMs ?? NaN) / 1000).toFixed(2)} s, of which load + warm-up ${((v.modelLoadMs ?? NaN) / 1000).toFixed(2)} s, ${v.modelFromCache ? "from this browser's cache" : "NOT from the cache"}); ${v.longTasks.length} task(s) over 50 ms: ${v.longTasks.map((t) => `${t.durationMs.toFixed(0)} ms at ${(t.startMs / 1000).toFixed(2)} s`).join(", ") || "none"}`}`
    )

  );
  // Where a warm visit's time goes: the page's own milestones (src/components/page-timeline.ts).
  warm.forEach((v, i) => {
    if (v.timeline?.length) out.push(`  warm ${i + 1} timeline: ${v.timeline.map((m) => `${(m.ms / 1000).toFixed(2)} s ${m.label}`).join("; ")}`);
  });
  const backend = warm.find((v) => v.backend)?.backend ?? cold.backend;
  if (backend) out.push(`  ${backend}`);
}
out.push(`\nTotal time ${elapsed().trim()}.`);
console.log(out.join("\n"));
if (args.json) {
  writeFileSync(args.json, JSON.stringify(json, null, 2) + "\n");
  say(`JSON written to ${args.json}`);
}

