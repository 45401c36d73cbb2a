/**
 * One workbench state for every page: the model, the image(s), the finding, the resize mode, every
 * threshold and the backend. It lives in sessionStorage (so it follows the user from page to page
 * in this tab) and in the address (so a link or a reload restores the view); uploaded images live
 * in this browser's IndexedDB and are never put in an address. Pages read it when they open and
 * write it when the user changes something; a change made on one page (a threshold on Prediction)
 * is what every other page uses.
 */
import {
  currentImage,
  mergeState,
  modelKey,
  stateFromParams,
  stateToParams,
  type ImageRef,
  type ModelRef,
  type ModelThresholds,
  type RecalibrationRef,
  type WorkbenchState
} from "./workbench-params.js";

import {openStore} from "./site-cache.js";

export * from "./workbench-params.js";

const STORAGE_KEY = "cxr-workbench-state";
const DB_NAME = "cxr-workbench-uploads";
const STORE = "images";
/** Uploads kept at most (the oldest go first): this is a working set, not an archive. */
const MAX_UPLOADS = 64;

type Listener = (state: WorkbenchState) => void;

function remembered(): Partial<WorkbenchState> | null {
  try {
    return JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? "null");
  } catch {
    return null;
  }
}

let state: WorkbenchState = mergeState(remembered(), stateFromParams(new URLSearchParams(location.search)));
const listeners = new Set<Listener>();

function persist(): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(state));
  } catch {
    // Storage refused (private mode, quota): the state still holds for this page.
  }
  const params = stateToParams(state, new URLSearchParams(location.search));
  const query = params.toString();
  const url = `${location.pathname}${query ? `?${query}` : ""}${location.hash}`;
  if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(history.state, "", url);
  linkPages(query);
  document.documentElement.classList.toggle("projector", state.projector);
}

/** Page links (sidebar, pager, "next page") carry the state's address, so "open in a new tab" keeps it. */
function linkPages(query: string): void {
  for (const a of document.querySelectorAll<HTMLAnchorElement>("#observablehq-sidebar a[href], .observablehq-pager a[href], a[data-workbench-link]")) {
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || !(url.pathname.endsWith(".html") || url.pathname.endsWith("/"))) continue;
    url.search = query;
    a.href = url.pathname + url.search + url.hash;
  }
}

