/**
 * The model control every page shares: the site's bundles, or a model folder on this machine (the
 * project's bundle format or Chester's published folders). Its value is a ModelChoice; the page's
 * address (?bundle=, ?model=&ood=) sets the initial one.
 */
import {html} from "./html.js";
import {folderPicker} from "./image-picker.js";
import {modelChoiceFromLocation, type ModelChoice} from "./model-loader.js";
import {SITE_BUNDLES} from "./site-files.js";

const FOLDER = "__folder__";

export function modelPicker(): HTMLElement & {value: ModelChoice} {
  const initial = modelChoiceFromLocation();
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
  const emit = (value: ModelChoice) => {
    node.value = value;
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
