// The analysis Web Worker as one script (TF.js, its wasm backend and the pipeline, bundled by
// esbuild from node_modules: nothing from a CDN). Pages start it from this file's URL.
import {buildAnalysisWorker} from "./worker-build.js";

process.stdout.write(await buildAnalysisWorker());
