/**
 * The benchmark's page in Chromium (bundled by esbuild, served from 127.0.0.1 by scripts/bench.ts):
 * installs `window.bench`, which starts a backend and measures a model exactly as Node does
 * (scripts/bench/measure.ts), fetching the models and the image from the local server.
 */
import * as tf from "@tensorflow/tfjs";
import {webgpuUnavailable, type BackendName} from "../../src/pipeline/backend.js";
import {urlSource} from "../../src/pipeline/bundle/source.js";
import {decodeImage} from "../../src/pipeline/image/decode.js";
import {initBackend} from "../../src/pipeline/wasm-backend.js";
import "../../src/pipeline/webgpu-backend.js";
import {backendFlags, measureModel, type MeasureOptions, type ModelFigures} from "./measure.js";

export interface BrowserModel {
  name: string;
  /** URL of the classifier folder (and of the OOD folder for Chester's). */
  url: string;
  ood?: string;
}

export interface BenchApi {
  start(backend: BackendName, wasmPaths: string): Promise<Record<string, string | number | boolean>>;
  measure(model: BrowserModel, imageUrl: string, options: Omit<MeasureOptions, "onProgress"> & {tfjsGradient?: boolean}): Promise<ModelFigures & {memory: BrowserMemory}>;
  webglRenderer(): string | null;
  /** Why WebGPU cannot run here, or null. */
  webgpuUnavailable(): Promise<string | null>;
}

export interface BrowserMemory {
  /** The wasm backend's linear memory (it only grows): its peak. */
  wasmHeapMb: number | null;
  /** Chromium's performance.memory (JS heap only). */
  jsHeapUsedMb: number | null;
  /** tf.memory().numBytes at the end (tensors alive). */
  tensorMb: number;
}

declare global {
  interface Window {
    bench?: BenchApi;
  }
}

function memory(): BrowserMemory {
  const backend = tf.backend() as unknown as {wasm?: {HEAPU8?: Uint8Array}};
  const perf = performance as unknown as {memory?: {usedJSHeapSize: number}};
  return {
    wasmHeapMb: tf.getBackend() === "wasm" && backend.wasm?.HEAPU8 ? backend.wasm.HEAPU8.byteLength / 2 ** 20 : null,
    jsHeapUsedMb: perf.memory ? perf.memory.usedJSHeapSize / 2 ** 20 : null,
    tensorMb: tf.memory().numBytes / 2 ** 20
  };
}

window.bench = {
  async start(backend, wasmPaths) {
    const started = await initBackend({prefer: [backend], wasmPaths});
    if (started !== backend) throw new Error(`${backend} did not start (got ${started})`);
    return {...backendFlags(), crossOriginIsolated, hardwareConcurrency: navigator.hardwareConcurrency};
  },
  async measure(model, imageUrl, options) {
    const response = await fetch(imageUrl);
    if (!response.ok) throw new Error(`${imageUrl}: HTTP ${response.status}`);
    const image = decodeImage(new Uint8Array(await response.arrayBuffer()), {name: imageUrl.split("/").pop()});
    const figures = await measureModel(
      {name: model.name, source: urlSource(model.url), ood: model.ood ? urlSource(model.ood) : undefined},
      image,
      {...options, onProgress: (message) => console.log(`bench-progress: ${message}`)}
    );
    return {...figures, memory: memory()};
  },
  webgpuUnavailable,
  webglRenderer() {
    const gl = document.createElement("canvas").getContext("webgl2");
    if (!gl) return null;
    const info = gl.getExtension("WEBGL_debug_renderer_info");
    return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  }
};
