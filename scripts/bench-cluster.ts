/**
 * npm run bench:cluster -- [--images N] [--split all|train|test] [--tasks T] [--cpus C] [--chunk N] [--explain LIST] [--no-single] [--json FILE]
 *
 * Throughput of the audit at scale, measured: the same folder of pediatric images (default: all
 * 5,429 of cxr-peds, train and test; `--images N` spreads N over the split) with the default bundle
 * and settings, audited by one process and by a Slurm job array of T tasks (default 4) on a
 * one-node cluster of this machine (scripts/slurm/cluster.sh, C CPUs: default all cores). Prints,
 * for each: wall time, images/s, CPU seconds per image (the cost: what a cloud bills per core-second),
 * peak RSS per process (GNU time), and the time to merge the metrics over all shards
 * (--metrics-only). `--explain LIST` is passed to the audit (default: the audit's own, the CAM family
 * with BAD at 4 alphas; `none` measures predictions and every OOD score alone). A benchmark: it prints figures and judges nothing. Needs root (slurmd) and
 * Debian's slurm-wlm and munge; `--no-single` skips the one-process run.
 */
import {spawn} from "node:child_process";
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";
import {ParquetStore, tables} from "../src/pipeline/node/audit/index.js";
import {allEnded, pedsSample, ROOT, slurmUnavailable, startCluster, submitAuditArray, taskOutput, waitForTasks} from "./slurm/slurm.js";

const {values} = parseArgs({
  options: {
    images: {type: "string"},
    split: {type: "string", default: "all"},
    tasks: {type: "string", default: "4"},
    cpus: {type: "string"},
    chunk: {type: "string", default: "32"},
    explain: {type: "string"},
    "no-single": {type: "boolean", default: false},
    json: {type: "string"}
  }
});
const split = values.split as "all" | "train" | "test";
if (!["all", "train", "test"].includes(split)) throw new Error(`--split takes all, train or test, got ${values.split}`);
const tasks = Number(values.tasks);
const cpus = values.cpus ? Number(values.cpus) : os.cpus().length;
const count = values.images ? Number(values.images) : undefined;
const dataRoot = process.env.CXR_DATA ?? path.resolve(ROOT, "../shared/data");
const why = slurmUnavailable();
if (why) {
  console.error(`bench:cluster: a one-node Slurm cluster cannot run here: ${why}`);
  process.exit(2);
}

const work = mkdtempSync(path.join(os.tmpdir(), "cxr-bench-cluster-"));
const sample = pedsSample(dataRoot, path.join(work, "sample"), split, count);
const n = sample.files.length;
const settings = ["--images", sample.images, "--labels", sample.labels, "--chunk", values.chunk!, ...(values.explain ? ["--explain", values.explain] : [])];
const explained = values.explain ? `--explain ${values.explain}` : "default explanations";
const loadavg = () => os.loadavg().map((l) => l.toFixed(2)).join(" ");
const say = (line: string) => process.stderr.write(`${line}\n`);

interface TimeLine {
  peakRssMb: number;
  elapsedS: number;
  cpuS: number;
}
/** The line scripts/slurm/audit-array.sh (and the single run below) gets from GNU time. */
function parseTime(text: string): TimeLine[] {
  return [...text.matchAll(/cxr-audit-task: peak_rss_kb=(\d+) elapsed_s=([\d.]+) user_s=([\d.]+) system_s=([\d.]+)/g)].map((m) => ({
    peakRssMb: Number(m[1]) / 1024,
    elapsedS: Number(m[2]),
    cpuS: Number(m[3]) + Number(m[4])
  }));
}

