/** Node-only: the `npm run audit` command line, parsed into AuditOptions (clear errors for bad flags). */
import os from "node:os";
import {parseArgs} from "node:util";
import {checkWorkers} from "./guards.js";
import {parseShardFlag} from "./scheduler.js";
import {BASELINE_NAMES} from "../../faithfulness/baselines.js";
import {DEFAULT_CURVE_STEPS, parseSanity, validateBaselines} from "./faithfulness.js";
import {AUDIT_METHODS, AuditError, DEFAULT_ALPHAS, DEFAULT_CHUNK, DEFAULT_EXPLAIN, DEFAULT_MODEL, DEFAULT_OUT, validateAlphas, validateExplain, type AuditOptions} from "./run.js";
import type {ProgressMode} from "./progress.js";
import {checkMethod} from "./recalibration.js";
import type {RecalibrationMethod} from "../../recalibration.js";

export const USAGE = `usage: npm run audit -- --images DIR [--labels CSV]... [--model NAME_OR_PATH] [--out DIR]
                          [--shard I/N] [--explain ${AUDIT_METHODS.join(",")}|none] [--alpha ${DEFAULT_ALPHAS.join(",")}]
                          [--faithfulness [--baselines ${BASELINE_NAMES.join(",")}] [--curve-steps N]]
                          [--sanity N|all] [--localisation BOXES.csv]
       npm run audit -- --metrics-only [--out DIR]
       npm run audit -- --report [--out DIR]
       npm run audit -- --fit-recalibration temperature|platt|isotonic [--out DIR]

  --images DIR      folder walked recursively for PNG, JPEG and DICOM files
  --labels CSV      ground truth: a "path" column (relative to DIR) and one 0/1 column per finding, or a
                    "label" column naming findings (NORMAL / No Finding = none); a "set" column marks
                    out-of-distribution sets. Repeatable.
  --model NAME|DIR  a bundle in models/ or a folder (a Chester folder works too); default ${DEFAULT_MODEL}
  --ood DIR         for a Chester folder: its autoencoder folder (ae-chest-savedmodel-64-512)
  --out DIR         where the Parquet tables go; default ${DEFAULT_OUT}/
  --shard I/N       this process takes the I-th of N deterministic shares of the images (I from 1)
  --shard auto[/N]  I and N from the scheduler: a Slurm job array, a Kubernetes Indexed Job, an AWS
                    Batch array job or a Cloud Run job (N where the engine does not say it)
  --explain LIST    explanation methods to evaluate; default ${DEFAULT_EXPLAIN.join(",")}; "none" skips them
  --alpha LIST      Black Average Drop: percent of pixels kept; default ${DEFAULT_ALPHAS.join(",")}
  --faithfulness    the faithfulness table: per image and method, deletion and insertion curve areas,
                    ROAD MoRF / LeRF, and AD, BAD and Increase in Confidence under each baseline
                    (seconds per image and method: it scores about 70 perturbed images for each)
  --baselines LIST  its perturbation baselines; default ${BASELINE_NAMES.join(",")}
  --curve-steps N   steps of its deletion and insertion curves; default ${DEFAULT_CURVE_STEPS}
  --sanity N|all    the sanity table: cascading randomisation of the classifier's weights, block by
                    block from the head, on N images spread evenly over the list (each block
                    recomputes every map: use a few images)
  --localisation CSV  the localisation table: pointing game, energy inside, IoU against the boxes of
                    a boxes CSV (../shared/data/cxr-nih/boxes.csv's columns); a boxed image is also
                    explained for its boxes' findings
  --by LIST         subgroup metrics (AUC with bootstrap 95 % CI, sensitivity, specificity, PPV, NPV) per
                    value of each column: a labels CSV column (sex, view, site...) or an images column
                    (patient_sex, view_position, manufacturer...); written to the subgroups table
  --recalibration FILE  apply a recalibration file (fitted for this bundle) on top of its outputs: the
                    predictions table gets the recalibrated probability beside the raw one, the run
                    table the file's SHA-256; a file fitted for another bundle is refused
  --chunk N         images per committed chunk (what a kill can lose); default ${DEFAULT_CHUNK}
  --limit N         only the first N images (sorted paths, before sharding)
  --progress MODE   auto (a bar on a terminal, lines otherwise), bar, lines or none
  --workers N       run the N shards as N processes on this machine (one bar; resume with the same N)
  --metrics-only    recompute the metrics table from the tables in --out (after merging shards)
  --report          write --out/report.html: one self-contained summary of the audit in --out
  --fit-recalibration METHOD  fit a recalibration per finding on the labelled predictions in --out
                    and write --out/recalibration-METHOD.json (apply it with --recalibration, or open
                    it on the Prediction and Analyse pages)
`;

