/**
 * The preprocessing that tests/browser-parity.test.ts runs twice: in Node (imported directly) and in
 * Chromium (bundled by esbuild; this module then installs `window.parity`).
 */
import * as tf from "@tensorflow/tfjs";
import type {BackendName} from "../../src/pipeline/backend.js";
import {initBackend} from "../../src/pipeline/wasm-backend.js";
import {decodeImage} from "../../src/pipeline/image/decode.js";
import {prepare, type Box, type ResizeMode} from "../../src/pipeline/preprocess.js";

export const PARITY_SIZES = [224, 64] as const;
export const PARITY_MODES: ResizeMode[] = ["crop", "stretch"];

export interface ParityVariant {
  size: number;
  mode: ResizeMode;
  box: Box;
  /** [size * size] grey values in [0, 1], row-major. */
  pixels: number[];
}

export interface ParityResult {
  width: number;
  height: number;
  channels: number;
  format: string;
  variants: ParityVariant[];
}

export interface BackendReport {
  backend: BackendName;
  /** What the backend actually runs on: wasm SIMD/threads, WebGL version and float support. */
  flags: Record<string, string | number | boolean>;
}

/** decodeImage then prepare() for every size and mode; plain arrays, so the result survives JSON. */
export function preprocessVariants(bytes: Uint8Array, name?: string): ParityResult {
  const image = decodeImage(bytes, name === undefined ? {} : {name});
  const variants: ParityVariant[] = [];
  for (const size of PARITY_SIZES) {
    for (const mode of PARITY_MODES) {
      const {pixels, box} = prepare(image, size, mode);
      try {
        variants.push({size, mode, box, pixels: Array.from(pixels.dataSync())});
      } finally {
        pixels.dispose();
      }
    }
  }
  return {width: image.width, height: image.height, channels: image.channels, format: image.format, variants};
}

/** Start `backend` (and nothing else) and say what it runs on. */
export async function startBackend(backend: BackendName, wasmPaths?: string): Promise<BackendReport> {
  const started = await initBackend(wasmPaths === undefined ? {prefer: [backend]} : {prefer: [backend], wasmPaths});
  const env = tf.env();
  const flags: Record<string, string | number | boolean> = {};
  const read = (flag: string) => {
    try {
      const value = env.get(flag);
      if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") flags[flag] = value;
    } catch {
      // flag not registered on this backend
    }
  };
  if (started === "wasm") ["WASM_HAS_SIMD_SUPPORT", "WASM_HAS_MULTITHREAD_SUPPORT"].forEach(read);
  if (started === "webgl") {
    ["WEBGL_VERSION", "WEBGL_RENDER_FLOAT32_ENABLED", "WEBGL_RENDER_FLOAT32_CAPABLE", "WEBGL_PACK", "WEBGL_FORCE_F16_TEXTURES"].forEach(read);
  }
  return {backend: started, flags};
}

export interface ParityApi {
  startBackend(backend: BackendName, wasmPaths?: string): Promise<BackendReport>;
  /** Fetch a served file and preprocess it. */
  run(url: string, name?: string): Promise<ParityResult>;
  /** WebGL renderer string, or null when the page has no WebGL 2. */
  webglRenderer(): string | null;
}

declare global {
  interface Window {
    parity?: ParityApi;
  }
}

if (typeof window !== "undefined" && typeof document !== "undefined") {
  window.parity = {
    startBackend,
    async run(url, name) {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
      return preprocessVariants(new Uint8Array(await response.arrayBuffer()), name);
    },
    webglRenderer() {
      const gl = document.createElement("canvas").getContext("webgl2");
      if (!gl) return null;
      const info = gl.getExtension("WEBGL_debug_renderer_info");
      return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    }
  };
}
