/**
 * TF.js backends for workbench pages. The models run in the analysis worker, which measures wasm
 * against WebGL (src/pipeline/backend.ts, fastestBackend); the wasm backend's .wasm files are
 * served by the site itself (copied into the build through import.meta.resolve), never a CDN.
 */
import {selectBackend} from "../pipeline/backend.js";

export {WASM_FILES} from "./worker-files.js";

/**
 * The main thread's backend where the models run in a worker: only small work is left here
 * (upsampling a map for display), which the cpu backend does at once, with no WebGL shader
 * compilation and no wasm download.
 */
export async function initDisplayBackend(): Promise<void> {
  await selectBackend(["cpu"]);
}
