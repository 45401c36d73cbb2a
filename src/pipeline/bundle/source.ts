/**
 * Where a bundle's files come from. The pipeline only needs "read this relative path", so the same
 * loader serves a folder on disk (Node), a URL (browser), or files the user dropped on a page.
 */
import type * as tf from "@tensorflow/tfjs";

export interface BundleSource {
  /** Shown in messages: a folder path or URL. */
  readonly location: string;
  readBytes(path: string): Promise<Uint8Array>;
  /** Whether a file exists, without reading it. */
  exists(path: string): Promise<boolean>;
}

export class BundleError extends Error {
  constructor(message: string, options?: {cause?: unknown}) {
    super(message, options);
    this.name = "BundleError";
  }
}

export async function readJson(source: BundleSource, path: string): Promise<unknown> {
  const bytes = await source.readBytes(path);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new BundleError(`${joinPath(source.location, path)} is not valid JSON: ${(error as Error).message}`);
  }
}

export function joinPath(base: string, path: string): string {
  if (!base) return path;
  return base.endsWith("/") ? base + path : `${base}/${path}`;
}

export function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

export interface ProgressEvent {
  /** The file being read. */
  path: string;
  loadedFiles: number;
  totalFiles: number;
}

/**
 * A TF.js IOHandler that reads model.json and its weight shards from a source, one shard at a time
 * (a browser opens at most 6 connections per host; reading shards in sequence never stalls).
 */
export function graphModelHandler(
  source: BundleSource,
  modelJsonPath: string,
  onProgress?: (event: ProgressEvent) => void
): tf.io.IOHandler {
  return {
    async load() {
      const modelJson = (await readJson(source, modelJsonPath)) as tf.io.ModelJSON;
      if (!modelJson?.modelTopology || !Array.isArray(modelJson.weightsManifest))
        throw new BundleError(`${joinPath(source.location, modelJsonPath)} is not a TF.js model.json (no modelTopology or weightsManifest)`);
      const folder = dirname(modelJsonPath);
      const paths = modelJson.weightsManifest.flatMap((group) => group.paths.map((p) => (folder ? `${folder}/${p}` : p)));
      const shards: Uint8Array[] = [];
      for (const [i, path] of paths.entries()) {
        onProgress?.({path, loadedFiles: i, totalFiles: paths.length});
        try {
          shards.push(await source.readBytes(path));
        } catch (error) {
          throw new BundleError(`weight shard ${joinPath(source.location, path)} could not be read: ${(error as Error).message}`, {cause: error});
        }
      }
      onProgress?.({path: "", loadedFiles: paths.length, totalFiles: paths.length});
      return {
        modelTopology: modelJson.modelTopology,
        weightSpecs: modelJson.weightsManifest.flatMap((group) => group.weights),
        weightData: joinShards(shards),
        format: modelJson.format,
        generatedBy: modelJson.generatedBy,
        convertedBy: modelJson.convertedBy,
        signature: modelJson.signature,
        userDefinedMetadata: modelJson.userDefinedMetadata
      };
    }
  };
}

/**
 * The shards as one ArrayBuffer. A single shard that owns its whole buffer is used as it is: a
 * second copy of the weights would only raise the peak memory of the load.
 */
function joinShards(shards: Uint8Array[]): ArrayBuffer {
  const only = shards.length === 1 ? shards[0]! : null;
  if (only && only.byteOffset === 0 && only.byteLength === only.buffer.byteLength && only.buffer instanceof ArrayBuffer) return only.buffer;
  const joined = new Uint8Array(shards.reduce((n, s) => n + s.byteLength, 0));
  let offset = 0;
  for (const shard of shards) {
    joined.set(shard, offset);
    offset += shard.byteLength;
  }
  return joined.buffer;
}

/** A source over HTTP(S) URLs, relative to a base URL (browser or Node's fetch). */
export function urlSource(baseUrl: string, init?: RequestInit): BundleSource {
  const base = baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`;
  return {
    location: base,
    async readBytes(path) {
      const url = new URL(path, new URL(base, globalThis.location?.href ?? "http://127.0.0.1/")).href;
      const response = await fetch(url, init);
      if (!response.ok) throw new BundleError(`${url}: HTTP ${response.status} ${response.statusText}`);
      return new Uint8Array(await response.arrayBuffer());
    },
    async exists(path) {
      const url = new URL(path, new URL(base, globalThis.location?.href ?? "http://127.0.0.1/")).href;
      try {
        const response = await fetch(url, {...init, method: "HEAD"});
        return response.ok;
      } catch {
        return false;
      }
    }
  };
}

/** A source over files held in memory (files a user dropped on a page, or built by a test). */
export function memorySource(files: Record<string, Uint8Array | string>, location = "memory"): BundleSource {
  const encoder = new TextEncoder();
  return {
    location,
    async readBytes(path) {
      const file = files[path];
      if (file === undefined) throw new BundleError(`${joinPath(location, path)} does not exist`);
      return typeof file === "string" ? encoder.encode(file) : file;
    },
    async exists(path) {
      return path in files;
    }
  };
}
