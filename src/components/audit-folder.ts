/**
 * The SQL page opens an audit's own output: a folder (picker or drag and drop) laid out as
 * `npm run audit` writes it,
 *
 *   <out>/<table>/shard=<I>/part-<chunk>.parquet, <out>/run/shard=<I>/run-….parquet, <out>/metrics/metrics.parquet
 *
 * becomes one DuckDB schema named after the folder (`audit_out.images`, …), each table named after its
 * folder and holding the union of every shard's files with the `key=value` folders as columns (a
 * `shard` column), as `read_parquet('<out>/<table>/**\/*.parquet', hive_partitioning = true)` does in
 * the CLI. Parquet files opened one by one (no folder, so no path) that carry a generic part name are
 * recognised by their columns. No table or schema is ever replaced: a name already taken gets a
 * suffix, and the page says so.
 *
 * The planning is pure (paths in, tables out) and unit-tested; the rest reads files and talks to DuckDB.
 */
import {ALL_TABLES} from "../pipeline/audit-schema.js";
import {registerTable, tableNameFor, type Database} from "./duckdb.js";
import {html} from "./html.js";

/** The schema that holds the site's sample audit. */
export const SAMPLE_SCHEMA = "sample";

// ---------------------------------------------------------------------------------------------------
// Pure planning

/** A file with its path relative to what the user picked or dropped ("/" separators). */
export interface PickedFile {
  path: string;
  file: Blob;
}

export interface PlannedPart {
  path: string;
  /** `key=value` folders between the table folder and the file, e.g. {shard: "1"}. */
  partitions: Record<string, string>;
}

export interface PlannedTable {
  /** The SQL name (the folder's name made an identifier). */
  name: string;
  /** The folder it came from, relative to the pick. */
  folder: string;
  parts: PlannedPart[];
}

export interface PlannedAudit {
  /** The schema the audit's tables go in (unique among `taken`). */
  schema: string;
  /** The audit folder, relative to the pick ("" when the pick was itself a table folder). */
  root: string;
  tables: PlannedTable[];
}

const HIVE = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;

/** `base`, or `base_2`, `base_3`… : the first not in `taken` (which it is then added to). */
export function uniqueName(base: string, taken: Set<string>): string {
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}

/** A SQL identifier from a folder name ("audit-out" -> audit_out). */
export function identifierFor(folder: string): string {
  return tableNameFor(`${folder}.x`);
}

/**
 * Which tables (and schemas) the Parquet files of a picked folder make. Hidden files and folders
 * (the audit's temporary files, lock files) and anything but `.parquet` are left out. A file's
 * table is the nearest folder above it that is not a `key=value` partition; the audit is the
 * folder above that. Schemas get the audit folder's name (or "mine" when the pick was one table's
 * folder), never one in `takenSchemas`.
 */
export function planAuditFolder(paths: string[], takenSchemas: Iterable<string>): PlannedAudit[] {
  const taken = new Set(takenSchemas);
  const byRoot = new Map<string, Map<string, PlannedTable>>();
  const sorted = [...paths].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const path of sorted) {
    const segments = path.split("/").filter((s) => s !== "");
    if (segments.some((s) => s.startsWith(".")) || !segments.at(-1)!.toLowerCase().endsWith(".parquet")) continue;
    const folders = segments.slice(0, -1);
    const partitions: Record<string, string> = {};
    while (folders.length && HIVE.test(folders.at(-1)!)) {
      const [, key, value] = folders.pop()!.match(HIVE)!;
      partitions[key!] ??= value!;
    }
    const tableFolder = folders.pop();
    if (tableFolder === undefined) continue; // a loose file at the top of the pick: not a table folder
    const root = folders.join("/");
    const tables = byRoot.get(root) ?? new Map<string, PlannedTable>();
    byRoot.set(root, tables);
    const folder = [...folders, tableFolder].join("/");
    const table = tables.get(folder) ?? {name: identifierFor(tableFolder), folder, parts: []};
    tables.set(folder, table);
    table.parts.push({path, partitions});
  }
  return [...byRoot].map(([root, tables]) => {
    const names = new Set<string>();
    return {
      schema: uniqueName(root ? identifierFor(root.split("/").at(-1)!) : "mine", taken),
      root,
      tables: [...tables.values()].map((t) => ({...t, name: uniqueName(t.name, names)}))
    };
  });
}

