/**
 * Loading models in a page: the site's bundles (one pack each, streamed with progress and kept in
 * IndexedDB so a second visit starts at once), a model folder the user opens (the project's
 * bundles or Chester's published folders, unchanged), or a same-origin folder URL
 * (?model=/path/&ood=/path/). Nothing is ever requested from another host.
 */
import {loadBundle, type Bundle} from "../pipeline/bundle/load.js";
import {decodePack, packSource} from "../pipeline/bundle/pack.js";
import {folderSources, sameOriginUrl} from "../pipeline/bundle/folder-source.js";
import {urlSource} from "../pipeline/bundle/source.js";

export {fetchCached, type FetchProgress} from "./site-cache.js";
import {fetchCached} from "./site-cache.js";

export {modelChoiceFromState, modelRefOf, progressLine, type ModelChoice} from "./model-choice.js";
import type {ModelChoice} from "./model-choice.js";

export interface LoadedModel {
  bundle: Bundle;
  description: string;
  /** Milliseconds from the start of the load to a warmed-up model. */
  loadMs: number;
  fromCache: boolean;
}

/** Loads the chosen model, reporting progress as text (and a fraction when known). */
export async function loadModel(choice: ModelChoice, onProgress: (text: string, fraction?: number) => void): Promise<LoadedModel> {
  const start = performance.now();
  let fromCache = false;
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  let bundle: Bundle;
  let description: string;
  const onFile = (event: {model: string; loadedFiles: number; totalFiles: number}) =>
    onProgress(`Reading ${event.model} weights: shard ${Math.min(event.loadedFiles + 1, event.totalFiles)} of ${event.totalFiles}`, event.loadedFiles / Math.max(1, event.totalFiles));
  if (choice.kind === "site") {
    description = choice.bundle.title;
    const bytes = await fetchCached(choice.bundle.pack.href, (p) => {
      fromCache = p.fromCache;
      onProgress(
        p.fromCache ? `Read ${mb(p.loadedBytes)} MB from this browser's cache` : `Downloading from this machine: ${mb(p.loadedBytes)} of ${mb(p.totalBytes)} MB`,
        p.totalBytes ? p.loadedBytes / p.totalBytes : undefined
      );
    }, choice.bundle.pack.size);
    onProgress("Building the graphs and warming up");
    bundle = await loadBundle(packSource(decodePack(bytes, choice.bundle.name), choice.bundle.name));
  } else if (choice.kind === "folder") {
    const sources = folderSources(choice.files);
    description = sources.description;
    bundle = await loadBundle(sources.model, {ood: sources.ood, onProgress: onFile});
  } else {
    const model = sameOriginUrl(choice.model, window.location.href);
    const ood = choice.ood ? sameOriginUrl(choice.ood, window.location.href) : undefined;
    description = ood ? `${model} with ${ood}` : model;
    bundle = await loadBundle(urlSource(model), {ood: ood ? urlSource(ood) : undefined, onProgress: onFile});
  }
  onProgress("Ready", 1);
  return {bundle, description, loadMs: performance.now() - start, fromCache};
}
