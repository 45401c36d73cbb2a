/**
 * Node-only: which files an audit reads, in a deterministic order, and which of them a shard takes.
 */
import {createHash} from "node:crypto";
import {closeSync, openSync, readSync, readdirSync, realpathSync, statSync} from "node:fs";
import path from "node:path";

/** Files with these extensions are audited (case-insensitive); files without one when they are DICOM. */
export const IMAGE_EXTENSIONS = [".png", ".jpg", ".jpeg", ".dcm", ".dicom"];

/** A path relative to the images folder, with "/" separators on every platform. */
export const toPosix = (relative: string) => relative.split(path.sep).join("/");

/** DICOM Part 10: "DICM" at byte 128 (for files without an extension). */
function hasDicomMagic(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    const buffer = Buffer.alloc(4);
    return readSync(fd, buffer, 0, 4, 128) === 4 && buffer.toString("latin1") === "DICM";
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Every PNG, JPEG and DICOM file under `root`, recursively, as sorted relative paths. Hidden files
 * and folders (a leading ".") are skipped; symbolic links are followed once (no cycles).
 */
export function listImages(root: string): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  const visit = (folder: string) => {
    const real = realpathSync(folder);
    if (seen.has(real)) return;
    seen.add(real);
    for (const entry of readdirSync(folder, {withFileTypes: true})) {
      if (entry.name.startsWith(".")) continue;
      const full = path.join(folder, entry.name);
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const target = statSync(full);
          isDirectory = target.isDirectory();
          isFile = target.isFile();
        } catch {
          continue; // a dangling link
        }
      }
      if (isDirectory) visit(full);
      else if (isFile) {
        const extension = path.extname(entry.name).toLowerCase();
        if (IMAGE_EXTENSIONS.includes(extension) || (extension === "" && hasDicomMagic(full))) found.push(toPosix(path.relative(root, full)));
      }
    }
  };
  visit(root);
  // Code-unit order: the same on every machine and locale.
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The 1-based shard (of `count`) a path belongs to: from its SHA-256, so any machine agrees. */
export function shardOf(relativePath: string, count: number): number {
  const digest = createHash("sha256").update(relativePath).digest();
  return (digest.readUInt32BE(0) % count) + 1;
}

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) throw new RangeError(`--shard takes I/N (e.g. 1/4: the first of four shards), got ${JSON.stringify(text)}`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (!(count >= 1 && index >= 1 && index <= count))
    throw new RangeError(`--shard ${text}: I must be between 1 and N (shards are numbered from 1), and N at least 1`);
  return {index, count};
}

/** SHA-256 of the image list: runs over the same files agree, whatever the machine. */
export function listHash(paths: string[]): string {
  const hash = createHash("sha256");
  for (const p of paths) hash.update(p).update("\n");
  return hash.digest("hex");
}