/** A name the audit gives every chunk file ("part-00000.parquet", "run-…-123.parquet"): it says nothing of the table. */
export function isGenericPartName(fileName: string): boolean {
  return /^(part|run|data)([-_.].*)?\.parquet$/i.test(fileName);
}

/** The audit table whose columns these are (same names, any order; `shard` and other partition columns aside), or undefined. */
export function recognizeAuditTable(columns: string[]): string | undefined {
  const own = new Set(columns.filter((c) => c !== "shard"));
  return ALL_TABLES.find((t) => t.columns.length === own.size && t.columns.every(([c]) => own.has(c)))?.name;
}

/** SQL for one partition value: a BIGINT when every value of the key is an integer (as DuckDB's hive partitioning infers), else text. */
export function partitionLiteral(value: string | undefined, integer: boolean): string {
  if (value === undefined) return integer ? "NULL::BIGINT" : "NULL::VARCHAR";
  return integer ? `${BigInt(value)}::BIGINT` : `'${value.replaceAll("'", "''")}'`;
}

/**
 * `CREATE TABLE` of the union of staged parts (by column name, so a part missing a column gets
 * NULLs), each with its partition columns.
 */
export function unionSql(target: string, parts: {staging: string; partitions: Record<string, string>}[]): string {
  const keys = [...new Set(parts.flatMap((p) => Object.keys(p.partitions)))];
  const integer = new Map(keys.map((k) => [k, parts.every((p) => p.partitions[k] === undefined || /^-?\d{1,18}$/.test(p.partitions[k]!))]));
  const selects = parts.map((p) => {
    const extra = keys.map((k) => `, ${partitionLiteral(p.partitions[k], integer.get(k)!)} AS "${k}"`).join("");
    return `SELECT *${extra} FROM main."${p.staging}"`;
  });
  return `CREATE TABLE ${target} AS ${selects.join(" UNION ALL BY NAME ")}`;
}

/**
 * A column whose every value is NULL in every part can be lost on the way from Parquet to Arrow
 * (it arrives with no type); an audit table gets it back, typed and NULL, from the audit's schema,
 * so the table has the columns the CLI's read_parquet gives.
 */
