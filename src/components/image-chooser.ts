/**
 * Where the pages' images come from: a bundled sample or images the user opens or drops. The value
 * is whichever was chosen last, as a list of named image sources. It starts from the workbench state
 * (the image chosen or uploaded on any page) and writes every choice back, uploads included (their
 * files kept in this browser's IndexedDB, never in an address), so the next page shows the same image.
 */
import {html} from "./html.js";
import {folderPicker, imagePicker} from "./image-picker.js";
import {loadBoxedSamples, loadOriginals, loadSamples, sampleTitle, type SampleImages} from "./samples.js";
import type {ImageSource} from "./worker-protocol.js";
import {readUpload, saveUploads, workbench, type ImageRef} from "./workbench-state.js";

export interface ChosenImage {
  name: string;
  /** Relative to the data folder, for bundled samples (as in the audit tables). */
  samplePath?: string;
  /** The workbench state's reference to it. */
  ref?: ImageRef;
  /** The file: a sample's bytes, or an opened file as a Blob (the analysis worker reads it). */
  source(): Promise<ImageSource>;
}

/** The file of a state image reference: a sample of any of the site's image packs, or an upload. */
export async function resolveImage(ref: ImageRef, samples?: SampleImages): Promise<ChosenImage | null> {
  if (ref.kind === "upload") {
    const stored = await readUpload(ref.id);
    return stored ? {name: ref.name, ref, source: async () => stored} : null;
  }
  // Each of the site's packs in turn, fetched only when the earlier ones lack the path.
  for (const load of [async () => samples, loadSamples, loadOriginals, loadBoxedSamples]) {
    const bytes = (await load())?.bytes(ref.path);
    if (bytes) return {name: ref.name, samplePath: ref.path, ref, source: async () => bytes};
  }
  return null;
}

export async function imageChooser(samples: SampleImages, {multiple = true, defaultPath}: {multiple?: boolean; defaultPath?: string} = {}): Promise<HTMLElement & {value: ChosenImage[]}> {
  const state = workbench.get();
  const id = `sample-select-${Math.random().toString(36).slice(2)}`;
  const UPLOADED = "__current__";
  const select = html`<select id=${id}>${samples.rows.map((r) => html`<option value=${r.path}>${sampleTitle(r)}</option>`)}</select>` as HTMLSelectElement;
  const picker = imagePicker({label: multiple ? "Open images" : "Open an image", multiple});
  const missing = html`<p class="warning" role="alert" hidden></p>` as HTMLElement;
  // A path from an audit of the user's own data: they open the folder it is relative to.
  const dataFolder = folderPicker({label: "Open the folder the audit's paths are relative to"});
  dataFolder.hidden = true;
  const node = html`<div class="image-chooser"><div><label for=${id}>Bundled sample</label> ${select}</div>${picker}${missing}${dataFolder}</div>` as HTMLElement & {value: ChosenImage[]};
  const fromSample = (path: string): ChosenImage[] => {
    const bytes = samples.bytes(path);
    return bytes ? [{name: path.split("/").pop()!, samplePath: path, ref: {kind: "sample", path, name: path.split("/").pop()!}, source: async () => bytes}] : [];
  };

  // The state's images (all of them where the page takes several, else the current one).
  const wanted = multiple ? state.images : state.images.slice(state.current, state.current + 1);
  const resolved = (await Promise.all(wanted.map((ref) => resolveImage(ref, samples)))).filter((x): x is ChosenImage => x !== null);
  const lost = wanted.filter((ref) => !resolved.some((r) => r.ref === ref));
  if (lost.length) {
    missing.hidden = false;
    const first = lost[0]!;
    if (first.kind === "sample") {
      dataFolder.hidden = false;
      missing.textContent = `${first.path} is not among the site's bundled sample images: open the folder it is relative to (the audit's --images folder), or the file itself with "Open images". Nothing is uploaded.`;
    } else missing.textContent = `${lost.map((r) => r.name).join(", ")} opened earlier ${lost.length > 1 ? "are" : "is"} no longer in this browser's storage: open ${lost.length > 1 ? "them" : "it"} again.`;
  }
  const current = resolved[0];
  if (current && !(current.samplePath && samples.bytes(current.samplePath) && resolved.length === 1)) {
    // The state's image is not one of this list's samples: show it as the current choice.
    select.prepend(html`<option value=${UPLOADED}>${resolved.length > 1 ? `${resolved.length} images opened earlier` : `${current.name} (${current.ref?.kind === "upload" ? "opened earlier" : "chosen on another page"})`}</option>` as HTMLOptionElement);
    select.value = UPLOADED;
  } else if (current?.samplePath) select.value = current.samplePath;
  else if (defaultPath && samples.bytes(defaultPath)) select.value = defaultPath;
  node.value = resolved.length ? resolved : fromSample(select.value);
  // The image shown is the workbench's current image from now on, on every page.
  if (!resolved.length && !lost.length && node.value[0]?.ref) workbench.update({images: [node.value[0].ref], current: 0});

  const emit = (value: ChosenImage[], refs: ImageRef[]) => {
    node.value = value;
    if (refs.length) workbench.update({images: refs, current: 0});
    node.dispatchEvent(new Event("input", {bubbles: true}));
  };
  select.addEventListener("input", (event) => {
    event.stopPropagation();
    missing.hidden = true;
    if (select.value === UPLOADED) return emit(resolved, resolved.map((r) => r.ref!));
    const chosen = fromSample(select.value);
    emit(chosen, chosen.map((c) => c.ref!));
  });
  select.addEventListener("change", (event) => event.stopPropagation());
  dataFolder.addEventListener("input", async (event) => {
    event.stopPropagation();
    const path = lost.find((r) => r.kind === "sample")?.kind === "sample" ? (lost.find((r) => r.kind === "sample") as {path: string}).path : "";
    const file = dataFolder.value.find((f) => f.webkitRelativePath.split("/").slice(1).join("/") === path);
    if (!file) {
      missing.textContent = `${path} is not in the folder you opened (${dataFolder.value[0]?.webkitRelativePath.split("/")[0] ?? "empty"}): open the folder given to the audit as --images.`;
      return;
    }
    missing.hidden = true;
    const refs = await saveUploads([file]);
    emit([{name: file.name, ref: refs[0], source: async () => file}], refs);
  });
  picker.addEventListener("input", async (event) => {
    event.stopPropagation();
    if (!picker.value.length) return;
    missing.hidden = true;
    const files = picker.value;
    const refs = await saveUploads(files);
    emit(files.map((file, i) => ({name: file.name, ref: refs[i], source: async () => file})), refs);
  });
  return node;
}
