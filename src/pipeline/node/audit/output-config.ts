/**
 * Node-only: `<out>/audit.json`, the configuration every run into one output folder must share.
 *
 * Shards start independently, often at the same moment, with no lock between them (each holds only
 * its own shard's lock). So the file is created exclusively: written in full under a temporary name,
 * flushed, then hard-linked into place; link() fails if the name exists, atomically, on every local
 * file system. The one process whose link succeeds defines the folder's configuration; every other
 * reads what is there and compares. Two runs with different settings can never both be accepted.
 */
import {createHash} from "node:crypto";
import {linkSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import path from "node:path";
import {AuditError, message} from "./errors.js";
import {fsyncPath, temporaryName} from "./parquet.js";
import {ALL_TABLES} from "./tables.js";

/** What `<out>/audit.json` records; runs into one folder must agree on `fingerprint`. */
export interface AuditConfig {
  format: "cxr-workbench/audit@1";
  bundle: string;
  findings: string[];
  operatingPoints: number[];
  fingerprint: {
    cardSha256: string;
    findings: string[];
    shards: number;
    explain: string[];
    alphas: number[];
    chunkSize: number;
    images: number;
    imagesSha256: string;
    labelsSha256: string | null;
    /** Only when a --recalibration file is applied: runs with another file (or none) are not mixed in. */
    recalibrationSha256?: string;
    /**
     * The tables' columns (a hash of every table's names and types): parts written by an audit with
     * other columns (an older version) are never mixed into one table with new ones.
     */
    tables?: string;
    /** Present only when asked for (older folders have none of them). */
    faithfulness?: {baselines: string[]; steps: number};
    sanity?: number | "all";
    localisationSha256?: string;
  };
}

export const configFile = (out: string) => path.join(out, "audit.json");

export function readConfig(out: string): AuditConfig | null {
  const file = configFile(out);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new AuditError(`cannot read ${file}: ${message(error)}`);
  }
  try {
    return JSON.parse(text) as AuditConfig;
  } catch (error) {
    throw new AuditError(`${file} is not valid JSON (${message(error)}); delete it to start this output folder afresh`);
  }
}

/** Creates `file` with `text` only if it does not exist (whole, flushed); false if it already did. */
export function createExclusive(file: string, text: string): boolean {
  const temporary = temporaryName(file);
  writeFileSync(temporary, text);
  fsyncPath(temporary);
  try {
    linkSync(temporary, file);
    fsyncPath(path.dirname(file));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    rmSync(temporary, {force: true});
  }
}

/** A hash of every table's name, columns and types: what `fingerprint.tables` records. */
export function tablesHash(): string {
  return createHash("sha256").update(JSON.stringify(ALL_TABLES.map((t) => [t.name, t.columns]))).digest("hex");
}

/** Delete an output folder's tables (only what an audit writes there). */
export function clearOutput(out: string): void {
  for (const table of ALL_TABLES) rmSync(path.join(out, table.name), {recursive: true, force: true});
  rmSync(configFile(out), {force: true});
}

/**
 * Create-or-compare: makes `config` the folder's configuration if it has none, else checks that
 * the one there has the same fingerprint. A different one is refused (AuditError naming what
 * differs), or with "replace" the folder's tables are deleted and this configuration takes over.
 */
export function claimOutput(out: string, config: AuditConfig, onMismatch: "error" | "replace" = "error"): void {
  const text = JSON.stringify(config, null, 2) + "\n";
  for (let attempt = 0; attempt < 100; attempt++) {
    const previous = readConfig(out);
    if (!previous) {
      if (createExclusive(configFile(out), text)) return;
      continue; // another process created it first: compare with theirs
    }
    if (JSON.stringify(previous.fingerprint) === JSON.stringify(config.fingerprint)) return;
    type Key = keyof AuditConfig["fingerprint"];
    // Both sides' keys: a setting only one of the runs has (--faithfulness...) differs too.
    const differences = ([...new Set([...Object.keys(config.fingerprint), ...Object.keys(previous.fingerprint ?? {})])] as Key[]).filter(
      (k) => JSON.stringify(previous.fingerprint?.[k]) !== JSON.stringify(config.fingerprint[k])
    );
    if (onMismatch !== "replace") {
      const settings = differences.filter((k) => k !== "tables");
      throw new AuditError(
        settings.length
          ? `${out} holds an audit with a different configuration (${settings.join(", ")} differ${settings.length === 1 ? "s" : ""}); ` +
            `rerun with the same settings to resume it, or choose another --out (or delete it) to start afresh`
          : `${out} holds an audit written by another version of this tool, whose tables have other columns; its parts cannot be ` +
            `resumed into one table with this version's. Choose another --out (or delete it) to start afresh, or resume it with the version that wrote it`
      );
    }
    clearOutput(out);
  }
  throw new AuditError(`${configFile(out)} keeps changing under this run (other audits are replacing it); run them one at a time`);
}

