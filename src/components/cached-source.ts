/**
 * A bundle source for pages: reads the site's own copies of a bundle's files, reports progress in
 * bytes as each body streams in, and keeps every file in IndexedDB so a second visit starts at once.
 * Files are cached under their URL, which Framework makes content-addressed (a hash in the name),
 * so a new model never meets a stale cache.
 */
import {BundleError, type BundleSource} from "../pipeline/bundle/source.js";

export interface SiteFile {
  /** URL of the file in the built site. */
  href: string;
  /** Size in bytes, when known (progress bars). */
  size?: number;
}

export interface LoadProgress {
  file: string;
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

export function siteSource(
  name: string,
  files: Record<string, SiteFile>,
  onProgress?: (progress: LoadProgress) => void
): BundleSource {
  const database = openDatabase();
  return {
    location: `site:${name}`,
    async exists(path) {
      return path in files;
    },
    async readBytes(path) {
      const file = files[path];
      if (!file) throw new BundleError(`${name}/${path} is not part of this site's copy of the bundle`);
      const db = await database;
      const hit = await cached(db, file.href);
      const total = file.size ?? hit?.byteLength ?? 0;
      if (hit) {
        onProgress?.({file: path, loadedBytes: hit.byteLength, totalBytes: hit.byteLength, fromCache: true});
        return hit;
      }
      const response = await fetch(file.href);
      if (!response.ok) throw new BundleError(`${name}/${path}: HTTP ${response.status} ${response.statusText}`);
      const bytes = await readBody(response, (loaded) => onProgress?.({file: path, loadedBytes: loaded, totalBytes: total, fromCache: false}));
      await store(db, file.href, bytes);
      return bytes;
    }
  };
}