async function timedAudit(args: string[]): Promise<{wallS: number; time: TimeLine; stderr: string}> {
  const started = performance.now();
  const child = spawn("/usr/bin/time", ["-f", "cxr-audit-task: peak_rss_kb=%M elapsed_s=%e user_s=%U system_s=%S", process.execPath, "--import", "tsx", "scripts/audit.ts", ...args], {
    cwd: ROOT,
    stdio: ["ignore", "inherit", "pipe"]
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`audit ${args.join(" ")} failed (${code}):\n${stderr}`);
  return {wallS: (performance.now() - started) / 1000, time: parseTime(stderr)[0]!, stderr};
}

/** The metrics over every shard, as `--metrics-only` computes them, timed in its own process. */
async function mergeTime(out: string): Promise<number> {
  const {stderr} = await timedAudit(["--metrics-only", "--out", out]);
  const match = /cxr-audit-task: .*elapsed_s=([\d.]+)/.exec(stderr);
  return Number(match?.[1]);
}

interface Result {
  setup: string;
  processes: number;
  wallS: number;
  imagesPerS: number;
  cpuSPerImage: number;
  peakRssMb: number[];
  mergeS: number;
}
const results: Result[] = [];
say(`bench:cluster: ${n} pediatric images (${split}), default bundle, ${explained}, chunk ${values.chunk}; ${os.cpus().length} cores; load ${loadavg()}`);

if (!values["no-single"]) {
  const out = path.join(work, "out-single");
  say(`one process...`);
  const single = await timedAudit([...settings, "--out", out, "--progress", "lines"]);
  results.push({
    setup: "one process",
    processes: 1,
    wallS: single.wallS,
    imagesPerS: n / single.wallS,
    cpuSPerImage: single.time.cpuS / n,
    peakRssMb: [single.time.peakRssMb],
    mergeS: await mergeTime(out)
  });
}

const clusterDir = mkdtempSync(path.join(os.tmpdir(), "cxr-slurm-"));
const cluster = startCluster(clusterDir, cpus);
try {
  const out = path.join(work, "out-slurm");
  say(`Slurm job array of ${tasks} tasks on ${cpus} CPUs...`);
  const started = performance.now();
  const job = submitAuditArray(cluster, tasks, [...settings, "--out", out]);
  const ended = await waitForTasks(cluster, job, allEnded, 24 * 3600_000, "the array");
  const wallS = (performance.now() - started) / 1000;
  const failed = ended.filter((t) => t.state !== "COMPLETED");
  if (failed.length) throw new Error(`tasks did not complete: ${JSON.stringify(failed)}; logs in ${clusterDir}`);
  const times = Array.from({length: tasks}, (_, i) => parseTime(readFileSync(taskOutput(cluster, job, i + 1), "utf8")).at(-1)!);
  results.push({
    setup: `Slurm array, ${tasks} tasks on ${cpus} CPUs`,
    processes: tasks,
    wallS,
    imagesPerS: n / wallS,
    cpuSPerImage: times.reduce((s, t) => s + t.cpuS, 0) / n,
    peakRssMb: times.map((t) => t.peakRssMb),
    mergeS: await mergeTime(out)
  });
  const store = await ParquetStore.open();
  const rows = await store.query(`SELECT count(*)::INTEGER AS n, count(DISTINCT path)::INTEGER AS d FROM ${tables(out).images}`);
  store.close();
  say(`Slurm output: ${rows[0]!.n} image rows, ${rows[0]!.d} distinct paths (expected ${n} of each)`);
} finally {
  cluster.stop();
  rmSync(clusterDir, {recursive: true, force: true});
}

const pad = (s: string, w: number) => s.padStart(w);
const lines = [
  `Audit throughput ${new Date().toISOString().slice(0, 10)}: ${n} pediatric images (${split}), default bundle (pediatric-pneumonia), ${explained}; ${os.cpus().length} x ${os.cpus()[0]?.model.trim()}; load after: ${loadavg()}`,
  `| setup | processes | wall, s | images/s | CPU s per image | peak RSS per process, MiB | metrics merge, s |`,
  `|---|---:|---:|---:|---:|---:|---:|`,
  ...results.map(
    (r) =>
      `| ${r.setup} | ${r.processes} | ${pad(r.wallS.toFixed(1), 7)} | ${r.imagesPerS.toFixed(3)} | ${r.cpuSPerImage.toFixed(2)} | ${r.peakRssMb.map((m) => m.toFixed(0)).join(", ")} | ${r.mergeS.toFixed(2)} |`
  )
];
console.log(lines.join("\n"));
if (values.json) writeFileSync(values.json, JSON.stringify({images: n, split, tasks, cpus, explain: values.explain ?? null, results}, null, 2) + "\n");
rmSync(work, {recursive: true, force: true});
