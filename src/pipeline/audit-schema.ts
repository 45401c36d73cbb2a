/**
 * The batch audit's tables and their columns: pure data, shared by the audit (Node, which writes
 * them; src/pipeline/node/audit/tables.ts adds where their files live) and the SQL page (browser,
 * which names a loose part file after the table whose columns it holds).
 */

import {IMAGE_METADATA_COLUMNS} from "./node/audit/image-metadata.js";

/** DuckDB types of the audit's columns. */
export type ColumnType = "VARCHAR" | "DOUBLE" | "INTEGER" | "BOOLEAN" | "TIMESTAMPTZ";

export interface TableSchema {
  name: string;
  columns: readonly (readonly [string, ColumnType])[];
}

/** Stages timed per image, in milliseconds (NULL when a stage did not run). */
export const STAGES = ["read", "decode", "preprocess", "ood", "predict", "saliency", "cam", "gradcam", "gradcampp", "evaluate", "faithfulness", "sanity", "localisation"] as const;

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
    ...IMAGE_METADATA_COLUMNS // window used and DICOM attributes (node/audit/image-metadata.ts)
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
    ["label", "INTEGER"],
    // The raw probability through the --recalibration file's map; NULL without one (or a map for this finding).
    ["recalibrated", "DOUBLE"]
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
    // The classifier's feature-space scores (ood-features.ts); NULL without the bundle's statistics.
    ["mahalanobis", "DOUBLE"],
    ["knn", "DOUBLE"],
    ["energy", "DOUBLE"],
    ["msp", "DOUBLE"],
    ["gate", "VARCHAR"],
    ["check", "VARCHAR"],
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

/** --faithfulness: one row per image x explained finding x method x metric x baseline x alpha (long form). */
export const FAITHFULNESS: TableSchema = {
  name: "faithfulness",
  columns: [
    ["path", "VARCHAR"],
    ["finding", "VARCHAR"],
    ["method", "VARCHAR"],
    ["metric", "VARCHAR"],
    ["baseline", "VARCHAR"],
    ["alpha", "DOUBLE"],
    ["value", "DOUBLE"],
    ["higher_is_better", "BOOLEAN"],
    ["score", "DOUBLE"],
    ["label", "INTEGER"]
  ]
};

/** --sanity: one row per image x explained finding x method x randomisation step (cascading, head first). */
export const SANITY: TableSchema = {
  name: "sanity",
  columns: [
    ["path", "VARCHAR"],
    ["finding", "VARCHAR"],
    ["method", "VARCHAR"],
    ["step", "INTEGER"],
    ["block", "VARCHAR"],
    ["spearman", "DOUBLE"],
    ["ssim", "DOUBLE"],
    ["flagged", "BOOLEAN"]
  ]
};

/** --localisation: one row per boxed image x box (its finding) x method. */
export const LOCALISATION: TableSchema = {
  name: "localisation",
  columns: [
    ["path", "VARCHAR"],
    ["finding", "VARCHAR"],
    ["method", "VARCHAR"],
    ["box_x", "DOUBLE"],
    ["box_y", "DOUBLE"],
    ["box_width", "DOUBLE"],
    ["box_height", "DOUBLE"],
    ["box_share", "DOUBLE"],
    ["pointing_game", "DOUBLE"],
    ["energy_inside", "DOUBLE"],
    ["iou", "DOUBLE"],
    ["score", "DOUBLE"],
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
    ["fpr_at_95_tpr", "DOUBLE"],
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
    ["tensors_end", "INTEGER"],
    ["recalibration", "VARCHAR"],
    ["recalibration_sha256", "VARCHAR"]
  ]
};

/** Tables written once per chunk; `images` last, as the chunk's commit marker. */
export const CHUNK_TABLES = [PREDICTIONS, OOD, EXPLANATIONS, FAITHFULNESS, SANITY, LOCALISATION, ERRORS, IMAGES] as const;
export const ALL_TABLES = [IMAGES, PREDICTIONS, OOD, EXPLANATIONS, FAITHFULNESS, SANITY, LOCALISATION, ERRORS, METRICS, RUN] as const;
export type TableName = (typeof ALL_TABLES)[number]["name"];
