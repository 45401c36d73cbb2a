/**
 * Node-only: whether a chunk's committed parts are whole. A rename is atomic, but a disk that
 * filled up, a copy (rsync of shards between machines) cut short or a file truncated by hand can
 * still leave a part that is not a Parquet file; such a chunk counts as not done and is redone.
 */
import {closeSync, fstatSync, openSync, readSync} from "node:fs";
import {CHUNK_TABLES, partFile} from "./tables.js";

/** Parquet framing: "PAR1" first and last, and a footer whose stated length fits in the file. */
export function isWholeParquet(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    const size = fstatSync(fd).size;
    if (size < 12) return false;
    const head = Buffer.alloc(4);
    const tail = Buffer.alloc(8);
    if (readSync(fd, head, 0, 4, 0) !== 4 || readSync(fd, tail, 0, 8, size - 8) !== 8) return false;
    const footer = tail.readUInt32LE(0);
    return head.toString("latin1") === "PAR1" && tail.toString("latin1", 4) === "PAR1" && footer > 0 && footer + 12 <= size;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A chunk is done when all five of its parts are in place and whole. */
export function chunkCommitted(out: string, shard: number, chunk: number): boolean {
  return CHUNK_TABLES.every((table) => isWholeParquet(partFile(out, table.name, shard, chunk)));
}
