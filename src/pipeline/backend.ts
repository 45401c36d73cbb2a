/**
 * Backend selection, shared by Node and the browser. TF.js in Node runs on the wasm backend (its
 * .wasm files ship in the npm package; tfjs-node cannot be installed offline) or on the cpu backend.
 */
import * as tf from "@tensorflow/tfjs";
import {setWasmPaths} from "@tensorflow/tfjs-backend-wasm";

export type BackendName = "wasm" | "webgl" | "cpu";

export interface BackendOptions {
  /** Backends to try, in order. Default: wasm then cpu. */
  prefer?: BackendName[];
  /**
   * Where the browser finds the backend's .wasm files: a folder URL ending in "/", or a map from
   * file name to URL (as bundlers emit). Node finds them in node_modules by itself.
   */
  wasmPaths?: string | Record<string, string>;
}

/** Initialise the first backend of `prefer` that works; returns its name. */
export async function initBackend(options: BackendOptions = {}): Promise<BackendName> {
  const prefer = options.prefer ?? ["wasm", "cpu"];
  if (options.wasmPaths !== undefined) setWasmPaths(options.wasmPaths as never);
  const failures: string[] = [];
  for (const name of prefer) {
    try {
      if (tf.getBackend() === name) return name;
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
      failures.push(`${name}: not available`);
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message}`);
    }
  }
  throw new Error(`No TF.js backend could start (${failures.join("; ")})`);
}
