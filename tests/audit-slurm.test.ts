/**
 * The audit on a real Slurm cluster: a one-node cluster from Debian's packages (slurm-wlm, munge),
 * started by scripts/slurm/cluster.sh, runs the audit as a job array of 4 tasks (--shard auto)
 * over 40 real pediatric test images with the default bundle. One task is killed (SIGKILL, as a
 * crash) once it has committed a chunk, then requeued: it resumes its own shard. After
 * --metrics-only, every image is in the tables exactly once and the tables and the metrics equal
 * those of a single-process audit of the same folder.
 *
 * Skipped, with the reason, only where the cluster cannot run (the packages are missing, or not root).
 */
import {existsSync, mkdtempSync, readFileSync, readdirSync, rmSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {runAudit, shardOf} from "../src/pipeline/node/audit/index.js";
import {partFile} from "../src/pipeline/node/audit/tables.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {
  allEnded,
  arrayTasks,
  killTask,
  pedsSample,
  requeueTask,
  slurmUnavailable,
  startCluster,
  submitAuditArray,
  taskOutput,
  waitForTasks,
  type Cluster
} from "../scripts/slurm/slurm.js";
import {auditProcess, queryAudit} from "./helpers/audit.js";
import {DATA_ROOT, TMP_ROOT} from "./helpers/paths.js";

const unavailable = slurmUnavailable();
if (unavailable) console.warn(`audit-slurm.test.ts skipped: a one-node Slurm cluster cannot run here: ${unavailable}`);

const TASKS = 4;
const CHUNK = 3;
const root = path.join(TMP_ROOT, "audit-slurm");
let cluster: Cluster | undefined;

