/**
 * Backend selection, shared by every runtime. Kernels are registered by importing a backend
 * package: Node and esbuild bundles use ./wasm-backend.ts, workbench pages src/components/backend.ts
 * (the browser build of the same wasm backend, served by the site itself).
 */
import * as tf from "@tensorflow/tfjs";

export type BackendName = "wasm" | "webgl" | "cpu";

/** Set the first backend of `prefer` that starts; returns its name. */
export async function selectBackend(prefer: BackendName[]): Promise<BackendName> {
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
