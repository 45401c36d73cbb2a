/**
 * TF.js backends for workbench pages. The models run in the analysis worker, which measures wasm
 * against WebGL (src/pipeline/backend.ts, fastestBackend); the wasm backend's .wasm files are
 * served by the site itself (copied into the build through import.meta.resolve), never a CDN.
 */
import {selectBackend} from "../pipeline/backend.js";

export const WASM_FILES = {
  "tfjs-backend-wasm.wasm": import.meta.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"),
  "tfjs-backend-wasm-simd.wasm": import.meta.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm"),
  "tfjs-backend-wasm-threaded-simd.wasm": import.meta.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm")
};

/**
 * The main thread's backend where the models run in a worker: only small work is left here
 * (upsampling a map for display), which the cpu backend does at once, with no WebGL shader
 * compilation and no wasm download.
 */
export async function initDisplayBackend(): Promise<void> {
  await selectBackend(["cpu"]);
}
