/**
 * Backend selection, shared by every runtime. Kernels are registered by importing a backend
 * package: Node and esbuild bundles use ./wasm-backend.ts, workbench pages src/components/backend.ts
 * (the browser build of the same wasm backend, served by the site itself); the analysis worker
 * also imports ./webgpu-backend.ts, which registers WebGPU where the browser has it.
 */
import * as tf from "@tensorflow/tfjs";
import {installFastWasmKernels} from "./wasm-kernels.js";

export type BackendName = "wasm" | "webgl" | "webgpu" | "cpu";

/** Set the first backend of `prefer` that starts; returns its name. */
export async function selectBackend(prefer: BackendName[]): Promise<BackendName> {
  const failures: string[] = [];
  for (const name of prefer) {
    try {
      if (tf.getBackend() === name) {
        if (name === "wasm") installFastWasmKernels();
        return name;
      }
      if (await tf.setBackend(name)) {
        await tf.ready();
        if (name === "wasm") installFastWasmKernels();
        return name;
      }
      failures.push(`${name}: not available`);
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message}`);
    }
  }
  throw new Error(`No TF.js backend could start (${failures.join("; ")})`);
}

/** Milliseconds of a few DenseNet-like convolutions (what dominates the workbench's compute) on the current backend: median of 3 after a warm-up. */
export function probeBackend(): number {
  const times: number[] = [];
  // Deterministic inputs: TF.js's random ops need seedrandom, which Framework's bundle of it breaks.
  const x = tf.linspace(0, 1, 56 * 56 * 32).reshape([1, 56, 56, 32]) as tf.Tensor4D;
  const w = tf.linspace(-0.1, 0.1, 3 * 3 * 32 * 32).reshape([3, 3, 32, 32]) as tf.Tensor4D;
  try {
    for (let i = 0; i < 4; i++) {
      const start = performance.now();
      tf.tidy(() => tf.conv2d(tf.relu(tf.conv2d(x, w, 1, "same")), w, 1, "same").mean().dataSync());
      if (i > 0) times.push(performance.now() - start);
    }
  } finally {
    tf.dispose([x, w]);
  }
  return times.sort((a, b) => a - b)[1]!;
}


/**
 * Why WebGPU cannot be a candidate here, or null when it can: it needs `navigator.gpu` (a page or
 * worker of a browser with WebGPU), an adapter from it (headless Chromium without a GPU gives
 * none), and the backend registered (./webgpu-backend.ts, which registers it only where
 * `navigator.gpu` exists).
 */
export async function webgpuUnavailable(): Promise<string | null> {
  const gpu = (globalThis as {navigator?: {gpu?: {requestAdapter(): Promise<unknown>}}}).navigator?.gpu;
  if (!gpu) return "no navigator.gpu (WebGPU is not in this browser or context)";
  try {
    if (!(await gpu.requestAdapter())) return "navigator.gpu.requestAdapter() gave no adapter (no usable GPU)";
  } catch (error) {
    return `navigator.gpu.requestAdapter() failed: ${(error as Error).message}`;
  }
  if (!tf.findBackendFactory("webgpu")) return "the WebGPU backend is not registered in this bundle";
  return null;
}

/** A backend chosen by measurement: its name, each candidate's probe time, and why, in words. */
export interface MeasuredBackend {
  name: BackendName;
  probeMs: Partial<Record<BackendName, number>>;
  /** Time to start each candidate and probe it (its initialisation: wasm compile, WebGL context and shaders), ms. */
  startMs?: Partial<Record<BackendName, number>>;
  /** Candidates left out before measuring, and why (WebGPU without an adapter). */
  skipped?: Partial<Record<BackendName, string>>;
  reason: string;
}

/**
 * Starts each candidate with `start` (which must resolve to the backend now in use), times
 * probeBackend() on it, and leaves the fastest running (cpu when none starts). Chosen by
 * measurement, not by name: WebGL without a GPU is a software renderer many times slower than wasm.
 * WebGPU is a candidate only where the browser gives an adapter; elsewhere it is skipped, and the
 * reason says so.
 */
export async function fastestBackend(candidates: BackendName[], start: (name: BackendName) => Promise<BackendName>): Promise<MeasuredBackend> {
  const probeMs: Partial<Record<BackendName, number>> = {};
  const startMs: Partial<Record<BackendName, number>> = {};
  const skipped: Partial<Record<BackendName, string>> = {};
  const failures: string[] = [];
  for (const name of candidates) {
    try {
      if (name === "webgpu") {
        const why = await webgpuUnavailable();
        if (why) {
          skipped.webgpu = why;
          continue;
        }
      }
      const begin = performance.now();
      if ((await start(name)) === name) probeMs[name] = probeBackend();
      startMs[name] = performance.now() - begin;
    } catch (error) {
      // A backend that cannot start is simply not a candidate; say why.
      failures.push(`${name}: ${(error as Error).message}`);
    }
  }
  const ranked = (Object.entries(probeMs) as [BackendName, number][]).sort((a, b) => a[1] - b[1]);
  const name = ranked[0]?.[0] ?? (await start("cpu"));
  await start(name);
  const started = (Object.entries(startMs) as [BackendName, number][]).map(([n, ms]) => `${n} ${(ms / 1000).toFixed(1)} s`).join(", ");
  const reason = ranked.length > 1 ? `fastest by measurement (${ranked.map(([n, ms]) => `${n} ${ms.toFixed(1)} ms`).join(", ")}; started and probed in ${started})` : ranked.length ? "the only backend that started" : "no accelerated backend started";
  const notes = [...Object.entries(skipped).map(([n, why]) => `${n} not measured: ${why}`), ...failures];
  return {name, probeMs, startMs, ...(Object.keys(skipped).length ? {skipped} : {}), reason: reason + (notes.length ? `; ${notes.join("; ")}` : "")};
}
