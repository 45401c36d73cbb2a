/**
 * The SQL page's audit-folder planning (src/components/audit-folder.ts): which tables and schemas a
 * picked folder makes, loose part files recognised by their columns, and the union SQL, run in the
 * real DuckDB (Node) against what `read_parquet(..., hive_partitioning = true)` reads from the same files.
 */
import {mkdirSync, readdirSync, rmSync} from "node:fs";
import path from "node:path";
import {DuckDBInstance} from "@duckdb/node-api";
import {describe, expect, it} from "vitest";
import {identifierFor, isGenericPartName, planAuditFolder, recognizeAuditTable, unionSql, uniqueName} from "../src/components/audit-folder.js";
import {ALL_TABLES} from "../src/pipeline/audit-schema.js";
import {TMP_ROOT} from "./helpers/paths.js";

// The layout `npm run audit --shard I/2` writes (see src/pipeline/node/audit/tables.ts), as a folder picker reports it.
const AUDIT = [
  "audit-out/audit.json",
  "audit-out/.lock-shard-1",
  "audit-out/images/shard=1/part-00000.parquet",
  "audit-out/images/shard=1/part-00001.parquet",
  "audit-out/images/shard=2/part-00000.parquet",
  "audit-out/images/shard=2/.part-00001.parquet.4242.tmp",
  "audit-out/predictions/shard=1/part-00000.parquet",
  "audit-out/predictions/shard=2/part-00000.parquet",
  "audit-out/errors/shard=2/part-00000.parquet",
  "audit-out/metrics/metrics.parquet",
  "audit-out/run/shard=1/run-20261202T050000Z-101.parquet",
  "audit-out/run/shard=2/run-20261202T050001Z-102.parquet"
];

describe("planAuditFolder", () => {
  it("names each table after its folder, gathers every shard's parts with their partition, and leaves out hidden and non-Parquet files", () => {
    const [audit, ...rest] = planAuditFolder(AUDIT, ["sample", "main"]);
    expect(rest).toEqual([]);
    expect(audit!.schema).toBe("audit_out");
    expect(audit!.root).toBe("audit-out");
    expect(audit!.tables.map((t) => t.name)).toEqual(["errors", "images", "metrics", "predictions", "run"]);
    const images = audit!.tables.find((t) => t.name === "images")!;
    expect(images.parts).toEqual([
      {path: "audit-out/images/shard=1/part-00000.parquet", partitions: {shard: "1"}},
      {path: "audit-out/images/shard=1/part-00001.parquet", partitions: {shard: "1"}},
      {path: "audit-out/images/shard=2/part-00000.parquet", partitions: {shard: "2"}}
    ]);
    expect(audit!.tables.find((t) => t.name === "metrics")!.parts).toEqual([{path: "audit-out/metrics/metrics.parquet", partitions: {}}]);
  });

  it("never takes a schema name in use: a second open of the same folder, or a folder named like the sample, gets a suffix", () => {
    expect(planAuditFolder(AUDIT, ["sample", "audit_out"])[0]!.schema).toBe("audit_out_2");
    expect(planAuditFolder(AUDIT, ["sample", "audit_out", "audit_out_2"])[0]!.schema).toBe("audit_out_3");
    expect(planAuditFolder(["sample/images/shard=1/part-00000.parquet"], ["sample"])[0]!.schema).toBe("sample_2");
  });

  it("makes one schema per audit when the pick holds several, and 'mine' when the pick was one table's folder", () => {
    const two = planAuditFolder(["runs/a/images/shard=1/part-00000.parquet", "runs/b-2/images/shard=1/part-00000.parquet", "runs/notes.parquet"], []);
    expect(two.map((a) => [a.schema, a.root, a.tables.map((t) => t.name)])).toEqual([
      ["a", "runs/a", ["images"]],
      ["b_2", "runs/b-2", ["images"]],
      // A file directly in a folder: that folder is its table.
      ["mine", "", ["runs"]]
    ]);
    expect(planAuditFolder(["images/shard=1/part-00000.parquet", "images/shard=3/part-00000.parquet"], [])).toEqual([
      {schema: "mine", root: "", tables: [{name: "images", folder: "images", parts: [
        {path: "images/shard=1/part-00000.parquet", partitions: {shard: "1"}},
        {path: "images/shard=3/part-00000.parquet", partitions: {shard: "3"}}
      ]}]}
    ]);
    expect(planAuditFolder(["notes.txt", "x.parquet"], [])).toEqual([]);
  });
});

