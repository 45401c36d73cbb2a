/** Bundles src/workers/analysis-worker.ts for the browser (used by the data loader and the tests). */
import path from "node:path";
import {fileURLToPath} from "node:url";
import {build} from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const WORKER_ENTRY = path.join(ROOT, "src/workers/analysis-worker.ts");

export async function buildAnalysisWorker(): Promise<string> {
  const result = await build({
    entryPoints: [WORKER_ENTRY],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "eof",
    logLevel: "silent",
    // The DICOM codecs' Emscripten glue names Node's fs and path behind a runtime check: never loaded in a browser.
    external: ["fs", "path"],
    define: {"process.env.NODE_ENV": '"production"'}
  });
  if (result.errors.length) throw new Error(`esbuild failed: ${result.errors.map((e) => e.text).join("; ")}`);
  return result.outputFiles[0]!.text;
}
