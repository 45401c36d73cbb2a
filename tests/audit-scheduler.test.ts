/**
 * `--shard auto`: the shard from a scheduler's own variables (Slurm job arrays, Kubernetes Indexed
 * Jobs, AWS Batch array jobs, Cloud Run jobs), with clear errors when they are missing or do not
 * add up; and the shard lock under a scheduler: a retried task (same task, any host) takes over the
 * lock its killed attempt left, another task does not; temporary files of other hosts are kept.
 */
import {existsSync, mkdirSync, readdirSync, rmSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterEach, beforeAll, describe, expect, it} from "vitest";
import {AuditError, parseAuditArgs, runAudit, type AuditOptions} from "../src/pipeline/node/audit/index.js";
import {temporaryName} from "../src/pipeline/node/audit/parquet.js";
import {parseShardFlag, schedulerTaskId, shardFromScheduler, SchedulerError} from "../src/pipeline/node/audit/scheduler.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {auditFixture, PARITY_BUNDLE, queryAudit, type AuditFixture} from "./helpers/audit.js";

const slurm = (id: number, extra: Record<string, string> = {}) => ({
  SLURM_JOB_ID: String(100 + id),
  SLURM_ARRAY_JOB_ID: "100",
  SLURM_ARRAY_TASK_ID: String(id),
  SLURM_ARRAY_TASK_MIN: "1",
  SLURM_ARRAY_TASK_MAX: "4",
  SLURM_ARRAY_TASK_COUNT: "4",
  SLURM_ARRAY_TASK_STEP: "1",
  SLURM_CLUSTER_NAME: "cxr",
  ...extra
});

