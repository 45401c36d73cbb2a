/**
 * The audit's tables: their columns, and where their Parquet files live.
 *
 *   <out>/<table>/shard=<I>/part-<chunk>.parquet   images, predictions, ood, explanations, faithfulness,
 *                                                  sanity, localisation, errors (empty parts when not asked for)
 *   <out>/run/shard=<I>/run-<time>-<pid>.parquet   one row per completed invocation of a shard
 *   <out>/metrics/metrics.parquet                  computed from the union of every shard
 *
 * `read_parquet('<out>/<table>/**\/*.parquet', hive_partitioning = true)` reads one table across
 * every shard (and adds the `shard` column from the folder name).
 */
import path from "node:path";
import type {TableName} from "../../audit-schema.js";
import {escapeGlob} from "./guards.js";

// The tables' columns are pure data, shared with the SQL page.
export {ALL_TABLES, CHUNK_TABLES, ERRORS, EXPLANATIONS, FAITHFULNESS, IMAGES, LOCALISATION, METRICS, OOD, PREDICTIONS, RUN, SANITY, STAGES, type TableName} from "../../audit-schema.js";

export function shardFolder(out: string, table: string, shard: number): string {
  return path.join(out, table, `shard=${shard}`);
}

export function partFile(out: string, table: string, shard: number, chunk: number): string {
  return path.join(shardFolder(out, table, shard), `part-${String(chunk).padStart(5, "0")}.parquet`);
}

export function metricsFile(out: string): string {
  return path.join(out, "metrics", "metrics.parquet");
}

/** A DuckDB expression reading one table across every shard of an output folder. */
export function tableScan(out: string, table: TableName): string {
  // The folder's own name is literal: a `[` or `*` in it must not match other folders.
  const glob = `${escapeGlob(path.join(path.resolve(out), table).replaceAll("\\", "/"))}/**/*.parquet`;
  return `read_parquet('${glob.replaceAll("'", "''")}', hive_partitioning = true)`;
}
