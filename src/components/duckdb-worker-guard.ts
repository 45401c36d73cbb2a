/**
 * DuckDB-wasm's worker with no network. DuckDB-wasm reads `http(s)://` and `s3://` paths itself,
 * from its worker, with XMLHttpRequest and fetch, whatever DuckDB's own settings say (its web file
 * system is not DuckDB's httpfs, so `disabled_filesystems` does not reach it), and any SQL can build
 * such a path at run time (`'htt' || 'p://…'`, `chr(104) || …`). So the worker is started from a
 * bootstrap that, before DuckDB's script is even loaded, replaces every network API of the worker
 * (fetch, XMLHttpRequest, WebSocket, EventSource, importScripts, nested workers) with one that
 * refuses, except `fetch` of the exact URLs given (the site's own DuckDB .wasm). The replacements
 * are non-writable and non-configurable: nothing in the worker can put the originals back.
 * The page's Content-Security-Policy stays as a second wall.
 */

/** Posted by the bootstrap once the guard is in place and DuckDB's worker script is loaded. */
export const GUARD_READY = "cxr-duckdb-worker-guard-ready";

/** The bootstrap module's source: the guard, then DuckDB's worker script. */
export function guardedWorkerSource(workerUrl: string, allowedFetches: string[]): string {
  return `(${installNetworkGuard.toString()})(${JSON.stringify(allowedFetches)});
await import(${JSON.stringify(workerUrl)});
postMessage(${JSON.stringify(GUARD_READY)});
`;
}

/** Runs inside the worker (serialised with toString: it must not refer to anything outside itself). */
function installNetworkGuard(allowedFetches: string[]): void {
  const scope = globalThis as unknown as Record<string, unknown>;
  const allowed = new Set(allowedFetches);
  const refusal = (what: string, target: unknown) =>
    new TypeError(`refused: the workbench's DuckDB reads nothing over the network (${what} ${String(target).slice(0, 200)}); open files from this machine instead`);
  const realFetch = (scope.fetch as typeof fetch).bind(globalThis);
  const seal = (name: string, value: unknown) => Object.defineProperty(globalThis, name, {value, writable: false, configurable: false, enumerable: true});
  seal("fetch", (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    return allowed.has(url) ? realFetch(input, init) : Promise.reject(refusal("fetch", url));
  });
  const RealXhr = scope.XMLHttpRequest as typeof XMLHttpRequest;
  seal(
    "XMLHttpRequest",
    class extends RealXhr {
      override open(_method: string, url: string | URL): void {
        throw refusal("XMLHttpRequest", url);
      }
    }
  );
  for (const name of ["WebSocket", "EventSource", "Worker", "SharedWorker", "importScripts"]) {
    if (name in scope)
      seal(name, function refused(target?: unknown) {
        throw refusal(name, target);
      });
  }
}
