/**
 * One Node process of `npm run bench` (started by scripts/bench.ts, one per measurement, so that
 * each figure, peak memory above all, belongs to that measurement alone). Prints one line
 * `BENCH_RESULT <json>` on stdout; progress goes to stderr.
 *
 *   tsx scripts/bench/node-child.ts measure <model> <image> <measure options as JSON>
 *   tsx scripts/bench/node-child.ts memory <model> <image>
 *   tsx scripts/bench/node-child.ts audit <model> <images-dir> <files.json> <out> <ready-file> <go-file>
 *   tsx scripts/bench/node-child.ts checks <model> <images-dir> <files.json> <labels.csv> <boxes.csv> <out> <methods,...>
 */
import * as tf from "@tensorflow/tfjs";
import {existsSync, readFileSync, writeFileSync} from "node:fs";
import {analyse} from "../../src/pipeline/analyse.js";
import {loadBundle} from "../../src/pipeline/bundle/load.js";
import {saliencyMap} from "../../src/pipeline/explain/index.js";
import {setFastConvInputGradient} from "../../src/pipeline/model/fast-conv-gradient.js";
import {runAudit, tables} from "../../src/pipeline/node/audit/run.js";
import {ParquetStore} from "../../src/pipeline/node/audit/parquet.js";
import type {ExplanationMethod} from "../../src/pipeline/explain/index.js";
import {prepare} from "../../src/pipeline/preprocess.js";
import {initBackend} from "../../src/pipeline/wasm-backend.js";
import {backendFlags, measureModel, type MeasureOptions} from "./measure.js";
import {benchImage, modelSpec, type ModelKey} from "./node-models.js";

const [mode, model, ...rest] = process.argv.slice(2);
const say = (message: string) => process.stderr.write(`  [node] ${message}\n`);
const report = (value: unknown) => process.stdout.write(`BENCH_RESULT ${JSON.stringify(value)}\n`);
const peakMb = () => process.resourceUsage().maxRSS / 1024;

await initBackend({prefer: ["wasm"]});

if (mode === "measure") {
  const [imagePath, optionsJson] = rest;
  const options = JSON.parse(optionsJson!) as Omit<MeasureOptions, "onProgress">;
  const figures = await measureModel(modelSpec(model as ModelKey), benchImage(imagePath!), {...options, onProgress: say});
  report({figures, flags: backendFlags(), peakRssMb: peakMb()});
} else if (mode === "memory") {
  // Peak resident memory of one process that loads the model and analyses one image (three times):
  // for Chester, its own forward pass and TF.js's input gradient, as its app computes them.
  const image = benchImage(rest[0]!);
  const spec = modelSpec(model as ModelKey);
  const baseline = peakMb();
  const bundle = await loadBundle(spec.source, spec.ood ? {ood: spec.ood} : {});
  const afterLoad = process.memoryUsage().rss / 2 ** 20;
  if (model === "chester") {
    setFastConvInputGradient(false);
    const {pixels} = prepare(image, bundle.card.classifier.inputSize);
    for (let i = 0; i < 3; i++)
      tf.tidy(() => {
        bundle.classifier.forward(bundle.classifier.toInput(pixels)).probabilities.dataSync();
        saliencyMap(bundle.classifier, pixels).dataSync();
      });
    pixels.dispose();
  } else {
    for (let i = 0; i < 3; i++) analyse(bundle, image, {predictRejected: true});
  }
  report({peakRssMb: peakMb(), startRssMb: baseline, afterLoadRssMb: afterLoad, wasmHeapMb: wasmHeapMb()});
  bundle.dispose();
} else if (mode === "audit") {
  // One worker of the batch-throughput measurement: load, say "ready", wait for "go", audit its files.
  const [images, filesJson, out, readyFile, goFile] = rest;
  const files = JSON.parse(readFileSync(filesJson!, "utf8")) as string[];
  let first = 0;
  const summary = await runAudit({
    images: images!,
    model,
    out,
    files,
    progress: "none",
    onStart: () => {
      writeFileSync(readyFile!, String(process.pid));
      const sleeper = new Int32Array(new SharedArrayBuffer(4));
      const deadline = Date.now() + 600_000;
      while (!existsSync(goFile!) && Date.now() < deadline) Atomics.wait(sleeper, 0, 0, 5);
      first = Date.now();
    }
  });
  report({images: summary.processed, startMs: first, endMs: Date.now(), wallSeconds: summary.wallSeconds, peakRssMb: peakMb(), backend: summary.backend});
} else if (mode === "checks") {
  // The explanation checks as the audit runs them (--faithfulness, --sanity all, --localisation):
  // each image's stage times from the images table, and the audit's rate with them.
  const [images, filesJson, labels, boxes, out, methods] = rest;
  const files = JSON.parse(readFileSync(filesJson!, "utf8")) as string[];
  const summary = await runAudit({
    images: images!,
    model,
    out,
    files,
    labels: [labels!],
    explain: methods!.split(",") as ExplanationMethod[],
    faithfulness: true,
    sanity: "all",
    localisation: boxes,
    chunkSize: files.length,
    progress: "none",
    onConfigMismatch: "replace",
    onImage: ({done, total, path}) => say(`checks ${model}: ${done}/${total} ${path}`)
  });
  const store = await ParquetStore.open();
  try {
    const scans = tables(out!);
    const perImage = await store.query(
      `SELECT i.path, i.faithfulness_ms, i.sanity_ms, i.localisation_ms, i.total_ms,
         (SELECT CAST(count(DISTINCT finding) AS INTEGER) FROM ${scans.faithfulness} f WHERE f.path = i.path) AS findings,
         (SELECT CAST(count(*) AS INTEGER) FROM ${scans.localisation} l WHERE l.path = i.path) AS localisation_rows,
         (SELECT CAST(max(step) AS INTEGER) FROM ${scans.sanity} s WHERE s.path = i.path) AS sanity_steps
       FROM ${scans.images} i ORDER BY i.path`
    );
    report({images: summary.processed, errors: summary.errors, wallSeconds: summary.wallSeconds, backend: summary.backend, perImage, peakRssMb: peakMb()});
  } finally {
    store.close();
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}

function wasmHeapMb(): number | null {
  const backend = tf.backend() as unknown as {wasm?: {HEAPU8?: Uint8Array}};
  return backend.wasm?.HEAPU8 ? backend.wasm.HEAPU8.byteLength / 2 ** 20 : null;
}
