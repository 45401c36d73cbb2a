/**
 * npm run bench:audit -- [--images DIR] [--images-count N] [--model NAME_OR_PATH] [--explain LIST] [--alpha LIST]
 *
 * Memory and throughput of the batch audit: runs it over N (default 2,000) real images and samples
 * resident memory (RSS), the JS heap and tf.memory().numTensors after every tenth of them; the
 * criterion compares after 10 % with after 100 % (200 and 2,000 images by default). The audit must stay flat: RSS after 2,000 within 10 % of after 200,
 * and numTensors unchanged. A benchmark, not a test: it prints figures, and exits 1 if they fail.
 * Defaults: the pediatric training images, the small parity bundle (tests/fixtures/parity), the
 * audit's default explanations (CAM family at alpha 5, 10, 20, 40).
 */
import * as tf from "@tensorflow/tfjs";
import {mkdtempSync, rmSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";
import {DEFAULT_ALPHAS, DEFAULT_EXPLAIN, runAudit, validateAlphas, validateExplain} from "../src/pipeline/node/audit/run.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const {values} = parseArgs({
  options: {
    images: {type: "string", default: path.join(process.env.CXR_DATA ?? path.join(ROOT, "../shared/data"), "cxr-peds/train")},
    "images-count": {type: "string", default: "2000"},
    model: {type: "string", default: path.join(ROOT, "tests/fixtures/parity")},
    explain: {type: "string"},
    alpha: {type: "string"}
  }
});
const total = Number(values["images-count"]);
const early = Math.round(total / 10);
const explain = values.explain === undefined ? DEFAULT_EXPLAIN : values.explain === "none" ? [] : validateExplain(values.explain.split(","));
const alphas = values.alpha === undefined ? DEFAULT_ALPHAS : validateAlphas(values.alpha.split(",").map(Number));

interface Sample {
  images: number;
  rssMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
  numTensors: number;
  seconds: number;
}
const samples: Sample[] = [];
const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const start = performance.now();
const out = mkdtempSync(path.join(os.tmpdir(), "cxr-bench-audit-"));
try {
  const summary = await runAudit({
    images: values.images!,
    model: values.model,
    out,
    limit: total,
    explain,
    alphas,
    progress: "auto",
    onImage: ({done}) => {
      if (done % early !== 0 && done !== total) return;
      const memory = process.memoryUsage();
      samples.push({
        images: done,
        rssMiB: mib(memory.rss),
        heapUsedMiB: mib(memory.heapUsed),
        externalMiB: mib(memory.external),
        numTensors: tf.memory().numTensors,
        seconds: Math.round((performance.now() - start) / 100) / 10
      });
    }
  });
  const a = samples.find((s) => s.images === early);
  const b = samples.find((s) => s.images === total);
  if (!a || !b) throw new Error(`only ${summary.processed} images were processed; the benchmark needs ${total}`);
  const growth = (b.rssMiB - a.rssMiB) / a.rssMiB;
  console.log(`\nbatch audit, ${summary.processed} images of ${values.images}, bundle ${values.model}, explanations ${explain.join(",") || "none"}` +
    (explain.length ? ` at alpha ${alphas.join(",")}` : "") + `, backend ${summary.backend}, ${os.cpus().length} cores`);
  console.table(samples);
  console.log(`throughput: ${summary.imagesPerSecond.toFixed(2)} images/s (${summary.wallSeconds.toFixed(1)} s, chunk writes included)`);
  console.log(`RSS after ${b.images} vs after ${a.images}: ${(100 * growth).toFixed(1)} % (limit 10 %); numTensors ${a.numTensors} -> ${b.numTensors} (run start ${summary.tensorsStart}, end ${summary.tensorsEnd})`);
  console.log(JSON.stringify({imagesPerSecond: summary.imagesPerSecond, samples, rssGrowth: growth}));
  if (!(growth <= 0.1) || b.numTensors !== a.numTensors || summary.tensorsEnd !== summary.tensorsStart) process.exitCode = 1;
} finally {
  rmSync(out, {recursive: true, force: true});
}
