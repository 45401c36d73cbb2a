/**
 * The site's files kept in this browser's IndexedDB: a second visit (or a Web Worker) reads a
 * model or an image pack without downloading it again. No DOM here, so workers use it too. Site
 * URLs carry a content hash (Framework names files after it), so a new file never meets a stale
 * cache.
 */
import {BundleError} from "../pipeline/bundle/source.js";

export interface FetchProgress {
  loadedBytes: number;
  totalBytes: number;
  fromCache: boolean;
}

const DB_NAME = "cxr-workbench-models";
const STORE = "files";

/**
 * An IndexedDB database with one object store, or null where the browser refuses storage (private
 * windows): callers then work uncached, never fail.
 */
export function openStore(name: string, store: string): Promise<IDBDatabase | null> {
  if (typeof indexedDB === "undefined") return Promise.resolve(null);
  return new Promise((resolve) => {
    const request = indexedDB.open(name, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(store);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => resolve(null);
  });
}

const openDatabase = () => openStore(DB_NAME, STORE);

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


const RESULTS = "cxr-workbench-results";

/**
 * A result that depends only on site files (a bundle and its samples), computed once per browser
 * and kept in IndexedDB under `key` (which must name those files' hashed URLs), so a second visit
 * shows it at once. A null or undefined result (work cancelled) is not kept.
 */
export async function cachedComputation<T>(key: string, compute: () => Promise<T>): Promise<T> {
  const db = await openStore(RESULTS, "results");
  if (db) {
    const hit = await new Promise<T | undefined>((resolve) => {
      const request = db.transaction("results").objectStore("results").get(key);
      request.onsuccess = () => resolve(request.result as T | undefined);
      request.onerror = () => resolve(undefined);
    });
    if (hit !== undefined) return hit;
  }
  const value = await compute();
  if (db && value !== null && value !== undefined) {
    await new Promise<void>((resolve) => {
      const transaction = db.transaction("results", "readwrite");
      transaction.objectStore("results").put(value, key);
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => resolve();
      transaction.onabort = () => resolve();
    });
  }
  return value;
}
