/**
 * A page's handle on the analysis worker (src/workers/analysis-worker.ts): the model is loaded and
 * every analysis runs there, so the page never freezes while a model computes. Calls are queued in
 * the worker and answered in order; each may report progress.
 */
import type {AnalyseOptions} from "../pipeline/analyse.js";
import type {BackendName} from "../pipeline/backend.js";
import {DICOM_CODEC_WASM, WASM_FILES, WORKER_SCRIPT} from "./worker-files.js";
import type {ModelChoice} from "./model-choice.js";
import type {ImageSource, ModelSpec, WorkerBackend, WorkerImage, WorkerModelInfo} from "./worker-protocol.js";
import {compactViews} from "./compact-views.js";
import {markTimeline} from "./page-timeline.js";

export type {WorkerImage} from "./worker-protocol.js";

type Pending = {resolve: (value: never) => void; reject: (error: Error) => void; progress?: (text: string, fraction?: number) => void};

/** An error thrown in the worker, with its name and code (e.g. ImageDecodeError's) kept. */
export class WorkerCallError extends Error {
  readonly code: string | undefined;
  constructor(name: string, message: string, code?: string) {
    super(message);
    this.name = name;
    this.code = code;
  }
}

export class AnalysisWorker {
  private worker: Worker;
  private next = 1;
  private pending = new Map<number, Pending>();
  private crashed: Error | null = null;
  /** The backend the worker runs on, and how it was chosen. */
  backend: WorkerBackend | null = null;

  /** False once the worker has stopped (a crash, or terminate()): start another. */
  get alive(): boolean {
    return this.crashed === null;
  }

  constructor(url: string) {
    this.worker = new Worker(url, {type: "module", name: "cxr-analysis"});
    this.worker.onmessage = (event: MessageEvent) => {
      const {id, progress, result, error} = event.data as {id: number; progress?: {text: string; fraction?: number}; result?: unknown; error?: {name: string; message: string; code?: string}};
      const call = this.pending.get(id);
      if (!call) return;
      if (progress) return call.progress?.(progress.text, progress.fraction);
      this.pending.delete(id);
      if (error) call.reject(new WorkerCallError(error.name, error.message, error.code));
      else call.resolve(result as never);
    };
    this.worker.onerror = (event) => {
      // A crash (out of memory, a script that failed to load) fails every waiting call, clearly.
      this.crashed = new Error(`the analysis worker stopped: ${event.message || "it could not start"}`);
      for (const call of this.pending.values()) call.reject(this.crashed);
      this.pending.clear();
    };
  }

  call<T>(method: string, args: unknown[] = [], progress?: (text: string, fraction?: number) => void, transfer: Transferable[] = []): Promise<T> {
    if (this.crashed) return Promise.reject(this.crashed);
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, {resolve: resolve as (value: never) => void, reject, progress});
      this.worker.postMessage({id, method, args: compactViews(args)}, transfer);
    });
  }

  terminate(): void {
    this.worker.terminate();
    this.crashed ??= new Error("the page closed the analysis worker");
    for (const call of this.pending.values()) call.reject(new Error("the page closed the analysis worker"));
    this.pending.clear();
  }
}

const absolute = (href: string) => new URL(href, location.href).href;

/** A model loaded in a worker: the card and what the pages show about it, and its calls. */
export interface RemoteModel extends WorkerModelInfo {
  worker: AnalysisWorker;
  /** Decode and analyse an image in the worker (a sample's bytes are copied; a File is read there). */
  analyse(source: ImageSource, name: string, options?: AnalyseOptions & {displaySize?: number; viewMax?: number}): Promise<WorkerImage>;
  /** A pipeline study function (src/pipeline/explain/study.ts) on this model's classifier. */
  run<T>(method: "timedRawMaps" | "perturbedViews" | "blackScores" | "faithfulness" | "sanity", ...args: unknown[]): Promise<T>;
  /** The same, reporting the worker's progress messages. */
  runWithProgress<T>(method: "faithfulness" | "sanity", progress: (text: string, fraction?: number) => void, ...args: unknown[]): Promise<T>;
  memory(): Promise<{numTensors: number; numBytes: number}>;
  dispose(): void;
}

function specOf(choice: ModelChoice): ModelSpec {
  if (choice.kind === "site") return {kind: "site", name: choice.bundle.name, title: choice.bundle.title, href: absolute(choice.bundle.pack.href), size: choice.bundle.pack.size};
  if (choice.kind === "folder") return {kind: "folder", files: choice.files};
  return {kind: "url", model: choice.model, ood: choice.ood, base: location.href};
}

