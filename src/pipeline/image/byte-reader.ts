/**
 * Random access to a file's bytes: in memory, or read in slices from a Blob (a worker's
 * FileReaderSync), so that a huge image file is never held whole: a 54 MB 16-bit PNG is decoded
 * reduced while at most a slice of it is in memory (png-stream.ts).
 */
export interface ByteReader {
  readonly length: number;
  /** Bytes [from, to), clipped to the file; a view for memory, a new array for a Blob. */
  read(from: number, to: number): Uint8Array;
}

/** Bytes a streamed reader reads at once, at most. */
export const READ_SLICE = 1 << 20;

export function memoryReader(bytes: Uint8Array): ByteReader {
  return {length: bytes.length, read: (from, to) => bytes.subarray(from, Math.min(to, bytes.length))};
}

/** A reader for a file given either way. */
export function readerOf(file: Uint8Array | ByteReader): ByteReader {
  return file instanceof Uint8Array ? memoryReader(file) : file;
}

/** A Blob read in slices, synchronously: only where FileReaderSync exists (dedicated workers); null elsewhere. */
export function blobReader(blob: Blob): ByteReader | null {
  const FileReaderSyncClass = (globalThis as unknown as {FileReaderSync?: new () => {readAsArrayBuffer(blob: Blob): ArrayBuffer}}).FileReaderSync;
  if (typeof FileReaderSyncClass !== "function") return null;
  const reader = new FileReaderSyncClass();
  return {length: blob.size, read: (from, to) => new Uint8Array(reader.readAsArrayBuffer(blob.slice(from, Math.min(to, blob.size))))};
}

/** The bytes [from, to) as pieces of at most READ_SLICE bytes, each read when asked for. */
export function* slices(reader: ByteReader, from: number, to: number): Generator<Uint8Array> {
  for (let at = from; at < to; at += READ_SLICE) yield reader.read(at, Math.min(to, at + READ_SLICE));
}
