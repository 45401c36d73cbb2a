/** Node-only: the batch audit (`npm run audit`): a bundle over a folder of images into Parquet tables. */
export {parseAuditArgs, USAGE, type Command} from "./cli.js";
export {IMAGE_EXTENSIONS, listImages, parseShard, shardOf, type Shard} from "./images.js";
export {LabelError, NEGATIVE_LABELS, readLabelFiles, type LabelTable} from "./labels.js";
export {computeMetrics} from "./metrics.js";
export {ParquetStore} from "./parquet.js";
export {Progress, type ProgressMode} from "./progress.js";
export {
  AUDIT_METHODS,
  AuditError,
  completedShards,
  DEFAULT_ALPHAS,
  DEFAULT_CHUNK,
  DEFAULT_EXPLAIN,
  DEFAULT_MODEL,
  DEFAULT_OUT,
  resolveModel,
  runAudit,
  tables,
  writeMetrics,
  type AuditOptions,
  type AuditSummary
} from "./run.js";
export {ALL_TABLES, tableScan, type TableName} from "./tables.js";
