/**
 * TF.js on a workbench page's main thread. The models run in the analysis worker, which measures
 * wasm against WebGL (src/pipeline/backend.ts, fastestBackend) and gets the wasm backend's files,
 * served by the site itself, from worker-files.ts.
 */
import {selectBackend} from "../pipeline/backend.js";

/**
 * The main thread's backend where the models run in a worker: only small work is left here
 * (upsampling a map for display), which the cpu backend does at once, with no WebGL shader
 * compilation and no wasm download.
 */
export async function initDisplayBackend(): Promise<void> {
  await selectBackend(["cpu"]);
}