describe("names", () => {
  it("are SQL identifiers, made unique with a suffix", () => {
    expect(identifierFor("audit-out")).toBe("audit_out");
    expect(identifierFor("2026 run")).toBe("t_2026_run");
    const taken = new Set(["images"]);
    expect(uniqueName("images", taken)).toBe("images_2");
    expect(uniqueName("images", taken)).toBe("images_3");
    expect(uniqueName("ood", taken)).toBe("ood");
  });

  it("know a generic part name from a name that says what the table is", () => {
    for (const name of ["part-00000.parquet", "part-00017.parquet", "run-20261202T050000Z-101.parquet", "data_0.parquet"]) expect(isGenericPartName(name), name).toBe(true);
    for (const name of ["metrics.parquet", "images.parquet", "my-results.parquet", "part-00000.csv"]) expect(isGenericPartName(name), name).toBe(false);
  });

  it("recognise every audit table by its columns (in any order, with or without a shard column), and nothing else", () => {
    for (const table of ALL_TABLES) {
      const columns = table.columns.map(([c]) => c);
      expect(recognizeAuditTable(columns)).toBe(table.name);
      expect(recognizeAuditTable([...columns].reverse().concat("shard"))).toBe(table.name);
      expect(recognizeAuditTable(columns.slice(1))).toBeUndefined();
      expect(recognizeAuditTable([...columns, "grade"])).toBeUndefined();
    }
  });
});

describe("unionSql", () => {
  it("gives the rows and columns DuckDB's read_parquet(..., hive_partitioning = true) gives for the same files", async () => {
    const root = path.join(TMP_ROOT, "audit-folder-union");
    rmSync(root, {recursive: true, force: true});
    const db = await DuckDBInstance.create(":memory:");
    const connection = await db.connect();
    try {
      // Two shards of a table, one part with no rows, written by the real engine.
      const parts = [
        {shard: 1, chunk: 0, sql: "SELECT 'a.png' AS path, 0.25 AS score, 1 AS label"},
        {shard: 1, chunk: 1, sql: "SELECT 'b.png' AS path, 0.75 AS score, NULL::INTEGER AS label"},
        {shard: 2, chunk: 0, sql: "SELECT 'c''s.png' AS path, 0.5 AS score, 0 AS label"},
        {shard: 2, chunk: 1, sql: "SELECT 'x' AS path, 0.0 AS score, 0 AS label WHERE false"}
      ];
      const staged: {staging: string; partitions: Record<string, string>}[] = [];
      for (const part of parts) {
        const file = path.join(root, "t", `shard=${part.shard}`, `part-0000${part.chunk}.parquet`);
        mkdirSync(path.dirname(file), {recursive: true});
        await connection.run(`COPY (${part.sql}) TO '${file}' (FORMAT parquet)`);
        const staging = `__part_${staged.length}`;
        await connection.run(`CREATE TABLE main."${staging}" AS SELECT * FROM read_parquet('${file}', hive_partitioning = false)`);
        staged.push({staging, partitions: {shard: String(part.shard)}});
      }
      expect(readdirSync(path.join(root, "t")).sort()).toEqual(["shard=1", "shard=2"]);
      await connection.run(unionSql(`"t"`, staged));
      const ours = await connection.runAndReadAll("SELECT * FROM t ORDER BY path");
      const cli = await connection.runAndReadAll(`SELECT * FROM read_parquet('${root}/t/**/*.parquet', hive_partitioning = true) ORDER BY path`);
      expect(ours.columnNames()).toEqual(cli.columnNames());
      expect(ours.columnTypes().map(String)).toEqual(cli.columnTypes().map(String));
      expect(ours.getRowObjectsJson()).toEqual(cli.getRowObjectsJson());
      expect(ours.getRowObjectsJson().map((r) => r.shard)).toEqual(["1", "1", "2"]);
    } finally {
      connection.closeSync();
      rmSync(root, {recursive: true, force: true});
    }
  });
});
