/**
 * The TF.js backend for workbench pages: the wasm backend's browser build with its .wasm files
 * served by the site itself (copied into the build through import.meta.resolve), never a CDN.
 */
import {setWasmPaths} from "@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.fesm.js";
import {selectBackend, type BackendName} from "../pipeline/backend.js";

export const WASM_FILES = {
  "tfjs-backend-wasm.wasm": import.meta.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"),
  "tfjs-backend-wasm-simd.wasm": import.meta.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm"),
  "tfjs-backend-wasm-threaded-simd.wasm": import.meta.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm")
};

export async function initPageBackend(prefer: BackendName[] = ["wasm", "webgl", "cpu"]): Promise<BackendName> {
  setWasmPaths(WASM_FILES);
  return selectBackend(prefer);
}
