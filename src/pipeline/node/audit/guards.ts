/**
 * Node-only: checks on the audit's command line and output folder that stop a bad run before it
 * starts, and DuckDB file patterns built from paths that may hold glob characters.
 */
import os from "node:os";
import path from "node:path";
import {AuditError} from "./errors.js";

/**
 * A literal path inside a DuckDB glob pattern: `[`, `]`, `*`, `?` each as a one-character class, so a
 * folder named `run[1]` matches only itself (unescaped, `[1]` matches a folder `run1`, and the
 * audit would read another folder's tables).
 */
export const escapeGlob = (literal: string) => literal.replace(/[[\]*?]/g, (c) => `[${c}]`);

/** The output folder may not be a file-system root nor contain the images (it would be walked and cleared). */
export function checkOutputFolder(out: string, images: string): void {
  if (path.parse(out).root === out) throw new AuditError(`--out ${out} is the root of a file system; give a folder of its own for the tables`);
  const inside = path.relative(out, images);
  if (inside === "" || (!inside.startsWith("..") && !path.isAbsolute(inside)))
    throw new AuditError(`--out ${out} must not contain the images folder ${images}`);
}

/** Memory one audit worker takes at its peak (TF.js wasm heap, a bundle, DuckDB; measured ~360 MB). */
export const WORKER_MEMORY_BYTES = 400 * 2 ** 20;

/** The most workers this machine can run: one per core, and no more than fit in 3/4 of its memory. */
export function maxWorkers(cores = os.availableParallelism(), memoryBytes = os.totalmem()): number {
  return Math.max(1, Math.min(cores, Math.floor((memoryBytes * 0.75) / WORKER_MEMORY_BYTES)));
}

export function checkWorkers(workers: number, cores = os.availableParallelism(), memoryBytes = os.totalmem()): void {
  const bound = maxWorkers(cores, memoryBytes);
  if (workers > bound)
    throw new AuditError(
      `--workers ${workers} is more than this machine can run: at most ${bound} ` +
        `(${cores} cores; ${(memoryBytes / 2 ** 30).toFixed(1)} GiB of memory, about ${Math.round(WORKER_MEMORY_BYTES / 2 ** 20)} MB per worker)`
    );
}
