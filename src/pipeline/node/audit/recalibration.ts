/**
 * Node-only: recalibration files in the audit. `--fit-recalibration METHOD` fits one
 * (src/pipeline/recalibration.ts) on an audit's own labelled predictions, tied to the audited
 * bundle's card hash; `--recalibration FILE` applies one on top of the bundle's outputs while
 * auditing (the predictions table keeps the raw probability beside the recalibrated one, and the
 * run table the file's SHA-256). The bundle is never changed.
 */
import {createHash} from "node:crypto";
import {existsSync, readFileSync, renameSync, statSync, writeFileSync} from "node:fs";
import path from "node:path";
import {FITS, fitRecalibration, parseRecalibration, type Recalibration, type RecalibrationMethod, type RecalibrationTarget} from "../../recalibration.js";
import {AuditError, message} from "./errors.js";
import {readConfig} from "./output-config.js";
import {ParquetStore} from "./parquet.js";
import {tableScan} from "./tables.js";

export interface LoadedRecalibration {
  file: string;
  sha256: string;
  recalibration: Recalibration;
}

/** Reads and checks a recalibration file for the bundle being audited; AuditError (exit status 2) when it does not apply. */
export function loadRecalibrationFile(file: string, target: RecalibrationTarget): LoadedRecalibration {
  const resolved = path.resolve(file);
  if (!existsSync(resolved) || !statSync(resolved).isFile()) throw new AuditError(`--recalibration: ${resolved} is not a file`);
  const bytes = readFileSync(resolved);
  try {
    return {file: resolved, sha256: createHash("sha256").update(bytes).digest("hex"), recalibration: parseRecalibration(bytes.toString("utf8"), target)};
  } catch (error) {
    throw new AuditError(`--recalibration ${resolved}: ${message(error)}`);
  }
}

export const RECALIBRATION_METHODS = Object.keys(FITS) as RecalibrationMethod[];

export function checkMethod(method: string): RecalibrationMethod {
  if (!(RECALIBRATION_METHODS as string[]).includes(method))
    throw new AuditError(`--fit-recalibration takes ${RECALIBRATION_METHODS.join(", ")}, got ${JSON.stringify(method)}`);
  return method as RecalibrationMethod;
}

/**
 * Fits `method` per finding on the audit's labelled, readable images (the raw probability, never
 * an earlier recalibration) and writes `<out>/recalibration-<method>.json` (or `to`). Findings
 * whose labels lack a class are left out, and said so.
 */
export async function fitFromAudit(out: string, method: RecalibrationMethod, to?: string): Promise<{file: string; recalibration: Recalibration; skipped: string[]}> {
  const config = readConfig(out);
  if (!config) throw new AuditError(`${out} holds no audit (no audit.json)`);
  const store = await ParquetStore.open();
  let rows: {finding: string; probability: number; label: number}[];
  try {
    rows = (await store.query(
      `SELECT p.finding, p.probability, p.label FROM ${tableScan(out, "predictions")} p JOIN ${tableScan(out, "images")} i ON i.path = p.path AND i.status = 'ok' ` +
        `WHERE p.label IS NOT NULL ORDER BY p.path, p.finding`
    )) as never;
  } catch (error) {
    throw new AuditError(`${out}: its predictions cannot be read (${message(error)})`);
  } finally {
    store.close();
  }
  const data: Record<string, {p: number[]; y: number[]}> = {};
  const skipped: string[] = [];
  for (const finding of config.findings) {
    const these = rows.filter((r) => r.finding === finding);
    const y = these.map((r) => Number(r.label));
    if (!y.includes(0) || !y.includes(1)) {
      skipped.push(`${finding} (${these.length} labelled, ${y.filter((v) => v === 1).length} positive)`);
      continue;
    }
    data[finding] = {p: these.map((r) => Number(r.probability)), y};
  }
  if (!Object.keys(data).length)
    throw new AuditError(`${out}: no finding has both positive and negative labelled images to fit on (${skipped.join("; ") || "no labels"}); audit with --labels`);
  const images = Math.max(...Object.values(data).map((d) => d.p.length));
  const recalibration = fitRecalibration(method, data, {
    bundle: {name: config.bundle, cardSha256: config.fingerprint.cardSha256},
    description: `${method} fitted on the audit in ${path.resolve(out)}: up to ${images} labelled images per finding`
  });
  const file = path.resolve(to ?? path.join(out, `recalibration-${method}.json`));
  writeFileSync(`${file}.tmp`, JSON.stringify(recalibration, null, 2) + "\n");
  renameSync(`${file}.tmp`, file);
  return {file, recalibration, skipped};
}