describe("shard from the scheduler", () => {
  it("Slurm job arrays: --array=1-4, 0-3 and 0-30:10 give shards 1..4 of 4", () => {
    expect([1, 2, 3, 4].map((id) => shardFromScheduler(slurm(id)).shard)).toEqual([1, 2, 3, 4].map((index) => ({index, count: 4})));
    const zero = (id: number) => slurm(id, {SLURM_ARRAY_TASK_MIN: "0", SLURM_ARRAY_TASK_MAX: "3"});
    expect([0, 1, 2, 3].map((id) => shardFromScheduler(zero(id)).shard.index)).toEqual([1, 2, 3, 4]);
    const stepped = (id: number) => slurm(id, {SLURM_ARRAY_TASK_MIN: "0", SLURM_ARRAY_TASK_MAX: "30", SLURM_ARRAY_TASK_STEP: "10"});
    expect([0, 10, 20, 30].map((id) => shardFromScheduler(stepped(id)).shard.index)).toEqual([1, 2, 3, 4]);
    const task = shardFromScheduler(slurm(3));
    expect(task).toMatchObject({engine: "slurm", id: "slurm:cxr:100_3"});
    expect(task.source).toBe("SLURM_ARRAY_TASK_ID=3 (ids 1-4)");
  });

  it("Kubernetes Indexed Jobs, AWS Batch array jobs (0-based, count from auto/N) and Cloud Run jobs", () => {
    expect(shardFromScheduler({JOB_COMPLETION_INDEX: "0"}, 4, "audit-0")).toMatchObject({engine: "kubernetes", shard: {index: 1, count: 4}, id: "kubernetes:audit-0:0"});
    expect(shardFromScheduler({JOB_COMPLETION_INDEX: "3"}, 4).shard).toEqual({index: 4, count: 4});
    expect(shardFromScheduler({AWS_BATCH_JOB_ARRAY_INDEX: "2", AWS_BATCH_JOB_ID: "abc:2"}, 5)).toMatchObject({engine: "aws-batch", shard: {index: 3, count: 5}, id: "aws-batch:abc:2:2"});
    expect(shardFromScheduler({CLOUD_RUN_TASK_INDEX: "1", CLOUD_RUN_TASK_COUNT: "3", CLOUD_RUN_EXECUTION: "audit-x"})).toMatchObject({
      engine: "cloud-run",
      shard: {index: 2, count: 3},
      id: "cloud-run:audit-x:1"
    });
    // Where the engine says the count, auto/N must agree with it.
    expect(shardFromScheduler({CLOUD_RUN_TASK_INDEX: "1", CLOUD_RUN_TASK_COUNT: "3"}, 3).shard).toEqual({index: 2, count: 3});
  });

  it("clear errors: no scheduler, not an array, missing or inconsistent variables, an index outside the job", () => {
    const fails = (env: Record<string, string>, message: RegExp, count?: number) => expect(() => shardFromScheduler(env, count)).toThrow(message);
    fails({}, /--shard auto found no scheduler task index\. It reads Slurm job arrays \(SLURM_ARRAY_TASK_ID.*outside a scheduler give --shard I\/N/);
    fails({SLURM_JOB_ID: "7"}, /Slurm job 7, which is not a job array: submit it with sbatch --array=1-N/);
    fails({SLURM_ARRAY_TASK_ID: "2"}, /Slurm job array: SLURM_ARRAY_TASK_MIN is not set/);
    fails(slurm(2, {SLURM_ARRAY_TASK_COUNT: "two"}), /SLURM_ARRAY_TASK_COUNT="two" is not a non-negative integer/);
    fails(slurm(2), /--shard auto\/8 disagrees with SLURM_ARRAY_TASK_COUNT, which says the job has 4 tasks/, 8);
    // --array=1,2,7: ids that are not a range.
    fails(slurm(7, {SLURM_ARRAY_TASK_MAX: "7", SLURM_ARRAY_TASK_COUNT: "3"}), /task ids \(1 to 7, step 1\) are not a regular range of 3 tasks; submit with --array=1-N/);
    fails(slurm(9), /SLURM_ARRAY_TASK_ID=9 is not one of the array's ids \(1 to 4, step 1\)/);
    fails({JOB_COMPLETION_INDEX: "1"}, /JOB_COMPLETION_INDEX is set but the pod is not told the number of completions; write --shard auto\/N/);
    fails({JOB_COMPLETION_INDEX: "4"}, /JOB_COMPLETION_INDEX=4 is outside the job's 4 tasks \(0 to 3\)/, 4);
    fails({JOB_COMPLETION_INDEX: "-1"}, /JOB_COMPLETION_INDEX="-1" is not a non-negative integer/, 4);
    fails({AWS_BATCH_JOB_ARRAY_INDEX: "0"}, /AWS_BATCH_JOB_ARRAY_INDEX is set but not the array size; write --shard auto\/N/);
    fails({CLOUD_RUN_TASK_INDEX: "0"}, /CLOUD_RUN_TASK_COUNT is not set/);
    fails({CLOUD_RUN_TASK_INDEX: "3", CLOUD_RUN_TASK_COUNT: "3"}, /CLOUD_RUN_TASK_INDEX=3 is outside the job's 3 tasks/);
    fails({...slurm(1), JOB_COMPLETION_INDEX: "0"}, /variables of several schedulers are set \(Slurm: SLURM_ARRAY_TASK_ID=1; Kubernetes: JOB_COMPLETION_INDEX=0\)/);
    for (const e of [() => shardFromScheduler({}), () => parseShardFlag("auto/x", {})]) expect(e).toThrow(SchedulerError);
  });

  it("--shard auto, auto/N and I/N on the command line; errors are AuditErrors (exit status 2)", () => {
    const args = (shard: string) => ["--images", "x", "--shard", shard];
    const shardOf = (shard: string, env: Record<string, string>) => {
      const command = parseAuditArgs(args(shard), env);
      return command.kind === "audit" ? command.options.shard : null;
    };
    expect(shardOf("auto", slurm(2))).toEqual({index: 2, count: 4});
    expect(shardOf("auto/6", {JOB_COMPLETION_INDEX: "5"})).toEqual({index: 6, count: 6});
    expect(shardOf(" AUTO / 3 ", {AWS_BATCH_JOB_ARRAY_INDEX: "0"})).toEqual({index: 1, count: 3});
    expect(shardOf("2/3", slurm(4))).toEqual({index: 2, count: 3}); // explicit wins
    expect(() => parseAuditArgs(args("auto"), {})).toThrow(AuditError);
    expect(() => parseAuditArgs(args("auto/0"), {JOB_COMPLETION_INDEX: "0"})).toThrow(/--shard auto\/N takes a positive integer N/);
    expect(() => parseAuditArgs(args("auto"), {JOB_COMPLETION_INDEX: "0"})).toThrow(/write --shard auto\/N with N the Job's spec.completions/);
    expect(() => parseAuditArgs([...args("auto"), "--workers", "2"], slurm(1))).toThrow(/either --workers or --shard/);
  });

  it("names the task the same across its attempts, and differently for another task or job", () => {
    expect(schedulerTaskId(slurm(2, {SLURM_JOB_ID: "999", SLURM_RESTART_COUNT: "1"}), "node7")).toBe(schedulerTaskId(slurm(2), "node1"));
    expect(schedulerTaskId(slurm(2), "n")).not.toBe(schedulerTaskId(slurm(3), "n"));
    expect(schedulerTaskId(slurm(2), "n")).not.toBe(schedulerTaskId(slurm(2, {SLURM_ARRAY_JOB_ID: "101"}), "n"));
    expect(schedulerTaskId({}, "n")).toBeNull();
    expect(schedulerTaskId({...slurm(1), CLOUD_RUN_TASK_INDEX: "0"}, "n")).toBeNull();
  });
});

describe("the shard lock under a scheduler", () => {
  let fixture: AuditFixture;
  let options: AuditOptions;
  const saved = {...process.env};
  beforeAll(async () => {
    await initBackend();
    fixture = auditFixture("audit-scheduler");
    options = {images: fixture.images, labels: [fixture.labels], model: PARITY_BUNDLE, explain: ["cam"], alphas: [10], chunkSize: 8, progress: "none"};
  });
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  it("a retried task takes over its killed attempt's lock from another host; another task's lock is refused", async () => {
    const out = path.join(fixture.root, "out-lock");
    rmSync(out, {recursive: true, force: true});
    mkdirSync(out, {recursive: true});
    Object.assign(process.env, slurm(2));
    const lock = path.join(out, ".lock-shard-2");
    // Another host (so its pid cannot be checked here), another task of the array: refused.
    writeFileSync(lock, JSON.stringify({pid: 1, host: "other-node", task: "slurm:cxr:100_3"}));
    const run = {...options, out, shard: parseShardFlag("auto", process.env).shard};
    await expect(runAudit(run)).rejects.toThrow(/shard 2\/4 of .* is being written by process 1 on other-node/);
    // The same task (its earlier attempt, requeued onto this host): taken over, and the shard completes.
    writeFileSync(lock, JSON.stringify({pid: 1, host: "other-node", task: "slurm:cxr:100_2"}));
    // Temporary files: another host's in the shared folder are kept (it may be writing), this
    // shard's own folder is cleared whoever left them (its lock is held).
    const shared = path.join(out, ".audit.json.1.other-node.tmp");
    const own = path.join(out, "images/shard=2/.part-00000.parquet.1.other-node.tmp");
    mkdirSync(path.dirname(own), {recursive: true});
    writeFileSync(shared, "x");
    writeFileSync(own, "x");
    const summary = await runAudit(run);
    expect(summary).toMatchObject({shard: {index: 2, count: 4}, resumed: 0, metricsWritten: false});
    expect(summary.processed).toBeGreaterThan(0);
    expect(existsSync(lock)).toBe(false);
    expect(existsSync(shared)).toBe(true);
    expect(existsSync(own)).toBe(false);
    const rows = await queryAudit(out, "SELECT DISTINCT shard FROM {images}");
    expect(rows).toEqual([{shard: 2n}]);
    expect(readdirSync(path.join(out, "images"))).toEqual(["shard=2"]);
  }, 300_000);

  it("temporary names carry the host, so machines sharing a folder never write the same file", () => {
    const name = path.basename(temporaryName("/x/metrics.parquet"));
    expect(name).toBe(`.metrics.parquet.${process.pid}.${os.hostname().replace(/[^A-Za-z0-9-]/g, "-")}.tmp`);
  });
});