async function addMissingColumns(database: Database, schema: string, name: string): Promise<void> {
  const known = ALL_TABLES.find((t) => t.name === name);
  if (!known) return;
  const result = await database.connection.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = '${schema.replaceAll("'", "''")}' AND table_name = '${name.replaceAll("'", "''")}'`);
  const present = new Set(result.toArray().map((r) => String((r as {column_name: string}).column_name)));
  for (const [column, type] of known.columns)
    if (!present.has(column)) await database.connection.query(`ALTER TABLE "${schema}"."${name}" ADD COLUMN "${column}" ${type}`);
}

// ---------------------------------------------------------------------------------------------------
// Reading files into DuckDB

export interface OpenedTable {
  name: string;
  /** Where it came from (a folder, or the files). */
  from: string;
  rows: number;
  columns: number;
  files: number;
  /** Distinct values of the `shard` column, when there is one. */
  shards: number[];
}

export interface OpenedAudit {
  schema: string;
  /** What the user picked, in words. */
  from: string;
  tables: OpenedTable[];
  /** Files that could not be read, each with why; the other files still load. */
  errors: {path: string; error: string}[];
  /** Names that were taken, so something got a suffix: said, never done silently. */
  notes: string[];
}

let staged = 0;

/** Every schema and table name in use (DuckDB's own catalog, so nothing is replaced). */
async function catalog(database: Database): Promise<{schemas: Set<string>; mainTables: Set<string>}> {
  const schemas = await database.connection.query("SELECT DISTINCT schema_name AS s FROM duckdb_schemas()");
  const tables = await database.connection.query("SELECT table_name AS t FROM duckdb_tables() WHERE schema_name = 'main' UNION SELECT view_name FROM duckdb_views() WHERE schema_name = 'main'");
  return {
    schemas: new Set([...schemas.toArray().map((r) => String(r.toJSON().s)), SAMPLE_SCHEMA, "main", "temp", "information_schema", "pg_catalog"]),
    mainTables: new Set(tables.toArray().map((r) => String(r.toJSON().t)))
  };
}

async function stage(database: Database, file: PickedFile): Promise<string> {
  const name = `__part_${++staged}`;
  await registerTable(database, name, file.path, new Uint8Array(await file.file.arrayBuffer()), file.path);
  return name;
}

async function dropStaged(database: Database, names: string[]): Promise<void> {
  for (const name of names) {
    await database.connection.query(`DROP TABLE IF EXISTS main."${name}"`);
    database.tables.delete(name);
  }
}

async function describe(database: Database, schema: string, name: string, from: string, files: number): Promise<OpenedTable> {
  const target = `"${schema}"."${name}"`;
  const columns = (await database.connection.query(`SELECT column_name AS c FROM (DESCRIBE ${target})`)).toArray().map((r) => String(r.toJSON().c));
  const rows = Number((await database.connection.query(`SELECT count(*) AS n FROM ${target}`)).toArray()[0]!.toJSON().n);
  const shards = columns.includes("shard")
    ? (await database.connection.query(`SELECT DISTINCT shard AS s FROM ${target} WHERE shard IS NOT NULL ORDER BY 1`)).toArray().map((r) => Number(r.toJSON().s))
    : [];
  return {name, from, rows, columns: columns.length, files, shards};
}

/** One table from its parts: each part staged (an unreadable one noted), then their union. */
async function createUnion(database: Database, schema: string, name: string, parts: (PickedFile & {partitions: Record<string, string>})[], from: string, errors: OpenedAudit["errors"], onProgress: (path: string) => void): Promise<OpenedTable | undefined> {
  const stagedParts: {staging: string; partitions: Record<string, string>}[] = [];
  try {
    for (const part of parts) {
      onProgress(part.path);
      try {
        stagedParts.push({staging: await stage(database, part), partitions: part.partitions});
      } catch (error) {
        errors.push({path: part.path, error: (error as Error).message ?? String(error)});
      }
    }
    if (!stagedParts.length) return undefined;
    await database.connection.query(unionSql(`"${schema}"."${name}"`, stagedParts));
    await addMissingColumns(database, schema, name);
    database.tables.set(`${schema}.${name}`, from);
  } finally {
    await dropStaged(database, stagedParts.map((p) => p.staging));
  }
  return describe(database, schema, name, from, stagedParts.length);
}

/** Opens a picked or dropped folder: one schema per audit folder in it (see planAuditFolder). */
export async function openAuditFolder(database: Database, files: PickedFile[], onProgress: (text: string, fraction?: number) => void = () => {}): Promise<OpenedAudit[]> {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const plans = planAuditFolder([...byPath.keys()], (await catalog(database)).schemas);
  const total = plans.reduce((n, a) => n + a.tables.reduce((m, t) => m + t.parts.length, 0), 0);
  let done = 0;
  const opened: OpenedAudit[] = [];
  for (const plan of plans) {
    const from = plan.root || files[0]?.path.split("/")[0] || "the folder";
    const audit: OpenedAudit = {schema: plan.schema, from, tables: [], errors: [], notes: []};
    const wanted = plan.root ? identifierFor(plan.root.split("/").at(-1)!) : "mine";
    if (plan.schema !== wanted) audit.notes.push(`the name ${wanted} was taken, so this audit is ${plan.schema}`);
    await database.connection.query(`CREATE SCHEMA "${plan.schema}"`);
    for (const table of plan.tables) {
      const parts = table.parts.map((p) => ({...byPath.get(p.path)!, partitions: p.partitions}));
      const result = await createUnion(database, plan.schema, table.name, parts, table.folder, audit.errors, (path) =>
        onProgress(`Reading ${path}`, total ? done++ / total : undefined)
      );
      if (result) audit.tables.push(result);
    }
    opened.push(audit);
  }
  return opened;
}

export interface OpenedFile {
  /** The qualified name it can be queried by. */
  name: string;
  file: string;
  rows?: number;
  columns?: number;
  /** Why it got the name it has, when that is not plain. */
  note?: string;
  error?: unknown;
}

/**
 * Files opened one by one. Parquet parts with a generic name (`part-00000.parquet`) whose columns
 * are an audit table's become that table in one new schema (`files`, or `files_2`…), the parts of
 * one table unioned; any other file becomes a table in `main` named after it. Never a replacement.
 */
export async function openLooseFiles(database: Database, files: File[]): Promise<{audit?: OpenedAudit; files: OpenedFile[]}> {
  const out: OpenedFile[] = [];
  const {schemas, mainTables} = await catalog(database);
  const parts = new Map<string, {file: File; staging: string}[]>();
  const stagedNames: string[] = [];
  try {
    for (const file of files) {
      try {
        if (isGenericPartName(file.name)) {
          const staging = await stage(database, {path: file.name, file});
          stagedNames.push(staging);
          const columns = (await database.connection.query(`SELECT column_name AS c FROM (DESCRIBE main."${staging}")`)).toArray().map((r) => String(r.toJSON().c));
          const table = recognizeAuditTable(columns);
          if (table) {
            parts.set(table, [...(parts.get(table) ?? []), {file, staging}]);
            continue;
          }
        }
        const base = tableNameFor(file.name);
        const name = uniqueName(base, mainTables);
        await registerTable(database, name, file.name, new Uint8Array(await file.arrayBuffer()), file.name);
        const {rows, columns} = await counts(database, `main."${name}"`);
        out.push({name, file: file.name, rows, columns, note: name === base ? undefined : `${base} was taken`});
      } catch (error) {
        out.push({name: "", file: file.name, error});
      }
    }
    if (!parts.size) return {files: out};
    const schema = uniqueName("files", schemas);
    await database.connection.query(`CREATE SCHEMA "${schema}"`);
    const audit: OpenedAudit = {schema, from: "files opened one by one", tables: [], errors: [], notes: []};
    for (const [table, list] of parts) {
      await database.connection.query(unionSql(`"${schema}"."${table}"`, list.map((p) => ({staging: p.staging, partitions: {}}))));
      database.tables.set(`${schema}.${table}`, list.map((p) => p.file.name).join(", "));
      audit.tables.push(await describe(database, schema, table, list.map((p) => p.file.name).join(", "), list.length));
      for (const p of list) out.push({name: `${schema}.${table}`, file: p.file.name, note: `a part of the audit's ${table} table, recognised by its columns`});
    }
    return {audit, files: out};
  } finally {
    await dropStaged(database, stagedNames);
  }
}

