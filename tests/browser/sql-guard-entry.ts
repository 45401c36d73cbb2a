/** Page script for tests/sql-remote.test.ts: the SQL page's DuckDB (src/components/duckdb.ts), driven from the test. */
import {openDatabase, query, registerTable} from "../../src/components/duckdb.js";
import {GUARD_READY, guardedWorkerSource} from "../../src/components/duckdb-worker-guard.js";

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

/**
 * The worker guard alone (without DuckDB's own settings): a module loaded behind it, as DuckDB's
 * worker script is, tries every network API on `target`; returns what each attempt gave.
 */
async function probeGuard(target: string): Promise<Record<string, string>> {
  const probe = `
    const target = ${JSON.stringify(target)};
    const results = {};
    const attempt = async (name, f) => { try { await f(); results[name] = "allowed"; } catch (e) { results[name] = "refused: " + e.message; } };
    await attempt("fetch", () => fetch(target));
    await attempt("fetch Request", () => fetch(new Request(target)));
    await attempt("XMLHttpRequest", () => { const x = new XMLHttpRequest(); x.open("GET", target, false); x.send(); });
    await attempt("WebSocket", () => new WebSocket(target.replace("http", "ws")));
    await attempt("EventSource", () => new EventSource(target));
    await attempt("importScripts", () => importScripts(target));
    await attempt("restore fetch", () => { globalThis.fetch = () => "x"; if (globalThis.fetch() !== "x") throw new Error("not replaced"); });
    postMessage({probe: results});`;
  const probeUrl = URL.createObjectURL(new Blob([probe], {type: "text/javascript"}));
  const bootstrap = URL.createObjectURL(new Blob([guardedWorkerSource(probeUrl, [])], {type: "text/javascript"}));
  const worker = new Worker(bootstrap, {type: "module"});
  const results = await new Promise<Record<string, string>>((resolve, reject) => {
    worker.onmessage = (event) => {
      if (event.data !== GUARD_READY && event.data?.probe) resolve(event.data.probe);
    };
    worker.onerror = (event) => reject(new Error(event.message));
  });
  worker.terminate();
  return results;
}

Object.assign(window, {sqlGuard: {run, probeGuard}});
document.title = "ready";
