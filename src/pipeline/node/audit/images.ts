/**
 * Node-only: which files an audit reads, in a deterministic order, and which of them a shard takes.
 */
import {createHash} from "node:crypto";
import {closeSync, openSync, readSync, readdirSync, readlinkSync, realpathSync, statSync} from "node:fs";
import path from "node:path";

/** Files with these extensions are audited (case-insensitive); files without one when they are DICOM. */
export const IMAGE_EXTENSIONS = [".png", ".jpg", ".jpeg", ".dcm", ".dicom"];

/** A path relative to the images folder, with "/" separators on every platform. */
export const toPosix = (relative: string) => relative.split(path.sep).join("/");

/** DICOM Part 10: "DICM" at byte 128 (for files without an extension). */
function hasDicomMagic(file: string | Buffer): boolean {
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

/** Why a listed path could not be read: it gets an `errors` row (stage "read") like any unreadable image. */
export interface ListingProblem {
  code: "dangling-link" | "link-loop" | "unreadable-folder";
  message: string;
}

export interface ImageWalk {
  /** Sorted relative paths: the images, and the paths that could not be walked (see `problems`). */
  files: string[];
  problems: Map<string, ListingProblem>;
  /**
   * Paths whose names are not valid UTF-8, by the relative path shown (each such byte written
   * `\xNN`), to the bytes of the real path: so two such files stay two files, each read as itself.
   */
  fsPaths: Map<string, Buffer>;
}

const utf8 = new TextDecoder("utf-8", {fatal: true});

/** A file name as text: itself when valid UTF-8, else every byte outside printable ASCII as \xNN. */
function displayName(name: Buffer): {text: string; valid: boolean} {
  try {
    return {text: utf8.decode(name), valid: true};
  } catch {
    return {text: [...name].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`)).join(""), valid: false};
  }
}

/** A folder's identity: its real path's bytes (as latin1, lossless), so non-UTF-8 names stay distinct. */
const realOf = (folder: Buffer) => realpathSync(folder, {encoding: "buffer"}).toString("latin1");

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException)?.code ?? "";

/**
 * Every PNG, JPEG and DICOM file under `root`, recursively. Hidden files and folders (a leading
 * ".") are skipped; symbolic links are followed once. What cannot be walked is listed with its
 * reason rather than skipped in silence: a dangling link named like an image, a link that loops
 * back to a folder above it (or to itself), a folder that cannot be read (EACCES...).
 */
export function walkImages(root: string): ImageWalk {
  const files: string[] = [];
  const problems = new Map<string, ListingProblem>();
  const fsPaths = new Map<string, Buffer>();
  const seen = new Set<string>();
  const visit = (folder: Buffer, relative: string, ancestors: string[], bytesNeeded: boolean) => {
    const real = realOf(folder);
    if (seen.has(real)) return;
    seen.add(real);
    let entries;
    try {
      entries = readdirSync(folder, {withFileTypes: true, encoding: "buffer"});
    } catch (error) {
      if (relative === "") throw error; // the images folder itself: the caller reports it
      problems.set(relative, {code: "unreadable-folder", message: `the folder ${relative} cannot be read (${errorCode(error) || (error as Error).message}); its images are not audited`});
      files.push(relative);
      return;
    }
    for (const entry of entries) {
      const name = entry.name as unknown as Buffer;
      if (name[0] === 0x2e) continue; // hidden
      const {text, valid} = displayName(name);
      const full = Buffer.concat([folder, Buffer.from(path.sep), name]);
      const shown = relative ? `${relative}/${text}` : text;
      const needsBytes = bytesNeeded || !valid;
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      const extension = path.extname(text).toLowerCase();
      if (entry.isSymbolicLink()) {
        try {
          const target = statSync(full);
          isDirectory = target.isDirectory();
          isFile = target.isFile();
          if (isDirectory && [...ancestors, real].includes(realOf(full))) {
            problems.set(shown, {code: "link-loop", message: `symbolic link loop: ${shown} points back to ${realpathSync(full)}, a folder it is inside; not followed`});
            files.push(shown);
            continue;
          }
        } catch (error) {
          if (errorCode(error) === "ELOOP") problems.set(shown, {code: "link-loop", message: `symbolic link loop: ${shown} resolves to itself`});
          else if (IMAGE_EXTENSIONS.includes(extension))
            problems.set(shown, {code: "dangling-link", message: `dangling symbolic link: ${shown} points to ${readlinkSync(full).toString()}, which does not exist`});
          else continue;
          files.push(shown);
          continue;
        }
      }
      if (isDirectory) visit(full, shown, [...ancestors, real], needsBytes);
      else if (isFile && (IMAGE_EXTENSIONS.includes(extension) || (extension === "" && hasDicomMagic(full)))) {
        files.push(shown);
        if (needsBytes) fsPaths.set(shown, full);
      }
    }
  };
  visit(Buffer.from(path.resolve(root)), "", [], false);
  // Code-unit order: the same on every machine and locale.
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {files, problems, fsPaths};
}

/** The sorted relative paths of walkImages (images, and paths that could not be walked). */
export function listImages(root: string): string[] {
  return walkImages(root).files;
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
