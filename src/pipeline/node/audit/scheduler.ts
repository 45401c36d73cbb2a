/**
 * Node-only: `--shard auto` reads this task's shard from the variables a batch scheduler sets, so a
 * job array (Slurm), an Indexed Job (Kubernetes), an array job (AWS Batch) or a Cloud Run job runs
 * the audit as it is, with no coordinator of ours. Each engine's index becomes shard index + 1 (the
 * audit numbers shards from 1); the count comes from the engine where it says it, else from
 * `--shard auto/N`. A retried task gets the same index, so it resumes its own shard exactly.
 *
 * `schedulerTask` also names the task (engine, job, index) for the shard lock: a scheduler runs at
 * most one attempt of a task at a time, so a lock held by an earlier attempt of the same task is
 * stale even when that attempt ran on another host (a requeued Slurm task on another node, a
 * replaced Kubernetes pod with the same hostname and often the same pid).
 */
import {parseShard, type Shard} from "./images.js";

export type Engine = "slurm" | "kubernetes" | "aws-batch" | "cloud-run";

export interface SchedulerTask {
  engine: Engine;
  shard: Shard;
  /** Names this task across its attempts (the same for a retry or requeue, different for another task or job). */
  id: string;
  /** What was read, for messages: e.g. "SLURM_ARRAY_TASK_ID=3 (ids 1-4)". */
  source: string;
}

type Found = Omit<SchedulerTask, "id">;

export type Env = Record<string, string | undefined>;

/** `--shard auto` (or a scheduler's variables) that cannot give a shard. */
export class SchedulerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SchedulerError";
  }
}

const ENGINES: {engine: Engine; name: string; marker: string}[] = [
  {engine: "slurm", name: "Slurm", marker: "SLURM_ARRAY_TASK_ID"},
  {engine: "kubernetes", name: "Kubernetes", marker: "JOB_COMPLETION_INDEX"},
  {engine: "aws-batch", name: "AWS Batch", marker: "AWS_BATCH_JOB_ARRAY_INDEX"},
  {engine: "cloud-run", name: "Cloud Run", marker: "CLOUD_RUN_TASK_INDEX"}
];

const set = (env: Env, name: string) => env[name] !== undefined && env[name] !== "";

function integer(env: Env, name: string, what: string): number {
  const text = env[name];
  if (text === undefined || text === "") throw new SchedulerError(`${what}: ${name} is not set`);
  if (!/^\s*\d+\s*$/.test(text)) throw new SchedulerError(`${what}: ${name}=${JSON.stringify(text)} is not a non-negative integer`);
  return Number(text);
}

/** The count N of the job: the engine's, the flag's, or both when they agree. */
function countOf(engineCount: number | undefined, flagCount: number | undefined, name: string, hint: string): number {
  if (engineCount !== undefined && flagCount !== undefined && engineCount !== flagCount)
    throw new SchedulerError(`--shard auto/${flagCount} disagrees with ${name}, which says the job has ${engineCount} tasks; give the job's task count, or just --shard auto`);
  const count = engineCount ?? flagCount;
  if (count === undefined) throw new SchedulerError(hint);
  if (count < 1) throw new SchedulerError(`${name}: the job has no tasks (count ${count})`);
  return count;
}

function checkIndex(position: number, count: number, what: string): Shard {
  if (position >= count) throw new SchedulerError(`${what} is outside the job's ${count} tasks (0 to ${count - 1})`);
  return {index: position + 1, count};
}

function slurm(env: Env, flagCount: number | undefined): Found {
  const what = "Slurm job array";
  const id = integer(env, "SLURM_ARRAY_TASK_ID", what);
  const min = integer(env, "SLURM_ARRAY_TASK_MIN", what);
  const engineCount = set(env, "SLURM_ARRAY_TASK_COUNT") ? integer(env, "SLURM_ARRAY_TASK_COUNT", what) : undefined;
  const step = set(env, "SLURM_ARRAY_TASK_STEP") ? integer(env, "SLURM_ARRAY_TASK_STEP", what) : 1;
  if (step < 1) throw new SchedulerError(`${what}: SLURM_ARRAY_TASK_STEP=${step} must be at least 1`);
  const count = countOf(engineCount, flagCount, "SLURM_ARRAY_TASK_COUNT", `${what}: SLURM_ARRAY_TASK_COUNT is not set; give --shard auto/N`);
  const max = set(env, "SLURM_ARRAY_TASK_MAX") ? integer(env, "SLURM_ARRAY_TASK_MAX", what) : min + (count - 1) * step;
  // Task ids must be a regular range (--array=1-4, 0-3, 0-30:10; a %throttle is fine): with a list
  // like --array=1,2,7 the id says nothing about which share of the images is this task's.
  if (max !== min + (count - 1) * step)
    throw new SchedulerError(
      `${what}: the task ids (${min} to ${max}, step ${step}) are not a regular range of ${count} tasks; submit with --array=1-N ` +
        `(or run the tasks with an explicit --shard I/N)`
    );
  if (id < min || id > max || (id - min) % step !== 0)
    throw new SchedulerError(`${what}: SLURM_ARRAY_TASK_ID=${id} is not one of the array's ids (${min} to ${max}, step ${step})`);
  const shard = checkIndex((id - min) / step, count, `SLURM_ARRAY_TASK_ID=${id}`);
  return {engine: "slurm", shard, source: `SLURM_ARRAY_TASK_ID=${id} (ids ${min}-${max}${step > 1 ? `:${step}` : ""})`};
}

