/**
 * Where the pages' images come from: a bundled sample or images the user opens or drops. The value
 * is whichever was chosen last, as a list of named byte sources.
 */
import {html} from "./html.js";
import {folderPicker, imagePicker} from "./image-picker.js";
import {sampleTitle, type SampleImages} from "./samples.js";

export interface ChosenImage {
  name: string;
  /** Relative to the data folder, for bundled samples (as in the audit tables). */
  samplePath?: string;
  bytes(): Promise<Uint8Array>;
}

export function imageChooser(samples: SampleImages, {initialPath, multiple = true}: {initialPath?: string | null; multiple?: boolean} = {}): HTMLElement & {value: ChosenImage[]} {
  const id = `sample-select-${Math.random().toString(36).slice(2)}`;
  const select = html`<select id=${id}>${samples.rows.map((r) => html`<option value=${r.path}>${sampleTitle(r)}</option>`)}</select>` as HTMLSelectElement;
  const picker = imagePicker({label: multiple ? "Open images" : "Open an image", multiple});
  const missing = html`<p class="warning" role="alert" hidden></p>` as HTMLElement;
  // A path from an audit of the user's own data: they open the folder it is relative to.
  const dataFolder = folderPicker({label: "Open the folder the audit's paths are relative to"});
  dataFolder.hidden = true;
  const node = html`<div class="image-chooser"><div><label for=${id}>Bundled sample</label> ${select}</div>${picker}${missing}${dataFolder}</div>` as HTMLElement & {value: ChosenImage[]};
  const fromSample = (path: string): ChosenImage[] => {
    const bytes = samples.bytes(path);
    return bytes ? [{name: path.split("/").pop()!, samplePath: path, bytes: async () => bytes}] : [];
  };
  if (initialPath && !samples.bytes(initialPath)) {
    missing.hidden = false;
    dataFolder.hidden = false;
    missing.textContent = `${initialPath} is not among the site's bundled sample images: open the folder it is relative to (the audit's --images folder), or the file itself with "Open images". Nothing is uploaded.`;
  }
  if (initialPath && samples.bytes(initialPath)) select.value = initialPath;
  node.value = fromSample(select.value);
  const emit = (value: ChosenImage[]) => {
    node.value = value;
    node.dispatchEvent(new Event("input", {bubbles: true}));
  };
  select.addEventListener("input", (event) => {
    event.stopPropagation();
    missing.hidden = true;
    emit(fromSample(select.value));
  });
  select.addEventListener("change", (event) => event.stopPropagation());
  dataFolder.addEventListener("input", (event) => {
    event.stopPropagation();
    const wanted = initialPath ?? "";
    const file = dataFolder.value.find((f) => f.webkitRelativePath.split("/").slice(1).join("/") === wanted);
    if (!file) {
      missing.textContent = `${wanted} is not in the folder you opened (${dataFolder.value[0]?.webkitRelativePath.split("/")[0] ?? "empty"}): open the folder given to the audit as --images.`;
      return;
    }
    missing.hidden = true;
    emit([{name: file.name, bytes: async () => new Uint8Array(await file.arrayBuffer())}]);
  });
  picker.addEventListener("input", (event) => {
    event.stopPropagation();
    if (!picker.value.length) return;
    missing.hidden = true;
    emit(picker.value.map((file) => ({name: file.name, bytes: async () => new Uint8Array(await file.arrayBuffer())})));
  });
  return node;
}
