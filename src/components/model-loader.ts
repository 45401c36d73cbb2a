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
import {html} from "./html.js";
import {SITE_BUNDLES, type SiteBundle} from "./site-files.js";
import {workbench, type ModelRef} from "./workbench-state.js";

export {fetchCached, type FetchProgress} from "./site-cache.js";
import {fetchCached} from "./site-cache.js";

/** Where a page's model comes from. */
export type ModelChoice =
  | {kind: "site"; bundle: SiteBundle}
  | {kind: "folder"; files: File[]}
  | {kind: "url"; model: string; ood?: string};

/**
 * The model the workbench state names (which the address sets: ?bundle=NAME picks a site bundle,
 * ?model=URL[&ood=URL] a same-origin folder). A folder opened on another page cannot follow (its
 * files are not kept): the default bundle stands in and the picker says so.
 */
export function modelChoiceFromState(model: ModelRef | null = workbench.get().model): ModelChoice {
  if (model?.kind === "url") return {kind: "url", model: model.model, ood: model.ood};
  const name = model?.kind === "site" ? model.name : null;
  return {kind: "site", bundle: SITE_BUNDLES.find((b) => b.name === name) ?? SITE_BUNDLES[0]!};
}

/** The state's reference for a choice (a folder by its description only). */
export function modelRefOf(choice: ModelChoice): ModelRef {
  if (choice.kind === "site") return {kind: "site", name: choice.bundle.name};
  if (choice.kind === "url") return {kind: "url", model: choice.model, ...(choice.ood ? {ood: choice.ood} : {})};
  return {kind: "folder", description: choice.files[0]?.webkitRelativePath.split("/")[0] ?? "a folder"};
}

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

/**
 * A status line with a progress bar, for long loads. `finish` puts the outcome in its place, inside
 * the same displayed node, so Framework clears it when the cell runs again (a node swapped in with
 * replaceWith would outlive the cell's next run).
 */
export function progressLine(initial = "Loading the model"): {
  node: HTMLElement;
  update: (text: string, fraction?: number) => void;
  finish: (content: Node) => void;
} {
  const bar = html`<progress max="1" style="width: 12rem; vertical-align: middle"></progress>` as HTMLProgressElement;
  const label = html`<span>${initial}</span>`;
  const line = html`<div class="progress-line" role="status" aria-live="polite">${bar} ${label}</div>`;
  const node = html`<div>${line}</div>`;
  return {
    node,
    update(text, fraction) {
      label.textContent = text;
      if (fraction === undefined) bar.removeAttribute("value");
      else bar.value = fraction;
    },
    finish(content) {
      node.replaceChildren(content);
    }
  };
}
