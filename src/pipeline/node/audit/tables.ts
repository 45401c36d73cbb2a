/**
 * The audit's tables: their columns, and where their Parquet files live.
 *
 *   <out>/<table>/shard=<I>/part-<chunk>.parquet   images, predictions, ood, explanations, errors
 *   <out>/run/shard=<I>/run-<time>-<pid>.parquet   one row per completed invocation of a shard
 *   <out>/metrics/metrics.parquet                  computed from the union of every shard
 *
 * `read_parquet('<out>/<table>/**\/*.parquet', hive_partitioning = true)` reads one table across
 * every shard (and adds the `shard` column from the folder name).
 */
import path from "node:path";
import {IMAGE_METADATA_COLUMNS} from "./image-metadata.js";
import type {TableSchema} from "./parquet.js";

/** Stages timed per image, in milliseconds (NULL when a stage did not run). */
export const STAGES = ["read", "decode", "preprocess", "ood", "predict", "saliency", "cam", "gradcam", "gradcampp", "evaluate"] as const;

export const IMAGES: TableSchema = {
  name: "images",
  columns: [
    ["path", "VARCHAR"],
    ["width", "INTEGER"],
    ["height", "INTEGER"],
    ["format", "VARCHAR"],
    ["bytes", "INTEGER"],
    ["sha256", "VARCHAR"],
    ["status", "VARCHAR"],
    ["ood_set", "VARCHAR"],
    ...STAGES.map((stage) => [`${stage}_ms`, "DOUBLE"] as const),
    ["total_ms", "DOUBLE"],
    ...IMAGE_METADATA_COLUMNS // window used and DICOM attributes (image-metadata.ts)
  ]
};

export const PREDICTIONS: TableSchema = {
  name: "predictions",
  columns: [
    ["path", "VARCHAR"],
    ["finding", "VARCHAR"],
    ["probability", "DOUBLE"],
    ["calibrated", "DOUBLE"],
    ["operating_point", "DOUBLE"],
    ["predicted", "BOOLEAN"],
    ["label", "INTEGER"]
  ]
};

export const OOD: TableSchema = {
  name: "ood",
  columns: [
    ["path", "VARCHAR"],
    ["l1", "DOUBLE"],
    ["l2", "DOUBLE"],
    ["ssim", "DOUBLE"],
    ["ssim8", "DOUBLE"],
    ["latent", "DOUBLE"],
    ["in_distribution", "BOOLEAN"]
  ]
};

export const EXPLANATIONS: TableSchema = {
  name: "explanations",
  columns: [
    ["path", "VARCHAR"],
    ["finding", "VARCHAR"],
    ["method", "VARCHAR"],
    ["alpha", "DOUBLE"],
    ["average_drop", "DOUBLE"],
    ["black_average_drop", "DOUBLE"],
    ["increase_in_confidence", "BOOLEAN"],
    ["incorrect", "BOOLEAN"],
    ["score", "DOUBLE"],
    ["perturbed_score", "DOUBLE"],
    ["black_perturbed_score", "DOUBLE"],
    ["label", "INTEGER"]
  ]
};

export const ERRORS: TableSchema = {
  name: "errors",
  columns: [
    ["path", "VARCHAR"],
    ["stage", "VARCHAR"],
    ["code", "VARCHAR"],
    ["error", "VARCHAR"]
  ]
};

export const METRICS: TableSchema = {
  name: "metrics",
  columns: [
    ["kind", "VARCHAR"],
    ["finding", "VARCHAR"],
    ["method", "VARCHAR"],
    ["alpha", "DOUBLE"],
    ["ood_score", "VARCHAR"],
    ["ood_set", "VARCHAR"],
    ["n", "INTEGER"],
    ["positives", "INTEGER"],
    ["auc", "DOUBLE"],
    ["auc_std", "DOUBLE"],
    ["auc_splits", "INTEGER"],
    ["operating_point", "DOUBLE"],
    ["sensitivity", "DOUBLE"],
    ["specificity", "DOUBLE"],
    ["n_in", "INTEGER"],
    ["auroc", "DOUBLE"],
    ["rejected", "DOUBLE"],
    ["cutoff", "DOUBLE"],
    ["coverage", "DOUBLE"],
    ["kept", "INTEGER"],
    ["average_drop", "DOUBLE"],
    ["black_average_drop", "DOUBLE"],
    ["increase_in_confidence", "DOUBLE"],
    ["incorrect", "DOUBLE"]
  ]
};

export const RUN: TableSchema = {
  name: "run",
  columns: [
    ["bundle", "VARCHAR"],
    ["bundle_path", "VARCHAR"],
    ["card_sha256", "VARCHAR"],
    ["images_dir", "VARCHAR"],
    ["labels", "VARCHAR"],
    ["shards", "INTEGER"],
    ["explain", "VARCHAR"],
    ["alphas", "VARCHAR"],
    ["chunk_size", "INTEGER"],
    ["images", "INTEGER"],
    ["processed", "INTEGER"],
    ["resumed", "INTEGER"],
    ["errors", "INTEGER"],
    ["started_at", "TIMESTAMPTZ"],
    ["ended_at", "TIMESTAMPTZ"],
    ["wall_s", "DOUBLE"],
    ["images_per_s", "DOUBLE"],
    ["backend", "VARCHAR"],
    ["workbench_version", "VARCHAR"],
    ["tfjs_version", "VARCHAR"],
    ["duckdb_version", "VARCHAR"],
    ["node_version", "VARCHAR"],
    ["platform", "VARCHAR"],
    ["rss_mb", "DOUBLE"],
    ["tensors_start", "INTEGER"],
    ["tensors_end", "INTEGER"]
  ]
};

/** Tables written once per chunk; `images` last, as the chunk's commit marker. */
export const CHUNK_TABLES = [PREDICTIONS, OOD, EXPLANATIONS, ERRORS, IMAGES] as const;
export const ALL_TABLES = [IMAGES, PREDICTIONS, OOD, EXPLANATIONS, ERRORS, METRICS, RUN] as const;
export type TableName = (typeof ALL_TABLES)[number]["name"];

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
  const glob = path.join(path.resolve(out), table, "**", "*.parquet").replaceAll("\\", "/");
  return `read_parquet('${glob.replaceAll("'", "''")}', hive_partitioning = true)`;
}
