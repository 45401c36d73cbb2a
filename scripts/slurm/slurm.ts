/**
 * Node-only: drive a real Slurm cluster (the one-node cluster of cluster.sh, or any cluster whose
 * SLURM_CONF is given) from the Slurm test and `npm run bench:cluster`: start and stop it, submit
 * the audit as a job array, watch its tasks, kill and requeue one. Every wait is bounded.
 */
import {execFileSync, spawnSync} from "node:child_process";
import {mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync} from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLUSTER = path.join(ROOT, "scripts/slurm/cluster.sh");
export const ARRAY_SCRIPT = path.join(ROOT, "scripts/slurm/audit-array.sh");

/** Why a one-node Slurm cluster cannot run here, or null when it can. */
export function slurmUnavailable(): string | null {
  const missing = ["munged", "slurmctld", "slurmd", "sbatch", "scontrol"].filter((tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0);
  if (missing.length) return `${missing.join(", ")} not found (apt-get install slurm-wlm munge; .ci/run does)`;
  // slurmd starts each job as its submitting user: it needs root to switch users.
  if (process.getuid?.() !== 0) return "slurmd needs root to start jobs (this process is not root)";
  return null;
}

export interface Cluster {
  dir: string;
  env: NodeJS.ProcessEnv;
  stop(): void;
}

export function startCluster(dir: string, cpus?: number): Cluster {
  const args = ["start", dir, ...(cpus ? [String(cpus)] : [])];
  const result = spawnSync(CLUSTER, args, {encoding: "utf8", timeout: 120_000});
  if (result.status !== 0) throw new Error(`cluster.sh start failed (${result.status ?? result.signal}): ${result.stderr}${result.stdout}`);
  const env = {...process.env, SLURM_CONF: path.join(dir, "slurm.conf")};
  return {dir, env, stop: () => void spawnSync(CLUSTER, ["stop", dir], {timeout: 60_000})};
}

const run = (env: NodeJS.ProcessEnv, command: string, args: string[]) => execFileSync(command, args, {env, encoding: "utf8", timeout: 60_000}).trim();

/** Submit the audit as a job array of `tasks` (ids 1..tasks); returns the array's job id. */
export function submitAuditArray(
  cluster: Cluster,
  tasks: number,
  auditArgs: string[],
  {output = path.join(cluster.dir, "audit-%A_%a.out"), extraEnv = {}}: {output?: string; extraEnv?: Record<string, string>} = {}
): string {
  const env = {...cluster.env, CXR_WORKBENCH: ROOT, ...extraEnv};
  return run(env, "sbatch", ["--parsable", `--array=1-${tasks}`, `--output=${output}`, "--open-mode=append", "--chdir", ROOT, ARRAY_SCRIPT, ...auditArgs]).split(";")[0]!;
}

export interface TaskState {
  /** "3", or a range like "3-4" for tasks not started yet. */
  task: string;
  state: string;
  restarts: number;
  exitCode: string;
}

/** The array's tasks as the controller sees them (kept for MinJobAge after they end). */
export function arrayTasks(cluster: Cluster, jobId: string): TaskState[] {
  const text = run(cluster.env, "scontrol", ["-o", "show", "job", jobId]);
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const field = (name: string) => new RegExp(`(?:^| )${name}=(\\S*)`).exec(line)?.[1] ?? "";
      return {task: field("ArrayTaskId"), state: field("JobState"), restarts: Number(field("Restarts") || 0), exitCode: field("ExitCode")};
    });
}

const ENDED = new Set(["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE"]);

/** Wait until `done(tasks)` holds (polling the controller), at most `timeoutMs`. */
export async function waitForTasks(cluster: Cluster, jobId: string, done: (tasks: TaskState[]) => boolean, timeoutMs: number, what: string): Promise<TaskState[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const tasks = arrayTasks(cluster, jobId);
    if (done(tasks)) return tasks;
    if (Date.now() > until)
      throw new Error(`Slurm job ${jobId}: timed out after ${timeoutMs / 1000} s waiting for ${what}; tasks: ${JSON.stringify(tasks)}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** Every task of the array has ended (whatever its state). */
export const allEnded = (tasks: TaskState[]) => tasks.length > 0 && tasks.every((t) => ENDED.has(t.state) && !t.task.includes("-"));

/** SIGKILL every process of one array task (as a crash would), without requeueing it. */
export function killTask(cluster: Cluster, jobId: string, task: number): void {
  run(cluster.env, "scancel", ["--signal=KILL", "--full", `${jobId}_${task}`]);
}

/** Put one ended array task back in the queue: it runs again with the same SLURM_ARRAY_TASK_ID. */
export function requeueTask(cluster: Cluster, jobId: string, task: number): void {
  run(cluster.env, "scontrol", ["requeue", `${jobId}_${task}`]);
}

/** The file a task's output went to (the default --output of submitAuditArray). */
export const taskOutput = (cluster: Cluster, jobId: string, task: number) => path.join(cluster.dir, `audit-${jobId}_${task}.out`);

/**
 * A folder of symbolic links to `count` pediatric images of `split` ("train", "test" or "all"),
 * spread evenly over the sorted list so both classes are in it, plus its labels.csv (path,label).
 * Links, not copies: the data stays where it is.
 */
export function pedsSample(dataRoot: string, folder: string, split: "train" | "test" | "all", count?: number): {images: string; labels: string; files: string[]} {
  const csv = readFileSync(path.join(dataRoot, "cxr-peds/labels.csv"), "utf8").trim().split("\n");
  const header = csv[0]!.split(",");
  const [pathAt, splitAt, labelAt] = ["path", "split", "label"].map((c) => header.indexOf(c));
  const rows = csv
    .slice(1)
    .map((line) => line.split(","))
    .filter((r) => split === "all" || r[splitAt!] === split)
    .sort((a, b) => (a[pathAt!]! < b[pathAt!]! ? -1 : 1));
  const n = Math.min(count ?? rows.length, rows.length);
  const chosen = Array.from({length: n}, (_, i) => rows[Math.floor(((i + 0.5) * rows.length) / n)]!);
  const images = path.join(folder, "images");
  rmSync(folder, {recursive: true, force: true});
  for (const r of chosen) {
    const link = path.join(images, r[pathAt!]!);
    mkdirSync(path.dirname(link), {recursive: true});
    symlinkSync(path.join(dataRoot, "cxr-peds", r[pathAt!]!), link);
  }
  const labels = path.join(folder, "labels.csv");
  writeFileSync(labels, "path,label\n" + chosen.map((r) => `${r[pathAt!]},${r[labelAt!]}`).join("\n") + "\n");
  return {images, labels, files: chosen.map((r) => r[pathAt!]!)};
}
