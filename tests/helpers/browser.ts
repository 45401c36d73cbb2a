/**
 * Headless Chromium for tests: a local static server, an esbuild bundle of a TypeScript entry, and a
 * page that records every request, page error and console error so a test can insist that the page
 * stayed on 127.0.0.1 and ran cleanly.
 *
 * Chromium is Debian's (/usr/bin/chromium, override with CHROMIUM_PATH) driven by playwright-core;
 * Playwright's own browser download is never used. Every launch gets a fresh user-data-dir, removed
 * on close, so no profile state leaks between runs.
 */
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync} from "node:fs";
import {createServer, type IncomingMessage, type ServerResponse} from "node:http";
import type {AddressInfo} from "node:net";
import os from "node:os";
import path from "node:path";
import {build} from "esbuild";
import {chromium, type BrowserContext, type Page} from "playwright-core";
import {TMP_ROOT} from "./paths.js";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** The only host a test page may talk to. */
export const LOCAL_HOST = "127.0.0.1";

// ---------------------------------------------------------------------------------------------------
// Static server

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".css": "text/css; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".csv": "text/csv; charset=utf-8",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".dcm": "application/dicom",
  ".bin": "application/octet-stream",
  ".svg": "image/svg+xml"
};

export function mimeType(file: string): string {
  return MIME[path.extname(file).toLowerCase()] ?? "application/octet-stream";
}

/** Inline content for a route (instead of a file on disk). */
export interface InlineRoute {
  body: string | Uint8Array;
  /** MIME type; default from the route's extension. */
  type?: string;
}

/**
 * URL path -> what it serves. A key ending in "/" is a prefix mapped onto a directory
 * ("/wasm/": ".../dist" serves /wasm/x.wasm from .../dist/x.wasm); any other key is one exact path,
 * mapped to a file or to inline content.
 */
export type Routes = Record<string, string | InlineRoute>;

export interface ServeOptions {
  /** Send COOP: same-origin and COEP: require-corp, making the page crossOriginIsolated. */
  crossOriginIsolated?: boolean;
}

export interface ServedRequest {
  method: string;
  path: string;
  status: number;
}

export interface StaticServer {
  /** "http://127.0.0.1:PORT", no trailing slash. */
  origin: string;
  port: number;
  /** Every request the server answered, in order. */
  log: ServedRequest[];
  /** origin + path. */
  url(pathname: string): string;
  close(): Promise<void>;
}

function resolveRoute(routes: Routes, pathname: string): {file?: string; inline?: InlineRoute} | undefined {
  const exact = routes[pathname];
  if (exact !== undefined && !pathname.endsWith("/")) return typeof exact === "string" ? {file: exact} : {inline: exact};
  // Longest directory prefix wins.
  const prefixes = Object.keys(routes)
    .filter((key) => key.endsWith("/") && pathname.startsWith(key))
    .sort((a, b) => b.length - a.length);
  for (const prefix of prefixes) {
    const dir = routes[prefix];
    if (typeof dir !== "string") continue;
    const root = path.resolve(dir);
    const file = path.resolve(root, `.${path.posix.sep}${pathname.slice(prefix.length)}`);
    // No escaping the directory with "..".
    if (file !== root && !file.startsWith(root + path.sep)) return undefined;
    return {file};
  }
  return undefined;
}