describe.skipIf(unavailable !== null)("the audit as a Slurm job array", () => {
  let sample: ReturnType<typeof pedsSample>;
  beforeAll(async () => {
    await initBackend();
    sample = pedsSample(DATA_ROOT, root, "test", 40);
    // Short paths: munge's socket lives in the cluster folder (Unix socket paths are limited to 108 bytes).
    cluster = startCluster(mkdtempSync(path.join(os.tmpdir(), "cxr-slurm-")), Math.min(os.cpus().length, 2));
  }, 180_000);
  afterAll(() => {
    cluster?.stop();
    if (cluster) rmSync(cluster.dir, {recursive: true, force: true});
  });

  it("4 tasks over 40 images, one killed mid-run and requeued: every image once, tables and metrics equal to one process", async () => {
    const c = cluster!;
    const out = path.join(root, "out-slurm");
    const single = path.join(root, "out-single");
    const settings = ["--images", sample.images, "--labels", sample.labels, "--chunk", String(CHUNK)];

    // The task to kill: the largest shard, so it is still running after its first chunk.
    const sizes = Array.from({length: TASKS}, (_, i) => sample.files.filter((f) => shardOf(f, TASKS) === i + 1).length);
    const victim = sizes.indexOf(Math.max(...sizes)) + 1;
    expect(sizes[victim - 1]).toBeGreaterThan(2 * CHUNK);

    const job = submitAuditArray(c, TASKS, [...settings, "--out", out]);
    // SIGKILL the victim's processes once its first chunk is committed and before its last.
    const firstChunk = partFile(out, "images", victim, 0);
    const until = Date.now() + 600_000;
    while (!existsSync(firstChunk)) {
      if (Date.now() > until) throw new Error(`task ${victim} committed no chunk in 600 s: ${JSON.stringify(arrayTasks(c, job))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    killTask(c, job, victim);
    const afterKill = await waitForTasks(c, job, allEnded, 900_000, "every task to end");
    const states = Object.fromEntries(afterKill.map((t) => [t.task, t.state]));
    expect(states).toEqual(Object.fromEntries(Array.from({length: TASKS}, (_, i) => [String(i + 1), i + 1 === victim ? "CANCELLED" : "COMPLETED"])));
    const committedBefore = readdirSync(path.dirname(firstChunk)).filter((f) => f.endsWith(".parquet")).length;
    const chunks = Math.ceil(sizes[victim - 1]! / CHUNK);
    expect(committedBefore).toBeGreaterThanOrEqual(1);
    expect(committedBefore, "the killed task had finished its shard before the kill").toBeLessThan(chunks);
    expect(existsSync(path.join(out, `.lock-shard-${victim}`)), "the killed task leaves its lock").toBe(true);
    expect(existsSync(path.join(out, "metrics/metrics.parquet")), "no metrics while a shard is missing").toBe(false);

    // Requeued: the same array task id, so the same shard; it skips what was committed.
    requeueTask(c, job, victim);
    const final = await waitForTasks(c, job, (tasks) => allEnded(tasks) && tasks.find((t) => t.task === String(victim))?.restarts === 1, 900_000, "the requeued task");
    expect(final.map((t) => t.state)).toEqual(Array(TASKS).fill("COMPLETED"));
    const log = readFileSync(taskOutput(c, job, victim), "utf8");
    expect(log).toMatch(new RegExp(`shard ${victim}/${TASKS}: .*, ${committedBefore * CHUNK} already done`));
    expect(existsSync(path.join(out, `.lock-shard-${victim}`))).toBe(false);

    const metricsOnly = await auditProcess(["--metrics-only", "--out", out]).done;
    expect(metricsOnly.code, metricsOnly.stderr).toBe(0);
    expect(metricsOnly.stderr).not.toMatch(/have not completed/);

    // Every image exactly once, each in the shard its path hashes to.
    const images = await queryAudit(out, "SELECT path, shard, status FROM {images} ORDER BY path");
    expect(images.map((r) => r.path)).toEqual([...sample.files].sort());
    for (const r of images) expect(Number(r.shard)).toBe(shardOf(String(r.path), TASKS));
    expect(images.every((r) => r.status === "ok")).toBe(true);
    const runs = await queryAudit(out, "SELECT shard, processed, resumed, images FROM {run} ORDER BY shard");
    expect(runs.map((r) => Number(r.shard))).toEqual([1, 2, 3, 4]); // the killed attempt wrote no run row
    const resumedRun = runs.find((r) => Number(r.shard) === victim)!;
    expect(resumedRun).toMatchObject({resumed: committedBefore * CHUNK, images: sizes[victim - 1]});
    expect(resumedRun.processed).toBe(sizes[victim - 1]! - committedBefore * CHUNK);

    // A single process over the same folder, same settings: the same tables and metrics.
    await runAudit({images: sample.images, labels: [sample.labels], out: single, chunkSize: CHUNK, progress: "none"});
    for (const [table, order] of [["predictions", "path, finding"], ["ood", "path"], ["explanations", "path, finding, method, alpha"], ["errors", "path"]] as const) {
      const sql = `SELECT * EXCLUDE (shard) FROM {${table}} ORDER BY ${order}`;
      expect(await queryAudit(out, sql), table).toEqual(await queryAudit(single, sql));
    }
    const metrics = "SELECT * FROM {metrics} ORDER BY ALL";
    const [fromSlurm, fromOne] = [await queryAudit(out, metrics), await queryAudit(single, metrics)];
    expect(fromSlurm.length).toBeGreaterThan(0);
    expect(fromSlurm.length).toBe(fromOne.length);
    // Sums over rows read in another file order may differ in the last bits: compare to 1e-9.
    fromSlurm.forEach((row, i) => {
      for (const [key, value] of Object.entries(row)) {
        const other = fromOne[i]![key];
        if (typeof value === "number" && typeof other === "number") expect(value, `metrics row ${i} ${key}`).toBeCloseTo(other, 9);
        else expect(value, `metrics row ${i} ${key}`).toEqual(other);
      }
    });
    expect(fromSlurm.some((r) => r.kind === "finding" && typeof r.auc === "number")).toBe(true);
  }, 1_800_000);
});