async function counts(database: Database, target: string): Promise<{rows: number; columns: number}> {
  const row = (await database.connection.query(`SELECT (SELECT count(*) FROM ${target}) AS n, (SELECT count(*) FROM (DESCRIBE ${target})) AS c`)).toArray()[0]!.toJSON();
  return {rows: Number(row.n), columns: Number(row.c)};
}

/** The audits a query can choose: the sample first, then the user's in the order opened. */
export function auditSchemas(database: Database): string[] {
  const schemas = [...database.tables.keys()].filter((k) => k.includes(".")).map((k) => k.slice(0, k.indexOf(".")));
  return [...new Set([SAMPLE_SCHEMA, ...schemas])];
}

/**
 * Unqualified names (`images`, `predictions`…: what the presets use) resolve in the chosen audit's
 * schema first, then in main (files opened one by one). Set before each query, so the page's choice
 * is what a query sees.
 */
export async function useAudit(database: Database, schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`not an audit schema: ${schema}`);
  await database.connection.query(`SET search_path = '${schema},main'`);
}

// ---------------------------------------------------------------------------------------------------
// The input: a folder picker and a drop zone

/** Every file under dropped entries, with paths relative to the drop (folders walked recursively). */
export async function filesFromEntries(entries: FileSystemEntry[]): Promise<PickedFile[]> {
  const out: PickedFile[] = [];
  const walk = async (entry: FileSystemEntry): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push({path: entry.fullPath.replace(/^\/+/, ""), file});
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      // readEntries returns a batch at a time (100 in Chromium) until an empty one.
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (!batch.length) break;
        for (const child of batch) await walk(child);
      }
    }
  };
  for (const entry of entries) await walk(entry);
  return out;
}