export type Command =
  | {kind: "help"}
  | {kind: "audit"; options: AuditOptions; workers: number}
  | {kind: "metrics"; out: string}
  | {kind: "report"; out: string}
  | {kind: "fit-recalibration"; out: string; method: RecalibrationMethod};

const list = (text: string) => text.split(",").map((s) => s.trim()).filter(Boolean);

function positiveInteger(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(Number.isInteger(n) && n >= 1)) throw new AuditError(`--${flag} takes a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

export function parseAuditArgs(argv: string[], env: Record<string, string | undefined> = process.env): Command {
  let values;
  try {
    ({values} = parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: {
        images: {type: "string"},
        labels: {type: "string", multiple: true},
        model: {type: "string"},
        ood: {type: "string"},
        models: {type: "string"},
        out: {type: "string"},
        shard: {type: "string"},
        explain: {type: "string"},
        alpha: {type: "string"},
        faithfulness: {type: "boolean"},
        baselines: {type: "string"},
        "curve-steps": {type: "string"},
        sanity: {type: "string"},
        localisation: {type: "string"},
        by: {type: "string"},
        chunk: {type: "string"},
        limit: {type: "string"},
        progress: {type: "string"},
        workers: {type: "string"},
        "metrics-only": {type: "boolean"},
        report: {type: "boolean"},
        recalibration: {type: "string"},
        "fit-recalibration": {type: "string"},
        help: {type: "boolean", short: "h"}
      }
    }));
  } catch (error) {
    throw new AuditError(`${(error as Error).message}\n\n${USAGE}`);
  }
  if (values.help) return {kind: "help"};
  if (values["metrics-only"]) return {kind: "metrics", out: values.out ?? DEFAULT_OUT};
  if (values.report) return {kind: "report", out: values.out ?? DEFAULT_OUT};
  if (values["fit-recalibration"] !== undefined) return {kind: "fit-recalibration", out: values.out ?? DEFAULT_OUT, method: checkMethod(values["fit-recalibration"])};
  if (!values.images) throw new AuditError(`--images DIR is required\n\n${USAGE}`);
  let shard;
  if (values.shard !== undefined) {
    try {
      shard = parseShardFlag(values.shard, env, os.hostname()).shard;
    } catch (error) {
      throw new AuditError((error as Error).message);
    }
  }
  const explain = values.explain === undefined ? undefined : values.explain.trim() === "none" ? [] : validateExplain(list(values.explain));
  const alphas =
    values.alpha === undefined
      ? undefined
      : validateAlphas(
          list(values.alpha).map((a) => {
            const n = Number(a);
            if (!Number.isFinite(n)) throw new AuditError(`--alpha ${JSON.stringify(a)} is not a number`);
            return n;
          })
        );
  const progress = values.progress as ProgressMode | undefined;
  if (progress !== undefined && !["auto", "bar", "lines", "none"].includes(progress))
    throw new AuditError(`--progress takes auto, bar, lines or none, got ${JSON.stringify(progress)}`);
  const workers = positiveInteger("workers", values.workers) ?? 1;
  checkWorkers(workers);
  if (workers > 1 && shard) throw new AuditError("--workers N runs shards 1/N to N/N itself: give either --workers or --shard, not both");
  return {
    kind: "audit",
    workers,
    options: {
      images: values.images,
      labels: values.labels,
      model: values.model,
      ood: values.ood,
      modelsDir: values.models,
      out: values.out,
      shard,
      explain,
      alphas,
      ...(values.faithfulness ? {faithfulness: true} : {}),
      ...(values.baselines === undefined ? {} : {baselines: validateBaselines(list(values.baselines))}),
      ...(values["curve-steps"] === undefined ? {} : {curveSteps: positiveInteger("curve-steps", values["curve-steps"])}),
      ...(values.sanity === undefined ? {} : {sanity: parseSanity(values.sanity)}),
      ...(values.localisation === undefined ? {} : {localisation: values.localisation}),
      ...(values.by === undefined ? {} : {by: list(values.by)}),
      ...(values.recalibration === undefined ? {} : {recalibration: values.recalibration}),
      chunkSize: positiveInteger("chunk", values.chunk),
      limit: positiveInteger("limit", values.limit),
      progress
    }
  };
}