function kubernetes(env: Env, flagCount: number | undefined): Found {
  const index = integer(env, "JOB_COMPLETION_INDEX", "Kubernetes Indexed Job");
  // The Job's completions count is not in the pod's environment: the manifest passes it.
  const count = countOf(
    undefined,
    flagCount,
    "",
    "Kubernetes Indexed Job: JOB_COMPLETION_INDEX is set but the pod is not told the number of completions; write --shard auto/N with N the Job's spec.completions"
  );
  const shard = checkIndex(index, count, `JOB_COMPLETION_INDEX=${index}`);
  return {engine: "kubernetes", shard, source: `JOB_COMPLETION_INDEX=${index} (of ${count})`};
}

function awsBatch(env: Env, flagCount: number | undefined): Found {
  const index = integer(env, "AWS_BATCH_JOB_ARRAY_INDEX", "AWS Batch array job");
  const count = countOf(
    undefined,
    flagCount,
    "",
    "AWS Batch array job: AWS_BATCH_JOB_ARRAY_INDEX is set but not the array size; write --shard auto/N with N the job's arrayProperties.size"
  );
  const shard = checkIndex(index, count, `AWS_BATCH_JOB_ARRAY_INDEX=${index}`);
  return {engine: "aws-batch", shard, source: `AWS_BATCH_JOB_ARRAY_INDEX=${index} (of ${count})`};
}

function cloudRun(env: Env, flagCount: number | undefined): Found {
  const what = "Cloud Run job";
  const index = integer(env, "CLOUD_RUN_TASK_INDEX", what);
  const engineCount = set(env, "CLOUD_RUN_TASK_COUNT") ? integer(env, "CLOUD_RUN_TASK_COUNT", what) : undefined;
  const count = countOf(engineCount, flagCount, "CLOUD_RUN_TASK_COUNT", `${what}: CLOUD_RUN_TASK_COUNT is not set; give --shard auto/N`);
  const shard = checkIndex(index, count, `CLOUD_RUN_TASK_INDEX=${index}`);
  return {engine: "cloud-run", shard, source: `CLOUD_RUN_TASK_INDEX=${index} (of ${count})`};
}

/**
 * This task's shard from the scheduler's variables. `count` is N of `--shard auto/N` (needed where
 * the engine does not say it: Kubernetes, AWS Batch; checked against it where it does).
 */
export function shardFromScheduler(env: Env, count?: number, hostname = ""): SchedulerTask {
  const found = ENGINES.filter((e) => set(env, e.marker));
  if (found.length > 1)
    throw new SchedulerError(
      `the variables of several schedulers are set (${found.map((e) => `${e.name}: ${e.marker}=${env[e.marker]}`).join("; ")}), ` +
        `so this task's index is ambiguous; give --shard I/N`
    );
  if (!found.length) {
    const slurmJob = set(env, "SLURM_JOB_ID");
    throw new SchedulerError(
      (slurmJob
        ? `--shard auto in Slurm job ${env.SLURM_JOB_ID}, which is not a job array: submit it with sbatch --array=1-N`
        : "--shard auto found no scheduler task index") +
        `. It reads Slurm job arrays (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_COUNT), Kubernetes Indexed Jobs ` +
        `(JOB_COMPLETION_INDEX, with --shard auto/N), AWS Batch array jobs (AWS_BATCH_JOB_ARRAY_INDEX, with --shard auto/N) and ` +
        `Cloud Run jobs (CLOUD_RUN_TASK_INDEX, CLOUD_RUN_TASK_COUNT); outside a scheduler give --shard I/N`
    );
  }
  const read = {slurm, kubernetes, "aws-batch": awsBatch, "cloud-run": cloudRun}[found[0]!.engine](env, count);
  return {...read, id: schedulerTaskId(env, hostname)!};
}

/** `--shard I/N`, `--shard auto` or `--shard auto/N`. */
export function parseShardFlag(text: string, env: Env, hostname = ""): {shard: Shard; scheduler?: SchedulerTask} {
  const auto = /^\s*auto\s*(?:\/\s*(\S*)\s*)?$/i.exec(text);
  if (!auto) return {shard: parseShard(text)};
  let count: number | undefined;
  if (auto[1] !== undefined) {
    if (!/^\d+$/.test(auto[1]) || Number(auto[1]) < 1) throw new SchedulerError(`--shard auto/N takes a positive integer N (the job's task count), got ${JSON.stringify(text)}`);
    count = Number(auto[1]);
  }
  const scheduler = shardFromScheduler(env, count, hostname);
  return {shard: scheduler.shard, scheduler};
}

/** The scheduler task this process runs as (for the shard lock), or null outside a scheduler or when its variables do not add up. */
export function schedulerTaskId(env: Env, hostname: string): string | null {
  const found = ENGINES.filter((e) => set(env, e.marker));
  if (found.length !== 1) return null;
  const e = found[0]!;
  // The id does not depend on the count: any N gives the same name.
  const index = env[e.marker]!.trim();
  switch (e.engine) {
    case "slurm":
      return `slurm:${env.SLURM_CLUSTER_NAME ?? ""}:${env.SLURM_ARRAY_JOB_ID ?? env.SLURM_JOB_ID ?? "?"}_${index}`;
    case "kubernetes":
      // An Indexed Job's pod hostname is <job name>-<index>, the same for every retry of the index.
      return `kubernetes:${hostname}:${index}`;
    case "aws-batch":
      // A child job's id is <parent id>:<index>, kept across its attempts.
      return `aws-batch:${env.AWS_BATCH_JOB_ID ?? "?"}:${index}`;
    case "cloud-run":
      return `cloud-run:${env.CLOUD_RUN_EXECUTION ?? "?"}:${index}`;
  }
}