export const workbench = {
  get(): WorkbenchState {
    return state;
  },
  /** Changes part of the state; every subscriber (and the address, and the storage) follows. */
  update(patch: Partial<WorkbenchState>): void {
    state = {...state, ...patch};
    persist();
    for (const listener of listeners) listener(state);
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  /** The thresholds of the current model (those set on any page). */
  thresholds(model = state.model): ModelThresholds {
    return state.thresholds[modelKey(model)] ?? {};
  },
  setThresholds(patch: ModelThresholds, model = state.model): void {
    const key = modelKey(model);
    const current = state.thresholds[key] ?? {};
    const next: ModelThresholds = {...current, ...patch, findings: {...current.findings, ...patch.findings}};
    if (patch.gate === undefined && "gate" in patch) delete next.gate;
    workbench.update({thresholds: {...state.thresholds, [key]: next}});
  },
  resetThresholds(model = state.model): void {
    const thresholds = {...state.thresholds};
    delete thresholds[modelKey(model)];
    workbench.update({thresholds});
  },
  current(): ImageRef | null {
    return currentImage(state);
  },
  /** The recalibration file applied on top of a model's outputs (opened on any page), or null. */
  recalibration(model: ModelRef | null = state.model): RecalibrationRef | null {
    return state.recalibrations[modelKey(model)] ?? null;
  },
  setRecalibration(ref: RecalibrationRef | null, model: ModelRef | null = state.model): void {
    const recalibrations = {...state.recalibrations};
    if (ref) recalibrations[modelKey(model)] = ref;
    else delete recalibrations[modelKey(model)];
    workbench.update({recalibrations});
  }
};

if (typeof document !== "undefined") {
  persist();
  // Framework draws the sidebar and pager after the page's module starts: link them once it has.
  addEventListener("DOMContentLoaded", () => linkPages(stateToParams(state, new URLSearchParams(location.search)).toString()));
}

// ---------------------------------------------------------------------------------------------
// Uploaded images: their files (Blobs) in IndexedDB, keyed by an id; only the id and the name go in
// the state. A Blob is stored without the page reading its bytes (Chromium keeps it on disk).

const openUploads = () => openStore(DB_NAME, STORE);

function requestDone<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Keeps uploaded files in this browser (never sent anywhere) and returns their references. */
export async function saveUploads(files: File[]): Promise<ImageRef[]> {
  const refs: ImageRef[] = [];
  const db = await openUploads();
  const fallback = new Map<string, Blob>();
  for (const file of files) {
    const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    let stored = false;
    if (db) {
      try {
        const tx = db.transaction(STORE, "readwrite");
        await requestDone(tx.objectStore(STORE).put({name: file.name, blob: file, savedAt: Date.now()}, id));
        stored = true;
      } catch {
        // Quota or a private window: the image works on this page, but will not follow to the next.
      }
    }
    if (!stored) fallback.set(id, file);
    refs.push({kind: "upload", id, name: file.name});
  }
  for (const [id, file] of fallback) memoryUploads.set(id, file);
  if (db) await pruneUploads(db, new Set(refs.map((r) => (r.kind === "upload" ? r.id : ""))));
  return refs;
}

const memoryUploads = new Map<string, Blob>();

async function pruneUploads(db: IDBDatabase, keep: Set<string>): Promise<void> {
  try {
    const keys = (await requestDone(db.transaction(STORE).objectStore(STORE).getAllKeys())) as string[];
    const referenced = new Set([...keep, ...state.images.flatMap((i) => (i.kind === "upload" ? [i.id] : []))]);
    const old = keys.filter((k) => !referenced.has(k)).sort();
    const excess = Math.max(0, keys.length - MAX_UPLOADS);
    const tx = db.transaction(STORE, "readwrite");
    for (const key of old.slice(0, Math.max(excess, 0))) tx.objectStore(STORE).delete(key);
  } catch {
    // Pruning is housekeeping only.
  }
}

/** An uploaded image's file (its bytes, for one stored by an earlier version), or null when this browser no longer has it. */
export async function readUpload(id: string): Promise<Blob | Uint8Array | null> {
  if (memoryUploads.has(id)) return memoryUploads.get(id)!;
  const db = await openUploads();
  if (!db) return null;
  try {
    const value = (await requestDone(db.transaction(STORE).objectStore(STORE).get(id))) as {blob?: Blob; bytes?: ArrayBuffer} | undefined;
    return value?.blob ?? (value?.bytes ? new Uint8Array(value.bytes) : null);
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Recalibration files: their text in IndexedDB (as uploads), only the id and the name in the state.

const RECALIBRATION_DB = "cxr-workbench-recalibrations";
const RECALIBRATION_STORE = "files";
const memoryRecalibrations = new Map<string, string>();

/** Keeps a recalibration file's text in this browser (never sent anywhere); returns its reference. */
export async function saveRecalibrationText(name: string, text: string): Promise<RecalibrationRef> {
  const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  const db = await openStore(RECALIBRATION_DB, RECALIBRATION_STORE);
  let stored = false;
  if (db) {
    try {
      await requestDone(db.transaction(RECALIBRATION_STORE, "readwrite").objectStore(RECALIBRATION_STORE).put({name, text, savedAt: Date.now()}, id));
      stored = true;
    } catch {
      // Quota or a private window: the file applies on this page only.
    }
  }
  if (!stored) memoryRecalibrations.set(id, text);
  return {id, name};
}

/** A kept recalibration file's text, or null when this browser no longer has it. */
export async function readRecalibrationText(id: string): Promise<string | null> {
  if (memoryRecalibrations.has(id)) return memoryRecalibrations.get(id)!;
  const db = await openStore(RECALIBRATION_DB, RECALIBRATION_STORE);
  if (!db) return null;
  try {
    const value = (await requestDone(db.transaction(RECALIBRATION_STORE).objectStore(RECALIBRATION_STORE).get(id))) as {text: string} | undefined;
    return value?.text ?? null;
  } catch {
    return null;
  }
}
