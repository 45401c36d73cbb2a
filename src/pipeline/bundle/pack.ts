/**
 * A pack: the files of a bundle (or of an image sample) in one file, so a page fetches a model in
 * one request and caches one blob. A browser opens at most 6 connections per host, and TF.js's own
 * loader asks for every shard at once: a model of 7 shards never finished over HTTP/1.1.
 *
 * Layout: the 8 ASCII bytes "CXRPACK1", the header's length (uint32, little endian), the header as
 * UTF-8 JSON ({files: [{path, offset, size}], meta?}), then the files' bytes (offsets count from
 * the first byte after the header).
 */
import {BundleError, memorySource, type BundleSource} from "./source.js";

export const PACK_MAGIC = "CXRPACK1";

export interface PackEntry {
  path: string;
  offset: number;
  size: number;
}

export interface PackHeader {
  files: PackEntry[];
  /** Anything the writer wants readers to know (e.g. the labels of an image sample). */
  meta?: Record<string, unknown>;
}

export interface Pack {
  header: PackHeader;
  /** Views into the pack's bytes, by path. */
  files: Map<string, Uint8Array>;
}

export function encodePack(files: {path: string; bytes: Uint8Array}[], meta?: Record<string, unknown>): Uint8Array {
  const seen = new Set<string>();
  let offset = 0;
  const entries: PackEntry[] = files.map(({path, bytes}) => {
    if (seen.has(path)) throw new Error(`pack: ${path} given twice`);
    seen.add(path);
    const entry = {path, offset, size: bytes.byteLength};
    offset += bytes.byteLength;
    return entry;
  });
  const header = new TextEncoder().encode(JSON.stringify(meta ? {files: entries, meta} : {files: entries}));
  const out = new Uint8Array(PACK_MAGIC.length + 4 + header.byteLength + offset);
  out.set(new TextEncoder().encode(PACK_MAGIC), 0);
  new DataView(out.buffer).setUint32(PACK_MAGIC.length, header.byteLength, true);
  out.set(header, PACK_MAGIC.length + 4);
  let at = PACK_MAGIC.length + 4 + header.byteLength;
  for (const {bytes} of files) {
    out.set(bytes, at);
    at += bytes.byteLength;
  }
  return out;
}

export function decodePack(bytes: Uint8Array, where = "pack"): Pack {
  const start = PACK_MAGIC.length + 4;
  if (bytes.byteLength < start || new TextDecoder().decode(bytes.subarray(0, PACK_MAGIC.length)) !== PACK_MAGIC)
    throw new BundleError(`${where} is not a workbench pack (it does not start with ${PACK_MAGIC})`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(PACK_MAGIC.length, true);
  if (start + headerLength > bytes.byteLength)
    throw new BundleError(`${where} is truncated: its header needs ${headerLength} bytes, the file has ${bytes.byteLength - start}`);
  let header: PackHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(start, start + headerLength))) as PackHeader;
  } catch (error) {
    throw new BundleError(`${where}: the header is not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(header?.files)) throw new BundleError(`${where}: the header lists no files`);
  const body = start + headerLength;
  const files = new Map<string, Uint8Array>();
  for (const entry of header.files) {
    const {path, offset, size} = entry ?? ({} as PackEntry);
    if (typeof path !== "string" || !Number.isInteger(offset) || !Number.isInteger(size) || offset < 0 || size < 0)
      throw new BundleError(`${where}: a header entry is malformed (${JSON.stringify(entry)})`);
    if (body + offset + size > bytes.byteLength)
      throw new BundleError(`${where} is truncated: ${path} ends at byte ${body + offset + size}, the file has ${bytes.byteLength}`);
    files.set(path, bytes.subarray(body + offset, body + offset + size));
  }
  return {header, files};
}

/** A bundle source over a decoded pack. */
export function packSource(pack: Pack, location: string): BundleSource {
  return memorySource(Object.fromEntries(pack.files), location);
}
