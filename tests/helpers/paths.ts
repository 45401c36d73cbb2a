/** Where tests find the shared data and Chester's model topologies (overridable by environment). */
import {execFileSync} from "node:child_process";
import {existsSync, mkdirSync, readFileSync} from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const DATA_ROOT = process.env.CXR_DATA ?? path.resolve(REPO_ROOT, "../shared/data");
export const SHARED_ROOT = process.env.CXR_SHARED ?? path.resolve(REPO_ROOT, "../shared");
export const TMP_ROOT = path.join(REPO_ROOT, "tests/.tmp");

export const CHESTER_MODELS = {
  densenet: "chestxnet-45rot15trans15scale4byte",
  xrv: "xrv-all-45rot15trans15scale",
  autoencoder: "ae-chest-savedmodel-64-512"
} as const;

/**
 * A loadable copy of one of Chester's published folders with synthetic weights of the exact shapes
 * (../shared/tools/make-chester-fixture.cjs). Made once per checkout; 28-64 MB, never committed.
 */
export function chesterFixture(name: (typeof CHESTER_MODELS)[keyof typeof CHESTER_MODELS]): string {
  const out = path.join(TMP_ROOT, "chester", name);
  if (!existsSync(path.join(out, "model.json"))) {
    mkdirSync(path.dirname(out), {recursive: true});
    execFileSync(process.execPath, [
      path.join(SHARED_ROOT, "tools/make-chester-fixture.cjs"),
      path.join(SHARED_ROOT, "chester-models", name),
      out
    ], {stdio: "pipe"});
  }
  return out;
}

/** Bytes of a file under the data folder, with a clear message when the data is not there. */
export function dataFile(relative: string): Uint8Array {
  const file = path.join(DATA_ROOT, relative);
  if (!existsSync(file)) throw new Error(`test data ${file} not found; set CXR_DATA to the shared data folder`);
  return new Uint8Array(readFileSync(file));
}
