/**
 * Loading models in a page: the site's bundles (one pack each, streamed with progress and kept in
 * IndexedDB so a second visit starts at once), a model folder the user opens (the project's
 * bundles or Chester's published folders, unchanged), or a same-origin folder URL
 * (?model=/path/&ood=/path/). Nothing is ever requested from another host.
 */
import {loadBundle, type Bundle} from "../pipeline/bundle/load.js";
import {decodePack, packSource} from "../pipeline/bundle/pack.js";
import {folderSources, sameOriginUrl} from "../pipeline/bundle/folder-source.js";
import {BundleError, urlSource} from "../pipeline/bundle/source.js";
import {html} from "./html.js";
import {SITE_BUNDLES, type SiteBundle} from "./site-files.js";

export interface FetchProgress {
  loadedBytes: number;
  totalBytes: number;
  fromCache: boolean;
}

const DB_NAME = "cxr-workbench-models";
const STORE = "files";

function openDatabase(): Promise<IDBDatabase | null> {
  if (typeof indexedDB === "undefined") return Promise.resolve(null);
  return new Promise((resolve) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    // Private windows may refuse storage: loading still works, only uncached.
    request.onerror = () => resolve(null);
  });
}

function cached(db: IDBDatabase | null, key: string): Promise<Uint8Array | null> {
  if (!db) return Promise.resolve(null);
  return new Promise((resolve) => {
    const request = db.transaction(STORE).objectStore(STORE).get(key);
    request.onsuccess = () => resolve(request.result ? new Uint8Array(request.result as ArrayBuffer) : null);
    request.onerror = () => resolve(null);
  });
}

function store(db: IDBDatabase | null, key: string, bytes: Uint8Array): Promise<void> {
  if (!db) return Promise.resolve();
  return new Promise((resolve) => {
    const transaction = db.transaction(STORE, "readwrite");
    transaction.objectStore(STORE).put(bytes.slice().buffer, key);
    transaction.oncomplete = () => resolve();
    // A full quota only costs the cache, never the load.
    transaction.onerror = () => resolve();
    transaction.onabort = () => resolve();
  });
}

/** Reads a response body chunk by chunk, reporting bytes as they arrive. */
async function readBody(response: Response, onChunk: (loaded: number) => void): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const {done, value} = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onChunk(loaded);
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * The bytes of a site file, from IndexedDB when an earlier visit stored them. Site URLs carry a
 * content hash (Framework names files after it), so a new model never meets a stale cache.
 */
export async function fetchCached(href: string, onProgress?: (progress: FetchProgress) => void, size?: number): Promise<Uint8Array> {
  const db = await openDatabase();
  const hit = await cached(db, href);
  if (hit) {
    onProgress?.({loadedBytes: hit.byteLength, totalBytes: hit.byteLength, fromCache: true});
    return hit;
  }
  const response = await fetch(href);
  if (!response.ok) throw new BundleError(`${href}: HTTP ${response.status} ${response.statusText}`);
  const total = size ?? Number(response.headers.get("content-length") ?? 0);
  const bytes = await readBody(response, (loaded) => onProgress?.({loadedBytes: loaded, totalBytes: total, fromCache: false}));
  await store(db, href, bytes);
  return bytes;
}

/** Where a page's model comes from. */
export type ModelChoice =
  | {kind: "site"; bundle: SiteBundle}
  | {kind: "folder"; files: File[]}
  | {kind: "url"; model: string; ood?: string};

/** ?bundle=NAME picks a site bundle; ?model=URL[&ood=URL] a same-origin folder. */
export function modelChoiceFromLocation(location: Location = window.location): ModelChoice {
  const params = new URLSearchParams(location.search);
  const model = params.get("model");
  if (model) return {kind: "url", model, ood: params.get("ood") ?? undefined};
  const name = params.get("bundle");
  return {kind: "site", bundle: SITE_BUNDLES.find((b) => b.name === name) ?? SITE_BUNDLES[0]!};
}

export interface LoadedModel {
  bundle: Bundle;
  description: string;
  /** Milliseconds from the start of the load to a warmed-up model. */
  loadMs: number;
  fromCache: boolean;
}

/** Loads the chosen model, reporting progress as text (and a fraction when known). */
export async function loadModel(choice: ModelChoice, onProgress: (text: string, fraction?: number) => void): Promise<LoadedModel> {
  const start = performance.now();
  let fromCache = false;
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  let bundle: Bundle;
  let description: string;
  const onFile = (event: {model: string; loadedFiles: number; totalFiles: number}) =>
    onProgress(`Reading ${event.model} weights: shard ${Math.min(event.loadedFiles + 1, event.totalFiles)} of ${event.totalFiles}`, event.loadedFiles / Math.max(1, event.totalFiles));
  if (choice.kind === "site") {
    description = choice.bundle.title;
    const bytes = await fetchCached(choice.bundle.pack.href, (p) => {
      fromCache = p.fromCache;
      onProgress(
        p.fromCache ? `Read ${mb(p.loadedBytes)} MB from this browser's cache` : `Downloading from this machine: ${mb(p.loadedBytes)} of ${mb(p.totalBytes)} MB`,
        p.totalBytes ? p.loadedBytes / p.totalBytes : undefined
      );
    }, choice.bundle.pack.size);
    onProgress("Building the graphs and warming up");
    bundle = await loadBundle(packSource(decodePack(bytes, choice.bundle.name), choice.bundle.name));
  } else if (choice.kind === "folder") {
    const sources = folderSources(choice.files);
    description = sources.description;
    bundle = await loadBundle(sources.model, {ood: sources.ood, onProgress: onFile});
  } else {
    const model = sameOriginUrl(choice.model, window.location.href);
    const ood = choice.ood ? sameOriginUrl(choice.ood, window.location.href) : undefined;
    description = ood ? `${model} with ${ood}` : model;
    bundle = await loadBundle(urlSource(model), {ood: ood ? urlSource(ood) : undefined, onProgress: onFile});
  }
  onProgress("Ready", 1);
  return {bundle, description, loadMs: performance.now() - start, fromCache};
}

/**
 * A status line with a progress bar, for long loads. `finish` puts the outcome in its place, inside
 * the same displayed node, so Framework clears it when the cell runs again (a node swapped in with
 * replaceWith would outlive the cell's next run).
 */
export function progressLine(initial = "Loading the model"): {
  node: HTMLElement;
  update: (text: string, fraction?: number) => void;
  finish: (content: Node) => void;
} {
  const bar = html`<progress max="1" style="width: 12rem; vertical-align: middle"></progress>` as HTMLProgressElement;
  const label = html`<span>${initial}</span>`;
  const line = html`<div class="progress-line" role="status" aria-live="polite">${bar} ${label}</div>`;
  const node = html`<div>${line}</div>`;
  return {
    node,
    update(text, fraction) {
      label.textContent = text;
      if (fraction === undefined) bar.removeAttribute("value");
      else bar.value = fraction;
    },
    finish(content) {
      node.replaceChildren(content);
    }
  };
}