export interface AuditFolderValue {
  how: "picked" | "dropped";
  files: PickedFile[];
}

/**
 * A folder picker (`<input type=file webkitdirectory>`) and a drop zone for a folder; its value is
 * the files with their relative paths, and it fires "input" when a folder arrives.
 */
export function auditFolderInput(label = "Open an audit folder"): HTMLElement & {value: AuditFolderValue | null} {
  const id = `audit-folder-${Math.random().toString(36).slice(2)}`;
  const input = html`<input id=${id} type="file" webkitdirectory multiple>` as HTMLInputElement;
  const zone = html`<div class="drop-zone" tabindex="0" aria-label="Drop an audit folder here">or drop an audit folder here</div>` as HTMLElement;
  const node = html`<div class="audit-folder"><label for=${id}>${label}</label> ${input} ${zone}</div>` as HTMLElement & {value: AuditFolderValue | null};
  node.value = null;
  const deliver = (value: AuditFolderValue) => {
    node.value = value;
    node.dispatchEvent(new Event("input", {bubbles: true}));
  };
  input.addEventListener("input", (event) => event.stopPropagation());
  input.addEventListener("change", () => {
    const files = [...(input.files ?? [])].map((file) => ({path: file.webkitRelativePath || file.name, file}));
    if (files.length) deliver({how: "picked", files});
  });
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("drop-zone--over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("drop-zone--over"));
  zone.addEventListener("drop", async (event) => {
    event.preventDefault();
    zone.classList.remove("drop-zone--over");
    const entries = [...(event.dataTransfer?.items ?? [])].map((item) => item.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
    const files = await filesFromEntries(entries);
    if (files.length) deliver({how: "dropped", files});
  });
  return node;
}

/** What an opened audit holds, in words and a list. */
export function openedAuditSummary(audit: OpenedAudit): HTMLElement {
  return html`<div class="opened-audit"><p>Your audit <code>${audit.schema}</code> (from ${audit.from}): ${audit.tables.length} table${audit.tables.length === 1 ? "" : "s"}${audit.notes.length ? ` (${audit.notes.join("; ")})` : ""}.</p>
    <ul>${audit.tables.map((t) => html`<li><code>${audit.schema}.${t.name}</code> from ${t.from}: ${t.rows} rows, ${t.columns} columns, ${t.files} file${t.files === 1 ? "" : "s"}${t.shards.length ? `, shards ${t.shards.join(", ")}` : ""}</li>`)}</ul>
    ${audit.errors.length ? html`<ul class="errors" role="alert">${audit.errors.map((e) => html`<li>${e.path} could not be read: ${e.error}</li>`)}</ul>` : ""}</div>`;
}