/** A tiny HTTP server on 127.0.0.1 and a random port; GET/HEAD only. */
export async function serveStatic(routes: Routes, options: ServeOptions = {}): Promise<StaticServer> {
  const log: ServedRequest[] = [];
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const finish = (status: number, type: string, body: string | Uint8Array) => {
      log.push({method: request.method ?? "?", path: request.url ?? "?", status});
      const headers: Record<string, string | number> = {
        "Content-Type": type,
        "Content-Length": typeof body === "string" ? Buffer.byteLength(body) : body.byteLength,
        "Cache-Control": "no-store"
      };
      if (options.crossOriginIsolated) {
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Embedder-Policy"] = "require-corp";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
      }
      response.writeHead(status, headers);
      response.end(request.method === "HEAD" ? undefined : body);
    };
    if (request.method !== "GET" && request.method !== "HEAD") return finish(405, "text/plain", "method not allowed");
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname);
    } catch {
      return finish(400, "text/plain", "bad path");
    }
    const target = resolveRoute(routes, pathname);
    if (target?.inline) return finish(200, target.inline.type ?? mimeType(pathname), target.inline.body);
    if (target?.file && existsSync(target.file) && statSync(target.file).isFile()) {
      return finish(200, mimeType(target.file), readFileSync(target.file));
    }
    // A folder serves its index.html, as every static server does (the built site's links to the
    // Analyse page are "./").
    const index = target?.file && path.join(target.file, "index.html");
    if (index && pathname.endsWith("/") && existsSync(index) && statSync(index).isFile()) return finish(200, mimeType(index), readFileSync(index));
    return finish(404, "text/plain", `not found: ${pathname}`);
  };
  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, LOCAL_HOST, () => resolve());
  });
  const {port} = server.address() as AddressInfo;
  const origin = `http://${LOCAL_HOST}:${port}`;
  return {
    origin,
    port,
    log,
    url: (pathname) => `${origin}${pathname.startsWith("/") ? "" : "/"}${pathname}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      })
  };
}

/** An HTML page that loads one module script (and asks for no favicon). */
export function modulePage(scriptPath: string, title = "test"): InlineRoute {
  return {
    type: "text/html; charset=utf-8",
    body: `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title><link rel="icon" href="data:,">` +
      `<script type="module" src="${scriptPath}"></script></head><body></body></html>`
  };
}

// ---------------------------------------------------------------------------------------------------
// Bundling

export interface BundleResult {
  /** Absolute path of the bundled .js file. */
  file: string;
  /** Its file name (to route it). */
  name: string;
}

/** Bundle a TypeScript entry for the browser (ESM, everything inlined) into tests/.tmp/browser/. */
export async function bundleForBrowser(entryTs: string, options: {name?: string; minify?: boolean} = {}): Promise<BundleResult> {
  const outDir = path.join(TMP_ROOT, "browser");
  mkdirSync(outDir, {recursive: true});
  const name = options.name ?? `${path.basename(entryTs).replace(/\.[cm]?tsx?$/, "")}.js`;
  const file = path.join(outDir, name);
  const result = await build({
    entryPoints: [entryTs],
    outfile: file,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    sourcemap: "linked",
    minify: options.minify ?? false,
    logLevel: "silent",
    // Node built-ins that a dual-use package may mention behind a runtime check (the Emscripten glue
    // of the DICOM codecs requires fs and path only when it runs in Node).
    define: {"process.env.NODE_ENV": '"production"'},
    external: ["fs", "path"]
  });
  if (result.errors.length > 0) throw new Error(`esbuild failed for ${entryTs}: ${result.errors.map((e) => e.text).join("; ")}`);
  return {file, name};
}

// ---------------------------------------------------------------------------------------------------
// Chromium

export interface LaunchOptions {
  /** Pass --disable-gpu (WebGL then still runs on SwiftShader in current Chromium). Default false. */
  disableGpu?: boolean;
  /** More command-line switches. */
  args?: string[];
}

export interface WatchedPage {
  page: Page;
  /** Every URL the page requested (page.on("request")), in order. */
  requests: string[];
  /** Requests to anything but 127.0.0.1 (data: and blob: URLs are local and allowed). */
  foreignRequests(): string[];
  /** Uncaught page errors and console.error messages. */
  errors: string[];
  /** Console messages of every type, "type: text". */
  console: string[];
  /** Throws if the page made a foreign request or logged an error. */
  assertClean(): void;
}

export interface ChromiumSession {
  context: BrowserContext;
  userDataDir: string;
  /** A new page whose requests and errors are recorded; requests off 127.0.0.1 are aborted too. */
  newPage(): Promise<WatchedPage>;
  /** Close Chromium and delete its profile directory. */
  close(): Promise<void>;
}

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-extensions",
  "--metrics-recording-only",
  "--no-default-browser-check"
];

export function isLocalUrl(url: string): boolean {
  if (url.startsWith("data:") || url.startsWith("blob:") || url === "about:blank") return true;
  try {
    return new URL(url).hostname === LOCAL_HOST;
  } catch {
    return false;
  }
}

export async function launchChromium(options: LaunchOptions = {}): Promise<ChromiumSession> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium not found at ${CHROMIUM_PATH} (set CHROMIUM_PATH)`);
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), "cxr-chromium-"));
  const args = [...CHROMIUM_ARGS, ...(options.disableGpu ? ["--disable-gpu"] : []), ...(options.args ?? [])];
  let context: BrowserContext;
  try {
    // Playwright refuses --user-data-dir in args; a persistent context is how a fresh profile is given.
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args,
      offline: false,
      serviceWorkers: "block"
    });
  } catch (error) {
    rmSync(userDataDir, {recursive: true, force: true});
    throw error;
  }
  // Belt and braces: nothing leaves the machine even if a page tries.
  await context.route(
    (url) => !isLocalUrl(url.href),
    (route) => route.abort("blockedbyclient")
  );
  const watch = (page: Page): WatchedPage => {
    const requests: string[] = [];
    const errors: string[] = [];
    const consoleLines: string[] = [];
    page.on("request", (request) => requests.push(request.url()));
    page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
    page.on("console", (message) => {
      consoleLines.push(`${message.type()}: ${message.text()}`);
      if (message.type() === "error") errors.push(`console.error: ${message.text()}`);
    });
    page.on("crash", () => errors.push("page crashed"));
    const foreignRequests = () => requests.filter((url) => !isLocalUrl(url));
    return {
      page,
      requests,
      errors,
      console: consoleLines,
      foreignRequests,
      assertClean() {
        const foreign = foreignRequests();
        const problems = [
          ...foreign.map((url) => `request off ${LOCAL_HOST}: ${url}`),
          ...errors
        ];
        if (problems.length > 0) throw new Error(`browser page was not clean:\n  ${problems.join("\n  ")}`);
      }
    };
  };
  // A persistent context opens one blank page; reuse it for the first newPage().
  let spare: Page | undefined = context.pages()[0];
  return {
    context,
    userDataDir,
    async newPage() {
      const page = spare ?? (await context.newPage());
      spare = undefined;
      return watch(page);
    },
    async close() {
      try {
        await context.close();
      } finally {
        rmSync(userDataDir, {recursive: true, force: true});
      }
    }
  };
}
