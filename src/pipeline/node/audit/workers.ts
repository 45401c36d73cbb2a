/**
 * Node-only: `--workers N` runs the N shards of one audit as N child processes on this machine
 * (TF.js's wasm backend cannot use threads in Node, so processes are how an audit uses several
 * cores). Each child is an ordinary `--shard k/N` run; the parent shows one progress bar and
 * writes the metrics once every shard is done. Resuming needs the same N.
 */
import {fork} from "node:child_process";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {Progress, type ProgressMode, type ProgressStream} from "./progress.js";
import {AuditError, DEFAULT_OUT, writeMetrics} from "./run.js";

const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../scripts/audit.ts");

/** What a worker sends its parent after each image. */
export interface WorkerMessage {
  kind: "progress";
  shard: number;
  done: number;
  total: number;
}

/** Removes --workers and --progress from a command line (the parent passes its own). */
function workerArgs(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--workers" || arg === "--progress") i++;
    else if (!arg.startsWith("--workers=") && !arg.startsWith("--progress=")) out.push(arg);
  }
  return out;
}

export async function runWorkers(
  argv: string[],
  workers: number,
  {out = DEFAULT_OUT, progress = "auto", stream = process.stderr}: {out?: string; progress?: ProgressMode; stream?: ProgressStream} = {}
): Promise<void> {
  const base = workerArgs(argv);
  const totals = new Map<number, number>();
  const done = new Map<number, number>();
  let bar: Progress | null = null;
  const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const failures = new Map<string, number[]>();
  await Promise.all(
    Array.from({length: workers}, (_, i) => {
      const shard = i + 1;
      const child = fork(SCRIPT, [...base, "--shard", `${shard}/${workers}`, "--progress", "none"], {
        env: {...process.env, CXR_AUDIT_WORKER: "1"},
        stdio: ["ignore", "inherit", "pipe", "ipc"]
      });
      let stderr = "";
      child.stderr!.on("data", (d) => (stderr += d));
      child.on("message", (message: WorkerMessage) => {
        if (message?.kind !== "progress") return;
        totals.set(shard, message.total);
        done.set(shard, message.done);
        if (totals.size === workers) {
          bar ??= new Progress(sum(totals), stream, progress, `${workers} workers`);
          bar.tick(sum(done));
        }
      });
      return new Promise<void>((resolve) =>
        child.on("close", (code, signal) => {
          if (code === 0 && totals.has(shard)) done.set(shard, totals.get(shard)!);
          if (code !== 0) {
            const why = signal ? `killed by ${signal}` : stderr.trim().replace(/^audit: /, "") || `exit status ${code}`;
            failures.set(why, [...(failures.get(why) ?? []), shard]);
          }
          resolve();
        })
      );
    })
  );
  (bar as Progress | null)?.finish();
  if (failures.size)
    throw new AuditError([...failures].map(([why, shards]) => `worker${shards.length > 1 ? "s" : ""} ${shards.join(", ")} of ${workers}: ${why}`).join("\n"));
  const {rows} = await writeMetrics(out);
  if (progress !== "none") stream.write(`${workers} workers done; metrics: ${rows} rows in ${path.resolve(out)}\n`);
}
