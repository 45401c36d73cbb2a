/**
 * The model control every page shares: the site's bundles, or a model folder on this machine (the
 * project's bundle format or Chester's published folders). Its value is a ModelChoice. It starts
 * from the workbench state (the model chosen on any page, or the address's ?bundle= / ?model=&ood=)
 * and writes the choice back, so the next page opens with the same model.
 */
import {html} from "./html.js";
import {folderPicker} from "./image-picker.js";
import {modelChoiceFromState, modelRefOf, type ModelChoice} from "./model-choice.js";
import {workbench} from "./workbench-state.js";
import {SITE_BUNDLES} from "./site-files.js";

const FOLDER = "__folder__";

export function modelPicker(): HTMLElement & {value: ModelChoice} {
  const initial = modelChoiceFromState();
  const remembered = workbench.get().model;
  const id = `model-select-${Math.random().toString(36).slice(2)}`;
  const select = html`<select id=${id}>
    ${SITE_BUNDLES.map((b) => html`<option value=${b.name}>${b.title}</option>`)}
    <option value=${FOLDER}>A model folder on this machine…</option>
  </select>` as HTMLSelectElement;
  if (initial.kind === "url") {
    select.prepend(html`<option value="__url__">${initial.model}</option>` as HTMLOptionElement);
    select.value = "__url__";
  } else if (initial.kind === "site") select.value = initial.bundle.name;
  const folder = folderPicker({label: "Model folder (a bundle, or Chester's model folders)"});
  folder.hidden = true;
  const node = html`<div class="model-picker"><label for=${id}>Model</label> ${select} ${folder}</div>` as HTMLElement & {value: ModelChoice};
  node.value = initial;
  if (remembered?.kind === "folder")
    folder.before(html`<p class="muted" role="status">The model folder opened on another page (${remembered.description}) is not kept between pages: open it again, or use ${initial.kind === "site" ? initial.bundle.title : "the model above"}.</p>`);
  const emit = (value: ModelChoice) => {
    node.value = value;
    workbench.update({model: modelRefOf(value)});
    node.dispatchEvent(new Event("input", {bubbles: true}));
  };
  select.addEventListener("input", (event) => {
    event.stopPropagation();
    folder.hidden = select.value !== FOLDER;
    if (select.value === FOLDER) {
      if (folder.value.length) emit({kind: "folder", files: folder.value});
      return;
    }
    if (select.value === "__url__" && initial.kind === "url") return emit(initial);
    emit({kind: "site", bundle: SITE_BUNDLES.find((b) => b.name === select.value)!});
  });
  select.addEventListener("change", (event) => event.stopPropagation());
  folder.addEventListener("input", (event) => {
    event.stopPropagation();
    if (folder.value.length) emit({kind: "folder", files: folder.value});
  });
  return node;
}
