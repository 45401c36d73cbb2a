/**
 * The SQL page's DuckDB can reach nothing but this machine, whatever the SQL text (issue 12, item 1).
 * URLs are built at run time in SQL (concatenation, concat(), chr(), s3://) against a real server on
 * another port, which must receive nothing; once with the page's Content-Security-Policy and once
 * without it, so the DuckDB side is shown to hold on its own.
 */
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {CONTENT_SECURITY_POLICY} from "../observablehq.config.js";
import {bundleForBrowser, launchChromium, serveStatic, type ChromiumSession, type StaticServer} from "./helpers/browser.js";
import {REPO_ROOT} from "./helpers/paths.js";
import {remoteSqlStatements} from "./corpus/bad-inputs.js";

let chromium: ChromiumSession;
let site: StaticServer;
let target: StaticServer;
const DUCKDB_DIST = path.join(REPO_ROOT, "node_modules/@duckdb/duckdb-wasm/dist");
const PARQUET_ESM = path.join(REPO_ROOT, "node_modules/parquet-wasm/esm");

function page(withCsp: boolean): {body: string; type: string} {
  // The import map stands in for Framework's resolution of import.meta.resolve("@duckdb/...").
  const importMap = JSON.stringify({imports: {"@duckdb/duckdb-wasm/dist/": "/duckdb/", "parquet-wasm/esm/": "/parquet/"}});
  return {
    type: "text/html; charset=utf-8",
    body:
      `<!doctype html><html><head><meta charset="utf-8"><title>loading</title>` +
      (withCsp ? `<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">` : "") +
      `<link rel="icon" href="data:,"><script type="importmap">${importMap}</script>` +
      `<script type="module" src="/sql-guard-entry.js"></script></head><body></body></html>`
  };
}

beforeAll(async () => {
  const bundle = await bundleForBrowser(path.join(REPO_ROOT, "tests/browser/sql-guard-entry.ts"));
  // The "remote" host: a real server on another port, serving what an attacker would.
  target = await serveStatic({"/x.csv": {body: "secret\n42\n"}, "/x.parquet": {body: "PAR1"}, "/db.duckdb": {body: ""}, "/": {body: ""}});
  site = await serveStatic({
    "/with-csp.html": page(true),
    "/without-csp.html": page(false),
    "/sql-guard-entry.js": bundle.file,
    "/sql-guard-entry.js.map": `${bundle.file}.map`,
    "/duckdb/": DUCKDB_DIST,
    "/parquet/": PARQUET_ESM
  });
  chromium = await launchChromium();
}, 300_000);

afterAll(async () => {
  await chromium?.close();
  await site?.close();
  await target?.close();
});

describe.each([["with", "with-csp"], ["without", "without-csp"]])("SQL page's DuckDB %s the Content-Security-Policy", (_, name) => {
  it("refuses every remote read built at run time; the other server receives nothing; local tables still work", async () => {
    const watched = await chromium.newPage();
    const {page} = watched;
    await page.goto(site.url(`/${name}.html`));
    await page.waitForFunction(() => document.title === "ready" || document.title.startsWith("error"), null, {timeout: 240_000});
    const statements = remoteSqlStatements(target.port);
    const results = (await page.evaluate((s) => (window as unknown as {sqlGuard: {run(s: string[]): Promise<unknown>}}).sqlGuard.run(s), statements)) as {
      sql: string;
      rows?: unknown[];
      error?: string;
    }[];
    if (process.env.CXR_DEBUG_SQL_GUARD) console.log(results.map((r) => `${r.sql}\n  -> ${r.error ?? JSON.stringify(r.rows)}`).join("\n"));
    // INSTALL is a no-op in DuckDB-wasm (extensions are fetched at LOAD, which is refused): it may
    // succeed, as long as nothing is requested (checked below).
    for (const r of results.filter((r) => !r.sql.startsWith("INSTALL")))
      expect(r.error, `${r.sql} should have been refused, got ${JSON.stringify(r.rows)}`).toBeTruthy();
    // The same connection still reads what was opened in the page, and can't be unlocked.
    const local = (await page.evaluate(() => (window as unknown as {sqlGuard: {run(s: string[]): Promise<unknown>}}).sqlGuard.run([
      "SELECT CAST(sum(a) AS INTEGER) AS s, string_agg(b, '') AS t FROM local_table",
      "SET enable_external_access = true"
    ]))) as {rows?: Record<string, unknown>[]; error?: string}[];
    expect(local[0]!.rows).toEqual([{s: 3, t: "xy"}]);
    expect(local[1]!.error).toMatch(/lock|configuration/i);
    // The worker guard on its own: every network API refused in a module loaded behind it.
    const probe = (await page.evaluate((t) => (window as unknown as {sqlGuard: {probeGuard(t: string): Promise<unknown>}}).sqlGuard.probeGuard(t), target.url("/x.csv"))) as Record<string, string>;
    expect(Object.keys(probe).sort()).toEqual(["EventSource", "WebSocket", "XMLHttpRequest", "fetch", "fetch Request", "importScripts", "restore fetch"].sort());
    for (const [api, outcome] of Object.entries(probe)) expect(outcome, api).toMatch(/^refused: /);
    for (const api of ["fetch", "XMLHttpRequest", "WebSocket"]) expect(probe[api]).toMatch(/the workbench's DuckDB reads nothing over the network/);
    // Give any request the worker might still send a moment, then: nothing reached the other server,
    // and the page asked nothing of any host but the site.
    await new Promise((r) => setTimeout(r, 1000));
    expect(target.log, JSON.stringify(target.log)).toEqual([]);
    expect(watched.requests.filter((u) => !u.startsWith(site.origin) && !u.startsWith("blob:") && !u.startsWith("data:"))).toEqual([]);
    await page.close();
  }, 300_000);
});
