/**
 * TF.js on the wasm backend in Node (its .wasm files ship in the npm package; tfjs-node cannot be
 * installed offline), with the cpu backend as fallback. Also used by esbuild browser bundles.
 */
import {setWasmPaths} from "@tensorflow/tfjs-backend-wasm";
import {selectBackend, type BackendName} from "./backend.js";

export interface BackendOptions {
  /** Backends to try, in order. Default: wasm then cpu. */
  prefer?: BackendName[];
  /**
   * Where a browser finds the .wasm files: a folder URL ending in "/", or a map from file name to
   * URL. Node finds them in node_modules by itself.
   */
  wasmPaths?: string | Record<string, string>;
}

export async function initBackend(options: BackendOptions = {}): Promise<BackendName> {
  if (options.wasmPaths !== undefined) setWasmPaths(options.wasmPaths as never);
  return selectBackend(options.prefer ?? ["wasm", "cpu"]);
}
