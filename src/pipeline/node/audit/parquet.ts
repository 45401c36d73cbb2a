/**
 * Node-only: Parquet files written and read through DuckDB's Node API (the real engine, in memory).
 * Every file is written under a temporary name, flushed to disk, and renamed into place, so a reader
 * (or a run killed at any moment) only ever sees whole files.
 */
import {DuckDBInstance, DuckDBTimestampTZValue, version as duckdbVersion, type DuckDBAppender, type DuckDBConnection} from "@duckdb/node-api";
import {closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync} from "node:fs";
import os from "node:os";
import path from "node:path";

import type {ColumnType, TableSchema} from "../../audit-schema.js";

export type {ColumnType, TableSchema};
export type Cell = string | number | boolean | Date | null | undefined;
export type Row = Cell[];

/** A SQL string literal. */
export const sqlString = (value: string) => `'${value.replaceAll("'", "''")}'`;
/** A SQL identifier. */
export const sqlName = (value: string) => `"${value.replaceAll('"', '""')}"`;

export {duckdbVersion};

/** Flush a file (or a folder's entries) to disk; folders cannot be fsynced on some systems. */
export function fsyncPath(file: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    fsyncSync(fd);
  } catch {
    // Windows cannot open a folder for fsync; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** This machine's name as it appears in temporary names (letters, digits and "-"). */
export const HOST_TAG = os.hostname().replace(/[^A-Za-z0-9-]/g, "-") || "host";

/**
 * The temporary name a file is written under before it is renamed to `file` (never *.parquet).
 * The host is part of it: on a shared file system, processes of other machines (containers often
 * all run as pid 1) write into the same folders (audit.json, the metrics).
 */
export function temporaryName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${HOST_TAG}.tmp`);
}

export class ParquetStore {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection
  ) {}

  /** An in-memory DuckDB with one thread (TF.js has the cores) and a modest memory limit. */
  static async open(): Promise<ParquetStore> {
    const instance = await DuckDBInstance.create(":memory:", {threads: "1", memory_limit: "512MB"});
    return new ParquetStore(instance, await instance.connect());
  }

  /**
   * Rows of `schema` into a Parquet file at a temporary name next to `file`, flushed to disk.
   * Returns the temporary name; `commit` renames it into place.
   */
  async stage(schema: TableSchema, rows: Row[], file: string): Promise<string> {
    mkdirSync(path.dirname(file), {recursive: true});
    const table = sqlName(`stage_${schema.name}`);
    const columns = schema.columns.map(([name, type]) => `${sqlName(name)} ${type}`).join(", ");
    await this.connection.run(`CREATE OR REPLACE TABLE ${table} (${columns})`);
    try {
      const appender = await this.connection.createAppender(`stage_${schema.name}`);
      try {
        for (const row of rows) {
          if (row.length !== schema.columns.length)
            throw new Error(`${schema.name}: a row has ${row.length} values for ${schema.columns.length} columns`);
          schema.columns.forEach(([name, type], i) => append(appender, type, row[i], `${schema.name}.${name}`));
          appender.endRow();
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
      const temporary = temporaryName(file);
      await this.connection.run(`COPY ${table} TO ${sqlString(temporary)} (FORMAT parquet, COMPRESSION zstd)`);
      fsyncPath(temporary);
      return temporary;
    } finally {
      await this.connection.run(`DROP TABLE IF EXISTS ${table}`);
    }
  }

  /** One table in one step: stage, then rename into place. */
  async write(schema: TableSchema, rows: Row[], file: string): Promise<void> {
    commit([[await this.stage(schema, rows, file), file]]);
  }

  /** The result of a query (e.g. into a Parquet file: COPY (...) TO ...), written atomically. */
  async copyQuery(query: string, file: string): Promise<void> {
    mkdirSync(path.dirname(file), {recursive: true});
    const temporary = temporaryName(file);
    try {
      await this.connection.run(`COPY (${query}) TO ${sqlString(temporary)} (FORMAT parquet, COMPRESSION zstd)`);
      fsyncPath(temporary);
      commit([[temporary, file]]);
    } finally {
      rmSync(temporary, {force: true});
    }
  }

  /** Rows as plain objects (DOUBLE and INTEGER as numbers; cast BIGINT counts in SQL). */
  async query(sql: string): Promise<Record<string, unknown>[]> {
    const reader = await this.connection.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** Rename staged files into place, in order (the last one is the commit marker), then flush the folders. */
export function commit(moves: [temporary: string, file: string][]): void {
  for (const [temporary, file] of moves) renameSync(temporary, file);
  for (const folder of new Set(moves.map(([, file]) => path.dirname(file)))) fsyncPath(folder);
}

function append(appender: DuckDBAppender, type: ColumnType, value: Cell, where: string): void {
  if (value === null || value === undefined) return appender.appendNull();
  switch (type) {
    case "VARCHAR":
      return appender.appendVarchar(String(value));
    case "DOUBLE":
      if (typeof value !== "number") throw new TypeError(`${where}: expected a number, got ${JSON.stringify(value)}`);
      // NaN and infinities are "undefined" (an AUC without both classes): NULL, which SQL handles.
      return Number.isFinite(value) ? appender.appendDouble(value) : appender.appendNull();
    case "INTEGER":
      if (typeof value !== "number" || !Number.isInteger(value)) throw new TypeError(`${where}: expected an integer, got ${JSON.stringify(value)}`);
      return appender.appendInteger(value);
    case "BOOLEAN":
      return appender.appendBoolean(Boolean(value));
    case "TIMESTAMPTZ": {
      const ms = value instanceof Date ? value.getTime() : Number(value);
      return appender.appendTimestampTZ(new DuckDBTimestampTZValue(BigInt(Math.round(ms * 1000))));
    }
  }
}
