/**
 * Choosing images: a labelled file input (several files) that is also a drop zone. Its value is
 * the File[] chosen last (empty before any), and it fires "input" like every Observable input.
 */
import {html} from "./html.js";

export const IMAGE_ACCEPT = ".png,.jpg,.jpeg,.dcm,.dicom,image/png,image/jpeg,application/dicom";

export function imagePicker({label = "Open images", multiple = true} = {}): HTMLElement & {value: File[]} {
  const input = html`<input type="file" accept=${IMAGE_ACCEPT} ?multiple=${multiple}>` as HTMLInputElement;
  input.multiple = multiple;
  const id = `image-picker-${Math.random().toString(36).slice(2)}`;
  input.id = id;
  const zone = html`<div class="drop-zone">
    <label for=${id}>${label}</label> ${input}
    <span class="muted">or drop PNG, JPEG or DICOM files here</span>
  </div>` as HTMLElement & {value: File[]};
  zone.value = [];
  const set = (files: File[]) => {
    zone.value = files;
    zone.dispatchEvent(new Event("input", {bubbles: true}));
  };
  input.addEventListener("input", (event) => {
    event.stopPropagation();
    set([...(input.files ?? [])]);
  });
  input.addEventListener("change", (event) => event.stopPropagation());
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("drop-zone--over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("drop-zone--over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("drop-zone--over");
    const files = [...(event.dataTransfer?.files ?? [])];
    if (files.length) set(multiple ? files : files.slice(0, 1));
  });
  return zone;
}

/** A labelled folder input (webkitdirectory): value is the folder's File[] (empty before any). */
export function folderPicker({label = "Open a model folder"} = {}): HTMLElement & {value: File[]} {
  const id = `folder-picker-${Math.random().toString(36).slice(2)}`;
  const input = html`<input type="file" id=${id} webkitdirectory multiple>` as HTMLInputElement;
  const node = html`<div class="folder-picker"><label for=${id}>${label}</label> ${input}</div>` as HTMLElement & {value: File[]};
  node.value = [];
  input.addEventListener("input", (event) => {
    event.stopPropagation();
    node.value = [...(input.files ?? [])];
    node.dispatchEvent(new Event("input", {bubbles: true}));
  });
  input.addEventListener("change", (event) => event.stopPropagation());
  return node;
}
