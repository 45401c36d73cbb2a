/**
 * Which model a page uses, and its status line. The model itself is loaded in the analysis worker
 * (workbench-worker.ts), so nothing here brings TF.js to the page.
 */
import {html} from "./html.js";
import {SITE_BUNDLES, type SiteBundle} from "./site-files.js";
import {workbench, type ModelRef} from "./workbench-state.js";

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
