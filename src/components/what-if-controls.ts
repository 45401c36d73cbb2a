/**
 * The walkthrough's "what if" panel: the image before and after the edits, side by side; a slider
 * or switch per edit, each with its own label; an occluding patch the user drags on the "after"
 * image (or moves with the arrow keys). The preview redraws at once; the value (a WhatIfEdits) is
 * emitted only once the controls have been still for `debounceMs`, so dragging a slider asks for
 * one analysis, not one per pixel of travel.
 */
import {applyEdits, describeEdits, editProblems, NO_EDITS, patchRect, previewOf, type GreyImage, type WhatIfEdits} from "../pipeline/what-if.js";
import {greyCanvas} from "./grey-image.js";
import {html} from "./html.js";

export interface WhatIfControlsOptions {
  /** Quiet time before the edits are emitted, in milliseconds. */
  debounceMs?: number;
  /** Longest side of the previews, in image pixels (they are drawn with area averaging). */
  previewSide?: number;
  /** Displayed width of each preview, in CSS pixels. */
  width?: number;
  /** Edits to start from. */
  initial?: WhatIfEdits;
}

let ids = 0;
const uid = (name: string) => `what-if-${name}-${++ids}`;

interface Range {
  node: HTMLElement;
  input: HTMLInputElement;
  get: () => number;
  set: (v: number) => void;
}

/** A range input with a visible <label> (its accessible name) and the value printed beside it. */
function range(label: string, {min, max, step, value, format = (v: number) => String(v)}: {min: number; max: number; step: number; value: number; format?: (v: number) => string}): Range {
  const id = uid("range");
  const input = html`<input type="range" id=${id} min=${min} max=${max} step=${step}>` as HTMLInputElement;
  input.value = String(value);
  const output = html`<output for=${id}>${format(value)}</output>` as HTMLOutputElement;
  input.addEventListener("input", () => (output.value = format(Number(input.value))));
  const node = html`<div class="what-if-control"><label for=${id}>${label}</label>${input}${output}</div>` as HTMLElement;
  return {
    node,
    input,
    get: () => Number(input.value),
    set: (v) => {
      input.value = String(v);
      output.value = format(v);
    }
  };
}

function checkbox(label: string, checked = false): {node: HTMLElement; input: HTMLInputElement} {
  const id = uid("check");
  const input = html`<input type="checkbox" id=${id}>` as HTMLInputElement;
  input.checked = checked;
  return {node: html`<div class="what-if-control what-if-check">${input}<label for=${id}>${label}</label></div>` as HTMLElement, input};
}

function select<T extends string | number>(label: string, options: [string, T][], value: T): {node: HTMLElement; input: HTMLSelectElement; get: () => T} {
  const id = uid("select");
  const input = html`<select id=${id}>${options.map(([name], i) => html`<option value=${i}>${name}</option>`)}</select>` as HTMLSelectElement;
  input.value = String(Math.max(0, options.findIndex(([, v]) => v === value)));
  return {node: html`<div class="what-if-control"><label for=${id}>${label}</label>${input}</div>` as HTMLElement, input, get: () => options[Number(input.value)]![1]};
}

const TEXT_CORNERS: [string, [number, number]][] = [
  ["top left", [0.04, 0.04]],
  ["top right", [0.6, 0.04]],
  ["bottom left", [0.04, 0.86]],
  ["bottom right", [0.6, 0.86]]
];

