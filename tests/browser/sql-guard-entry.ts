/** Page script for tests/sql-remote.test.ts: the SQL page's DuckDB (src/components/duckdb.ts), driven from the test. */
import {openDatabase, query, registerTable} from "../../src/components/duckdb.js";

const database = await openDatabase();
await registerTable(database, "local_table", "local.csv", new TextEncoder().encode("a,b\n1,x\n2,y\n"), "test");

/** Runs each statement; an error is returned as text (the SQL page shows it the same way). */
async function run(statements: string[]): Promise<{sql: string; rows?: unknown[]; error?: string}[]> {
  const out = [];
  for (const sql of statements) {
    try {
      out.push({sql, rows: (await query(database, sql)).rows});
    } catch (error) {
      out.push({sql, error: String((error as Error)?.message ?? error)});
    }
  }
  return out;
}

Object.assign(window, {sqlGuard: {run}});
document.title = "ready";