const BACKEND_KEY = "cxr-workbench-worker-backend";
/** How long a backend measurement is trusted: a new browser version or machine measures again anyway. */
const BACKEND_MEASUREMENT_DAYS = 7;

/** What the measurement was made on: a browser update or other hardware invalidates it. */
function measuredOn(): string {
  return `${navigator.userAgent} | ${navigator.hardwareConcurrency} cores | ${"gpu" in navigator ? "webgpu api" : "no webgpu api"}`;
}

/**
 * The backend measured earlier in this browser (localStorage, so later visits and tabs start on
 * the winner at once: WebGL's probe alone compiles shaders for a second where there is no GPU).
 */
function remembered(): WorkerBackend | null {
  try {
    const kept = JSON.parse(localStorage.getItem(BACKEND_KEY) ?? "null") as {backend: WorkerBackend; on: string; at: number} | null;
    if (!kept || kept.on !== measuredOn() || !(Date.now() - kept.at < BACKEND_MEASUREMENT_DAYS * 86_400_000)) return null;
    return kept.backend;
  } catch {
    return null;
  }
}

function remember(backend: WorkerBackend): void {
  try {
    localStorage.setItem(BACKEND_KEY, JSON.stringify({backend, on: measuredOn(), at: Date.now()}));
  } catch {
    // Storage refused: the next page measures again.
  }
}

/** Starts an analysis worker on the fastest backend it measures (or the one forced in `prefer`). */
export async function startAnalysisWorker({prefer, onProgress}: {prefer?: BackendName[]; onProgress?: (text: string, fraction?: number) => void} = {}): Promise<AnalysisWorker> {
  markTimeline("worker: starting");
  const worker = new AnalysisWorker(absolute(await WORKER_SCRIPT.url()));
  // The measurement is made once per browser and week (remembered() above).
  const measured = remembered();
  // WebGPU is measured only where the browser gives an adapter (the worker says why not otherwise).
  const candidates: BackendName[] = prefer ?? (measured ? [measured.name] : ["wasm", "webgl", "webgpu"]);
  onProgress?.(measured && !prefer ? `Starting the analysis worker on ${measured.name} (measured earlier in this browser)` : "Starting the analysis worker and measuring its TF.js backends");
  const wasmPaths = Object.fromEntries(Object.entries(WASM_FILES).map(([name, href]) => [name, absolute(href)]));
  const codecWasm = Object.fromEntries(Object.entries(DICOM_CODEC_WASM).map(([name, href]) => [name, absolute(href)]));
  try {
    const backend = await worker.call<WorkerBackend>("init", [{wasmPaths, codecWasm, prefer: candidates}]);
    markTimeline(`worker: ready on ${backend.name}`);
    if (!prefer && !measured) remember(backend);
    worker.backend = measured && !prefer ? {...measured, reason: `${measured.reason}; measured earlier in this browser`} : backend;
  } catch (error) {
    worker.terminate();
    throw error;
  }
  return worker;
}

/**
 * Starts a worker (or uses the one given), picks its backend by measurement and loads the chosen model there, reporting
 * progress. `prefer` is the backends to measure (a forced one first skips the others).
 */
export async function loadRemoteModel(choice: ModelChoice, onProgress: (text: string, fraction?: number) => void, {prefer, worker: given}: {prefer?: BackendName[]; worker?: AnalysisWorker} = {}): Promise<RemoteModel> {
  const worker = given ?? (await startAnalysisWorker({prefer, onProgress}));
  try {
    const info = await worker.call<WorkerModelInfo>("loadModel", [specOf(choice)], onProgress);
    markTimeline(`model: loaded and warmed up (${Math.round(info.loadMs)} ms in the worker)`);
    return {
      ...info,
      backend: worker.backend ?? info.backend,
      worker,
      analyse: (source, name, options = {}) => {
        const {displaySize, viewMax, ...rest} = options;
        return worker.call<WorkerImage>("analyse", [{source, name, options: rest, displaySize, viewMax}]);
      },
      run: <T>(method: string, ...args: unknown[]) => worker.call<T>(method, args),
      runWithProgress: <T>(method: string, progress: (text: string, fraction?: number) => void, ...args: unknown[]) => worker.call<T>(method, args, progress),
      memory: () => worker.call("memory"),
      dispose: () => (given ? void worker.call("dispose") : worker.terminate())
    };
  } catch (error) {
    worker.terminate();
    throw error;
  }
}