/** The panel; its value is the WhatIfEdits last emitted (NO_EDITS, or `initial`, at first). */
export function whatIfControls(image: GreyImage, options: WhatIfControlsOptions = {}): HTMLElement & {value: WhatIfEdits} {
  const {debounceMs = 350, previewSide = 384, width = 360} = options;
  const start = options.initial ?? NO_EDITS;
  const preview = previewOf(image, previewSide);

  const before = greyCanvas(preview.data, preview.width, preview.height);
  const after = document.createElement("canvas");
  after.width = preview.width;
  after.height = preview.height;
  for (const canvas of [before, after]) {
    canvas.style.width = `${width}px`;
    canvas.style.height = "auto";
  }
  before.setAttribute("role", "img");
  before.setAttribute("aria-label", "The decoded image, before any edit");
  const patchHelpId = uid("patch-help");
  after.tabIndex = 0;
  after.className = "what-if-after";
  after.setAttribute("role", "application");
  after.setAttribute("aria-label", "The image after the edits. Occluding patch: drag it here, or move it with the arrow keys (Shift: larger steps); Delete removes it");
  after.setAttribute("aria-describedby", patchHelpId);

  const pct = (v: number) => `${Math.round(v * 100)} %`;
  const rotateControl = range("Rotate (degrees, clockwise)", {min: -180, max: 180, step: 1, value: start.rotate, format: (v) => `${v}°`});
  const zoomControl = range("Zoom (above 1 crops in, below 1 shrinks onto black)", {min: 0.5, max: 3, step: 0.05, value: start.zoom, format: (v) => `${v.toFixed(2)}x`});
  const zoomX = range("Zoom centre, across", {min: 0, max: 1, step: 0.01, value: start.zoomX, format: pct});
  const zoomY = range("Zoom centre, down", {min: 0, max: 1, step: 0.01, value: start.zoomY, format: pct});
  const flipH = checkbox("Flip left-right", start.flipHorizontal);
  const flipV = checkbox("Flip upside down", start.flipVertical);
  const invertControl = checkbox("Invert (swap black and white)", start.invert);
  const contrast = range("Contrast (1 = unchanged)", {min: 0, max: 3, step: 0.05, value: start.contrast, format: (v) => v.toFixed(2)});
  const gamma = range("Gamma (1 = unchanged; below 1 brightens the darks)", {min: 0.2, max: 3, step: 0.05, value: start.gamma, format: (v) => v.toFixed(2)});
  const noise = range("Noise (standard deviation per pixel)", {min: 0, max: 0.3, step: 0.005, value: start.noise, format: (v) => v.toFixed(3)});
  const seed = range("Noise seed", {min: 1, max: 50, step: 1, value: start.noiseSeed});
  const patchOn = checkbox("Occluding patch (drag it on the image)", start.patch !== null);
  const patchSize = range("Patch size (share of the short side)", {min: 0.05, max: 1, step: 0.01, value: start.patch?.size ?? 0.3, format: pct});
  const patchFill = select<number>("Patch colour", [["black", 0], ["mid grey", 0.5], ["white", 1]], start.patch?.value ?? 0);
  const textId = uid("text");
  const textInput = html`<input type="text" id=${textId} maxlength="40" placeholder="e.g. PORTABLE AP" autocomplete="off">` as HTMLInputElement;
  textInput.value = start.text?.text ?? "";
  const textSize = range("Text height (share of the image height)", {min: 0.02, max: 0.2, step: 0.01, value: start.text?.height ?? 0.06, format: pct});
  const textCorner = select<number>("Text position", TEXT_CORNERS.map(([name], i) => [name, i]), 0);
  const reset = html`<button type="button">Undo every edit</button>` as HTMLButtonElement;
  const problems = html`<p class="warning what-if-problems" role="alert" hidden></p>` as HTMLElement;
  const summary = html`<p class="what-if-summary" aria-live="polite"></p>` as HTMLElement;
  const patchHelp = html`<span id=${patchHelpId} class="muted"></span>` as HTMLElement;
  let patchX = start.patch?.x ?? 0.5;
  let patchY = start.patch?.y ?? 0.5;

  const current = (): WhatIfEdits => {
    const [x, y] = TEXT_CORNERS[textCorner.get()]![1];
    return {
      zoom: zoomControl.get(),
      zoomX: zoomX.get(),
      zoomY: zoomY.get(),
      rotate: rotateControl.get(),
      flipHorizontal: flipH.input.checked,
      flipVertical: flipV.input.checked,
      invert: invertControl.input.checked,
      contrast: contrast.get(),
      gamma: gamma.get(),
      patch: patchOn.input.checked ? {x: patchX, y: patchY, size: patchSize.get(), value: patchFill.get()} : null,
      text: textInput.value.trim() ? {text: textInput.value, x, y, height: textSize.get(), value: 1} : null,
      noise: noise.get(),
      noiseSeed: seed.get()
    };
  };

  const node = html`<div class="what-if">
    <div class="what-if-images">
      <figure><figcaption>Before: the decoded image</figcaption>${before}</figure>
      <figure><figcaption>After the edits (preview at screen size)</figcaption>${after}<div>${patchHelp}</div></figure>
    </div>
    ${summary}${problems}
    <div class="what-if-controls">
      <fieldset><legend>Geometry</legend>${rotateControl.node}${zoomControl.node}${zoomX.node}${zoomY.node}${flipH.node}${flipV.node}</fieldset>
      <fieldset><legend>Intensities</legend>${invertControl.node}${contrast.node}${gamma.node}${noise.node}${seed.node}</fieldset>
      <fieldset><legend>Drawn on the image</legend>${patchOn.node}${patchSize.node}${patchFill.node}
        <div class="what-if-control"><label for=${textId}>Burned-in text</label>${textInput}</div>${textSize.node}${textCorner.node}</fieldset>
    </div>
    <p>${reset}</p>
  </div>` as HTMLElement & {value: WhatIfEdits};
  node.value = start;

  const draw = (edits: WhatIfEdits) => {
    const edited = applyEdits(preview, edits);
    const context = after.getContext("2d")!;
    context.drawImage(greyCanvas(edited.data, edited.width, edited.height), 0, 0);
    if (edits.patch) {
      // A dashed outline, so the patch is visibly something to grab (drawn on the preview only).
      const {x0, y0, x1, y1} = patchRect(preview.width, preview.height, edits.patch);
      context.setLineDash([6, 4]);
      context.lineWidth = Math.max(2, preview.width / 150);
      context.strokeStyle = "#ff9f1c";
      context.strokeRect(x0, y0, x1 - x0, y1 - y0);
      context.setLineDash([]);
    }
    patchHelp.textContent = edits.patch
      ? `Patch centre at ${pct(edits.patch.x)} across, ${pct(edits.patch.y)} down; arrow keys move it, Delete removes it.`
      : "Click or drag on this image to place an occluding patch (or focus it and press an arrow key).";
    const words = describeEdits(edits);
    summary.textContent = words.length ? `Edits, in the order applied: ${words.join("; ")}.` : "No edits: the image as decoded.";
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  const emit = (edits: WhatIfEdits) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      node.value = edits;
      node.dispatchEvent(new Event("input", {bubbles: true}));
    }, debounceMs);
  };
  const update = () => {
    const edits = current();
    const found = editProblems(edits);
    problems.hidden = !found.length;
    problems.textContent = found.length ? `Not applied: ${found.join("; ")}. The analysis below is of the last edits that could be applied.` : "";
    if (found.length) return clearTimeout(timer);
    draw(edits);
    emit(edits);
  };

  // The controls' own events stop here: the page hears only the debounced value of the panel.
  const controls = node.querySelector(".what-if-controls")!;
  // Both events: some controls fire only one of them; the debounce makes a repeat harmless.
  for (const type of ["input", "change"]) controls.addEventListener(type, (event) => {
    event.stopPropagation();
    update();
  });

  const movePatch = (x: number, y: number) => {
    patchX = Math.min(1, Math.max(0, x));
    patchY = Math.min(1, Math.max(0, y));
    patchOn.input.checked = true;
    update();
  };
  const fromPointer = (event: PointerEvent) => {
    const box = after.getBoundingClientRect();
    movePatch((event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height);
  };
  after.addEventListener("pointerdown", (event) => {
    after.setPointerCapture(event.pointerId);
    after.focus();
    fromPointer(event);
  });
  after.addEventListener("pointermove", (event) => {
    if (after.hasPointerCapture(event.pointerId)) fromPointer(event);
  });
  after.addEventListener("keydown", (event) => {
    const step = event.shiftKey ? 0.1 : 0.02;
    const moves: Record<string, [number, number]> = {ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step]};
    if (moves[event.key]) {
      event.preventDefault();
      // The first key press places the patch where it was last (the centre at first).
      const [dx, dy] = patchOn.input.checked ? moves[event.key]! : [0, 0];
      movePatch(patchX + dx, patchY + dy);
    } else if ((event.key === "Delete" || event.key === "Backspace") && patchOn.input.checked) {
      event.preventDefault();
      patchOn.input.checked = false;
      update();
    }
  });
  reset.addEventListener("click", () => {
    for (const [control, v] of [[rotateControl, 0], [zoomControl, 1], [zoomX, 0.5], [zoomY, 0.5], [contrast, 1], [gamma, 1], [noise, 0], [seed, 1]] as [Range, number][]) control.set(v);
    for (const c of [flipH, flipV, invertControl, patchOn]) c.input.checked = false;
    textInput.value = "";
    patchX = patchY = 0.5;
    update();
  });

  draw(start);
  return node;
}
