/**
 * DuckDB-wasm in the page: the real engine, its .wasm and worker served by the site itself (copied
 * into the build through import.meta.resolve), never a CDN. Extension autoloading is switched off:
 * it would fetch from extensions.duckdb.org. DuckDB-wasm's Parquet reader is such an extension, so
 * Parquet goes through parquet-wasm (also served by the site): Parquet -> Arrow -> a DuckDB table,
 * and back for downloads. CSV is read by DuckDB's core.
 */
import * as duckdb from "@duckdb/duckdb-wasm";
import {tableFromJSON, tableToIPC} from "apache-arrow";
import initParquet, {readParquet, writeParquet, Table as ParquetTable} from "parquet-wasm/esm";
import {decodePack} from "../pipeline/bundle/pack.js";
import {GUARD_READY, guardedWorkerSource} from "./duckdb-worker-guard.js";

const PARQUET_WASM = import.meta.resolve("parquet-wasm/esm/parquet_wasm_bg.wasm");
let parquetReady: Promise<unknown> | null = null;
const parquet = () => (parquetReady ??= initParquet({module_or_path: PARQUET_WASM}));

const WASM = import.meta.resolve("@duckdb/duckdb-wasm/dist/duckdb-eh.wasm");
const WORKER = import.meta.resolve("@duckdb/duckdb-wasm/dist/duckdb-browser-eh.worker.js");

export interface Database {
  db: duckdb.AsyncDuckDB;
  connection: duckdb.AsyncDuckDBConnection;
  /** Tables (views) by name, with where they came from. */
  tables: Map<string, string>;
  close(): Promise<void>;
}

/** Where files opened in the page are registered: the only place DuckDB may read (see openDatabase). */
const LOCAL_FILES = "/cxr-local/";

export async function openDatabase(): Promise<Database> {
  // A same-origin worker script; the worker then instantiates the site's own .wasm. Framework serves
  // the worker script as an ES module (it bundles files resolved from node_modules). It is started
  // from a blob: module that first takes every network API away from the worker (only the .wasm
  // may be fetched; duckdb-worker-guard.ts), so no SQL can make DuckDB request anything, and that
  // runs under this page's Content-Security-Policy where Chromium applies it to blob: workers.
  const wasm = new URL(WASM, location.href).href;
  const source = guardedWorkerSource(new URL(WORKER, location.href).href, [wasm]);
  const bootstrap = URL.createObjectURL(new Blob([source], {type: "text/javascript"}));
  const worker = new Worker(bootstrap, {type: "module"});
  await new Promise<void>((resolve, reject) => {
    worker.addEventListener("message", function ready(event) {
      if (event.data !== GUARD_READY) return;
      worker.removeEventListener("message", ready);
      resolve();
    });
    worker.addEventListener("error", (event) => reject(new Error(`DuckDB's worker failed to start: ${event.message ?? "error"}`)), {once: true});
  });
  URL.revokeObjectURL(bootstrap);
  const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), worker);
  await db.instantiate(wasm);
  const connection = await db.connect();
  // Inside DuckDB too: no extension loading or downloads, no remote file systems, no file outside
  // the folder opened files are registered in (enable_external_access = false: LOAD, INSTALL,
  // ATTACH and reads of any other path fail in DuckDB itself), and no SQL can switch that back.
  for (const setting of [
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET allow_community_extensions = false",
    "SET disabled_filesystems = 'HTTPFileSystem,S3FileSystem'",
    `SET allowed_directories = ['${LOCAL_FILES}']`,
    "SET enable_external_access = false",
    "SET lock_configuration = true"
  ])
    await connection.query(setting);
  return {
    db,
    connection,
    tables: new Map(),
    async close() {
      await connection.close();
      await db.terminate();
      worker.terminate();
    }
  };
}

/** A safe SQL identifier from a file name: "My results (2).parquet" -> my_results_2. */
export function tableNameFor(fileName: string): string {
  const base = fileName.replace(/\.[^.]+$/, "").toLowerCase().replace(/[^a-z0-9_]+/g, "_").replace(/^_+|_+$/g, "");
  return /^[a-z_]/.test(base) ? base : `t_${base || "table"}`;
}

/**
 * Loads bytes as table `name` (Parquet or CSV, by extension) in `schema` (default main), replacing
 * any table of that name: callers that must never replace one pick a free name first.
 */
export async function registerTable(database: Database, name: string, fileName: string, bytes: Uint8Array, origin: string, schema = "main"): Promise<void> {
  const lower = fileName.toLowerCase();
  const isParquet = lower.endsWith(".parquet");
  if (!isParquet && !lower.endsWith(".csv") && !lower.endsWith(".tsv"))
    throw new Error(`${fileName}: only Parquet (.parquet) and CSV (.csv, .tsv) files can be opened as tables`);
  const qualified = schema === "main" ? name : `${schema}.${name}`;
  if (database.tables.has(qualified)) await database.connection.query(`DROP TABLE IF EXISTS "${schema}"."${name}"`);
  if (isParquet) {
    await parquet();
    let ipc: Uint8Array;
    try {
      ipc = readParquet(bytes).intoIPCStream();
    } catch (error) {
      throw new Error(`${fileName} is not a readable Parquet file (${(error as Error).message ?? error})`);
    }
    await database.connection.insertArrowFromIPCStream(ipc, {schema, name, create: true});
  } else {
    const registered = `${LOCAL_FILES}${name}__${Date.now()}${lower.slice(lower.lastIndexOf("."))}`;
    await database.db.registerFileBuffer(registered, bytes.slice());
    await database.connection.query(`CREATE TABLE "${schema}"."${name}" AS SELECT * FROM read_csv_auto('${registered}')`);
  }
  database.tables.set(qualified, origin);
}

/** Registers every `<table>.parquet` of a pack (the sample audit's tables) under its table name, in `schema`. */
export async function registerPack(database: Database, bytes: Uint8Array, origin: string, schema = "main"): Promise<string[]> {
  const pack = decodePack(bytes, origin);
  if (schema !== "main") await database.connection.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  const names: string[] = [];
  for (const [path, file] of pack.files) {
    if (!path.endsWith(".parquet")) continue;
    const name = path.replace(/\.parquet$/, "");
    await registerTable(database, name, path, file, origin, schema);
    names.push(name);
  }
  return names;
}

/** Plain rows from a query (BigInt to Number where safe, Arrow dates to Date), and column types. */
export async function query(database: Database, sql: string): Promise<{rows: Record<string, unknown>[]; columns: {name: string; type: string}[]}> {
  // No check of the SQL text here: remote access is impossible in the worker and in DuckDB itself
  // (see openDatabase), however the SQL builds a URL.
  const table = await database.connection.query(sql);
  const columns = table.schema.fields.map((f) => ({name: f.name, type: String(f.type)}));
  const rows = table.toArray().map((row) => {
    const plain = row.toJSON() as Record<string, unknown>;
    for (const key of Object.keys(plain)) {
      const v = plain[key];
      if (typeof v === "bigint") plain[key] = Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    }
    return plain;
  });
  return {rows, columns};
}

/** Rows (as query() returns them) as a Parquet file, through Arrow and parquet-wasm. */
export async function rowsToParquet(rows: Record<string, unknown>[]): Promise<Uint8Array> {
  await parquet();
  // Dates as ISO text, so every column has a type Arrow infers from plain values.
  const plain = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])));
  return writeParquet(ParquetTable.fromIPCStream(tableToIPC(tableFromJSON(plain), "stream")));
}
