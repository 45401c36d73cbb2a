/** Writes packs (see ../bundle/pack.ts) from folders on disk. */
import {readdirSync, readFileSync, statSync} from "node:fs";
import path from "node:path";
import {encodePack} from "../bundle/pack.js";

/** Every file under `folder` (relative paths, "/" separators, sorted), except those `skip` refuses. */
export function folderFiles(folder: string, skip: (relative: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (relative: string) => {
    for (const name of readdirSync(path.join(folder, relative)).sort()) {
      const child = relative ? `${relative}/${name}` : name;
      if (name.startsWith(".") || skip(child)) continue;
      if (statSync(path.join(folder, child)).isDirectory()) walk(child);
      else out.push(child);
    }
  };
  walk("");
  return out;
}

/**
 * A model bundle as one pack: card.json and the graph folders it names (model.json + weight
 * shards); the README, training records and evaluation tables stay out (pages fetch those apart).
 */
export function packBundle(folder: string): Uint8Array {
  const card = JSON.parse(readFileSync(path.join(folder, "card.json"), "utf8")) as {classifier: {path: string}; ood?: {path: string}; oodFeatures?: {path: string}};
  const graphFolders = [card.classifier.path, card.ood?.path].filter((p): p is string => !!p).map((p) => path.posix.dirname(p));
  const keep = (file: string) =>
    file === "card.json" || file === card.oodFeatures?.path || graphFolders.some((dir) => dir !== "." && file.startsWith(`${dir}/`));
  const files = folderFiles(folder).filter(keep);
  return encodePack(files.map((p) => ({path: p, bytes: new Uint8Array(readFileSync(path.join(folder, p)))})));
}

/** Files given by path relative to `root`, with `meta` in the header. */
export function packFiles(root: string, paths: string[], meta?: Record<string, unknown>): Uint8Array {
  return encodePack(paths.map((p) => ({path: p, bytes: new Uint8Array(readFileSync(path.join(root, p)))})), meta);
}
