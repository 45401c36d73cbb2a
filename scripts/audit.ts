/**
 * npm run audit -- --images DIR [--labels CSV] [--model NAME_OR_PATH] [--out DIR] [--shard I/N]
 *                  [--explain saliency,cam,gradcam,gradcampp] [--alpha 5,10,20,40] [--workers N]
 *                  [--recalibration FILE] [--faithfulness] [--sanity N|all] [--localisation BOXES.csv]
 * npm run audit -- --fit-recalibration METHOD [--out DIR]
 *
 * Runs a model bundle over a folder of images into Parquet tables (images, predictions, ood,
 * explanations, faithfulness, sanity, localisation, errors, metrics, run). Resumable and shardable: see README.md, "Batch audit".
 * Exit codes: 0 done, 1 failure while running, 2 bad command line or inputs (nothing was processed).
 */
import {AuditError, parseAuditArgs, runAudit, USAGE, writeMetrics} from "../src/pipeline/node/audit/index.js";
import {writeReport} from "../src/pipeline/node/audit/report.js";
import {fitFromAudit} from "../src/pipeline/node/audit/recalibration.js";
import {runWorkers, type WorkerMessage} from "../src/pipeline/node/audit/workers.js";

try {
  const command = parseAuditArgs(process.argv.slice(2));
  if (command.kind === "help") process.stdout.write(USAGE);
  else if (command.kind === "metrics") {
    const {rows, missingShards} = await writeMetrics(command.out);
    if (missingShards.length) console.error(`warning: shards ${missingShards.join(", ")} have not completed; the metrics cover the images committed so far`);
    console.error(`metrics: ${rows} rows written to ${command.out}/metrics/metrics.parquet`);
  } else if (command.kind === "report") {
    console.error(`report: ${await writeReport(command.out)}`);
  } else if (command.kind === "fit-recalibration") {
    const {file, recalibration, skipped} = await fitFromAudit(command.out, command.method);
    if (skipped.length) console.error(`not fitted (a class is missing): ${skipped.join("; ")}`);
    for (const [finding, f] of Object.entries(recalibration.findings))
      console.error(`${finding}: ECE ${f.before.ece.toFixed(4)} -> ${f.after.ece.toFixed(4)}, Brier ${f.before.brier.toFixed(4)} -> ${f.after.brier.toFixed(4)} (on the data it was fitted on)`);
    console.error(`recalibration: ${file}`);
  } else if (command.workers > 1) {
    await runWorkers(process.argv.slice(2), command.workers, {out: command.options.out, progress: command.options.progress});
  } else {
    const options = command.options;
    // A worker of --workers N: report progress to the parent.
    const send = process.env.CXR_AUDIT_WORKER && process.send ? process.send.bind(process) : null;
    if (send) {
      const shard = options.shard?.index ?? 1;
      options.onStart = ({total}) => send({kind: "progress", shard, done: 0, total} satisfies WorkerMessage);
      options.onImage = ({done, total}) => send({kind: "progress", shard, done, total} satisfies WorkerMessage);
    }
    await runAudit(options);
  }
} catch (error) {
  if (error instanceof AuditError) {
    console.error(`audit: ${error.message}`);
    process.exitCode = 2;
  } else {
    console.error(error);
    process.exitCode = 1;
  }
}
// A worker's IPC channel would keep it alive.
if (process.env.CXR_AUDIT_WORKER) process.disconnect?.();
