/**
 * Model folders that come from the user: files picked with a folder input (webkitdirectory), and
 * folder URLs on the page's own origin. Pure: runs the same in Node (tests) and the browser.
 */
import {BundleError, type BundleSource} from "./source.js";

/** What a folder input gives for each file (a browser File satisfies it). */
export interface FolderFile {
  name: string;
  /** "picked-folder/sub/file.bin"; empty when the file was not picked as part of a folder. */
  webkitRelativePath: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** Refuses any URL off this page's origin: models come from this machine only. */
export function sameOriginUrl(url: string, base: string): string {
  const resolved = new URL(url, base);
  if (resolved.origin !== new URL(base).origin)
    throw new BundleError(`refusing to load a model from ${resolved.origin}: the workbench only reads models from this machine (${new URL(base).origin})`);
  return resolved.href.endsWith("/") ? resolved.href : `${resolved.href}/`;
}

/**
 * The files of a folder the user opened (input webkitdirectory), as bundle sources. The folder may
 * be a bundle (card.json), a Chester model folder (config.json + model.json), or a folder holding
 * those as subfolders, with Chester's autoencoder folder (model.json, no config.json) beside it.
 */
export function folderSources(files: FolderFile[]): {model: BundleSource; ood?: BundleSource; description: string} {
  const relative = (file: FolderFile) => (file.webkitRelativePath || file.name).split("/").slice(1).join("/") || file.name;
  const entries = files.map((file) => ({path: relative(file), file}));
  const root = files[0]?.webkitRelativePath.split("/")[0] ?? "folder";
  const source = (prefix: string, location: string): BundleSource => {
    const byPath = new Map(entries.filter((e) => e.path.startsWith(prefix)).map((e) => [e.path.slice(prefix.length), e.file]));
    return {
      location,
      async exists(path) {
        return byPath.has(path);
      },
      async readBytes(path) {
        const file = byPath.get(path);
        if (!file) throw new BundleError(`${location}/${path} is not in the folder you opened`);
        return new Uint8Array(await file.arrayBuffer());
      }
    };
  };
  const has = (path: string) => entries.some((e) => e.path === path);
  if (has("card.json") || has("config.json")) return {model: source("", root), description: root};
  const folders = [...new Set(entries.filter((e) => e.path.includes("/")).map((e) => e.path.split("/")[0]!))].sort();
  const bundle = folders.find((f) => has(`${f}/card.json`));
  if (bundle) return {model: source(`${bundle}/`, `${root}/${bundle}`), description: `${root}/${bundle}`};
  const chester = folders.find((f) => has(`${f}/config.json`) && has(`${f}/model.json`));
  if (!chester)
    throw new BundleError(`${root} holds no model: open a bundle folder (with card.json) or Chester's model folder (config.json + model.json)`);
  const ae = folders.find((f) => f !== chester && has(`${f}/model.json`) && !has(`${f}/config.json`));
  return {
    model: source(`${chester}/`, `${root}/${chester}`),
    ood: ae ? source(`${ae}/`, `${root}/${ae}`) : undefined,
    description: ae ? `${root}/${chester} with ${root}/${ae}` : `${root}/${chester}`
  };
}
