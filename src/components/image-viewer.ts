/**
 * An image viewer as in any DICOM viewer, for display only (the model's input never changes):
 * window/level by dragging, by sliders or by keys, starting at the window the analysis used (a
 * DICOM's own window, else the full range) with a reset; zoom by wheel, buttons or keys; pan by
 * dragging or arrow keys. It works on the viewer's copy of the decoded image
 * (pipeline/display-window.ts), windowed through a lookup table, so a change costs one pass over
 * at most 1024 x 1024 values.
 */
import {unitValue, windowLut, type DisplayWindow, type ViewImage} from "../pipeline/display-window.js";
import {html} from "./html.js";

export interface ImageViewerOptions {
  /** Shown under the image. */
  label?: string;
  /** Largest CSS width of the image, in pixels (it shrinks with the page). */
  maxWidth?: number;
}

export type ImageViewer = HTMLElement & {
  /** The current window, in the image's units. */
  window(): DisplayWindow;
  setWindow(window: DisplayWindow): void;
  zoom(): number;
};

const MIN_ZOOM = 1;
const MAX_ZOOM = 32;
const digits = (range: number) => (range >= 100 ? 0 : range >= 10 ? 1 : 2);

export function imageViewer(view: ViewImage, options: ImageViewerOptions = {}): ImageViewer {
  const range = view.high - view.low;
  const fmt = (v: number) => v.toFixed(digits(range));
  const start: DisplayWindow = {center: view.start.center, width: view.start.width};
  let window: DisplayWindow = {...start};
  let zoom = 1;
  // The image point at the middle of the canvas (image pixels of the viewer's copy).
  let cx = view.width / 2;
  let cy = view.height / 2;
  let mode: "window" | "pan" = "window";

  const bitmap = document.createElement("canvas");
  bitmap.width = view.width;
  bitmap.height = view.height;
  const bitmapContext = bitmap.getContext("2d")!;
  const pixels = bitmapContext.createImageData(view.width, view.height);
  for (let i = 3; i < pixels.data.length; i += 4) pixels.data[i] = 255;

  const canvas = html`<canvas class="viewer-canvas" tabindex="0" role="img"
    aria-label=${`${options.label ?? "The image"}; arrow keys pan, + and - zoom, 0 fits, Shift with arrows changes the window, R resets it`}></canvas>` as HTMLCanvasElement;
  canvas.style.aspectRatio = `${view.width} / ${view.height}`;
  canvas.style.maxWidth = `${options.maxWidth ?? 560}px`;
  const context = canvas.getContext("2d")!;

  const button = (text: string, title: string, action: () => void) => {
    const b = html`<button type="button" title=${title}>${text}</button>` as HTMLButtonElement;
    b.addEventListener("click", action);
    return b;
  };
  const windowMode = button("Drag: window/level", "Dragging changes the window: right/left widens/narrows it, down/up raises/lowers its centre", () => setMode("window"));
  const panMode = button("Drag: pan", "Dragging moves the image (when zoomed in)", () => setMode("pan"));
  const zoomIn = button("Zoom in (+)", "Zoom in", () => zoomBy(2));
  const zoomOut = button("Zoom out (−)", "Zoom out", () => zoomBy(0.5));
  const fit = button("Fit (0)", "The whole image", () => setZoom(1, view.width / 2, view.height / 2));
  const reset = button("Reset window (R)", `Back to ${view.start.source}: centre ${fmt(start.center)}, width ${fmt(start.width)}`, () => setWindow(start));

  const slider = (label: string, min: number, max: number, value: number) => {
    const id = `viewer-${label.replace(/\W+/g, "-")}-${Math.random().toString(36).slice(2)}`;
    const step = range / 1000;
    const rangeInput = html`<input type="range" id=${id} min=${min} max=${max} step=${step} value=${value} aria-label=${label}>` as HTMLInputElement;
    const numberInput = html`<input type="number" step="any" value=${fmt(value)} aria-label=${`${label} (exact)`}>` as HTMLInputElement;
    const node = html`<div class="viewer-slider"><label for=${id}>${label}</label>${rangeInput}${numberInput}</div>` as HTMLElement;
    return {node, rangeInput, numberInput};
  };
  const centre = slider("Window centre", view.low - range / 2, view.high + range / 2, start.center);
  const width = slider("Window width", Math.min(1, range / 1000), 2 * range, start.width);
  for (const [control, key] of [[centre, "center"], [width, "width"]] as const) {
    // Typing and sliding never reach the page (Framework would take them as this cell's value).
    for (const input of [control.rangeInput, control.numberInput]) {
      input.addEventListener("input", (event) => {
        event.stopPropagation();
        const value = Number(input.value);
        if (Number.isFinite(value) && (key === "center" || value > 0)) setWindow({...window, [key]: value}, input);
      });
      input.addEventListener("change", (event) => event.stopPropagation());
    }
  }

  const readout = html`<p class="viewer-readout" aria-live="polite"></p>` as HTMLElement;
  const probe = html`<span class="viewer-probe muted"></span>` as HTMLElement;
  const node = html`<figure class="image-viewer">
    <div class="viewer-toolbar" role="toolbar" aria-label="Image viewer">${windowMode}${panMode}${zoomIn}${zoomOut}${fit}${reset}</div>
    ${canvas}
    <div class="viewer-sliders">${centre.node}${width.node}</div>
    ${readout}
    <figcaption>${options.label ? html`${options.label}. ` : ""}For display only: the window, zoom and pan change what you see here, never the
      model's input (analysed at ${view.start.source}). ${view.width < view.sourceWidth ? `Shown at ${view.width} x ${view.height} of ${view.sourceWidth} x ${view.sourceHeight} pixels. ` : ""}${probe}</figcaption>
  </figure>` as ImageViewer;

  function setMode(next: "window" | "pan") {
    mode = next;
    windowMode.setAttribute("aria-pressed", String(mode === "window"));
    panMode.setAttribute("aria-pressed", String(mode === "pan"));
  }

  function renderBitmap() {
    const lut = windowLut(view, window);
    const data = pixels.data;
    for (let i = 0, j = 0; i < view.values.length; i++, j += 4) {
      const v = lut[view.values[i]!]!;
      data[j] = v;
      data[j + 1] = v;
      data[j + 2] = v;
    }
    bitmapContext.putImageData(pixels, 0, 0);
  }

  let frame = 0;
  let bitmapStale = true;
  function schedule(windowChanged = false) {
    bitmapStale ||= windowChanged;
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      if (bitmapStale) renderBitmap();
      bitmapStale = false;
      draw();
    });
  }

  /** The canvas's scale (canvas pixels per image pixel) at the current zoom. */
  function scale() {
    return Math.min(canvas.width / view.width, canvas.height / view.height) * zoom;
  }

  function draw() {
    const box = canvas.getBoundingClientRect();
    const ratio = globalThis.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(box.width * ratio));
    const h = Math.max(1, Math.round(box.height * ratio));
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    const s = scale();
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.fillStyle = "black";
    context.fillRect(0, 0, w, h);
    // Magnified pixels stay sharp: this is for looking closely.
    context.imageSmoothingEnabled = s < 2;
    context.setTransform(s, 0, 0, s, w / 2 - cx * s, h / 2 - cy * s);
    context.drawImage(bitmap, 0, 0);
    context.setTransform(1, 0, 0, 1, 0, 0);
    readout.dataset.center = String(window.center);
    readout.dataset.width = String(window.width);
    readout.dataset.zoom = String(zoom);
    const changed = window.center !== start.center || window.width !== start.width;
    readout.textContent = `Window centre ${fmt(window.center)}, width ${fmt(window.width)} (${view.unit}s)${changed ? `; the analysis used centre ${fmt(start.center)}, width ${fmt(start.width)}` : `: ${view.start.source}, as analysed`}. Zoom ${zoom.toFixed(zoom < 10 ? 1 : 0)}×.`;
  }

  function clampPan() {
    cx = Math.min(view.width, Math.max(0, cx));
    cy = Math.min(view.height, Math.max(0, cy));
  }

  function setWindow(next: DisplayWindow, from?: HTMLInputElement) {
    window = {center: next.center, width: Math.max(view.fn === "LINEAR" ? 1 : range / 1e6, next.width)};
    for (const [control, value] of [[centre, window.center], [width, window.width]] as const) {
      if (control.rangeInput !== from) control.rangeInput.value = String(value);
      if (control.numberInput !== from) control.numberInput.value = fmt(value);
    }
    schedule(true);
  }

  function setZoom(next: number, atX = cx, atY = cy, anchor?: {x: number; y: number}) {
    const before = scale();
    zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, next));
    if (anchor) {
      // Keep the image point under the pointer where it is.
      const after = scale();
      cx = atX + (anchor.x - canvas.width / 2) * (1 / before - 1 / after);
      cy = atY + (anchor.y - canvas.height / 2) * (1 / before - 1 / after);
    } else {
      cx = atX;
      cy = atY;
    }
    // At 1x the whole image fits: centred.
    if (zoom === 1) [cx, cy] = [view.width / 2, view.height / 2];
    clampPan();
    schedule();
  }
  const zoomBy = (factor: number) => setZoom(zoom * factor);
  function panBy(dx: number, dy: number) {
    cx += dx;
    cy += dy;
    clampPan();
    schedule();
  }

  const canvasPoint = (event: MouseEvent) => {
    const box = canvas.getBoundingClientRect();
    return {x: ((event.clientX - box.left) * canvas.width) / box.width, y: ((event.clientY - box.top) * canvas.height) / box.height};
  };

  let drag: {x: number; y: number; mode: "window" | "pan"; window: DisplayWindow; cx: number; cy: number} | null = null;
  canvas.addEventListener("pointerdown", (event) => {
    canvas.focus();
    canvas.setPointerCapture(event.pointerId);
    const other = mode === "window" ? "pan" : "window";
    drag = {x: event.clientX, y: event.clientY, mode: event.shiftKey || event.button === 1 ? other : mode, window: {...window}, cx, cy};
    event.preventDefault();
  });
  canvas.addEventListener("pointermove", (event) => {
    const p = canvasPoint(event);
    const s = scale();
    const ix = Math.floor(cx + (p.x - canvas.width / 2) / s);
    const iy = Math.floor(cy + (p.y - canvas.height / 2) / s);
    probe.textContent = ix >= 0 && iy >= 0 && ix < view.width && iy < view.height
      ? `Under the pointer: ${fmt(unitValue(view, view.values[iy * view.width + ix]!))} at (${Math.floor((ix * view.sourceWidth) / view.width)}, ${Math.floor((iy * view.sourceHeight) / view.height)}).`
      : "";
    if (!drag) return;
    const box = canvas.getBoundingClientRect();
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (drag.mode === "window") {
      // Across the whole image: the whole range of values.
      setWindow({center: drag.window.center + (dy / box.height) * range, width: drag.window.width + (dx / box.width) * range});
    } else {
      const ratio = canvas.width / box.width;
      cx = drag.cx - (dx * ratio) / s;
      cy = drag.cy - (dy * ratio) / s;
      clampPan();
      schedule();
    }
  });
  const endDrag = () => (drag = null);
  canvas.addEventListener("pointerup", endDrag);
  canvas.addEventListener("pointercancel", endDrag);
  canvas.addEventListener("pointerleave", () => (probe.textContent = ""));
  canvas.addEventListener("wheel", (event) => {
    event.preventDefault();
    setZoom(zoom * 1.15 ** (-event.deltaY / 100), cx, cy, canvasPoint(event));
  }, {passive: false});
  // Keys work wherever the focus is in the viewer (the image or its buttons), except in its boxes and sliders.
  node.addEventListener("keydown", (event) => {
    if ((event.target as HTMLElement).tagName === "INPUT" || event.ctrlKey || event.metaKey || event.altKey) return;
    const stepX = view.width / (8 * zoom);
    const stepY = view.height / (8 * zoom);
    const key = event.key;
    if (event.shiftKey && key.startsWith("Arrow")) {
      const w = window.width;
      if (key === "ArrowRight") setWindow({...window, width: w * 1.1});
      else if (key === "ArrowLeft") setWindow({...window, width: w / 1.1});
      else if (key === "ArrowUp") setWindow({...window, center: window.center + 0.025 * range});
      else setWindow({...window, center: window.center - 0.025 * range});
    } else if (key === "ArrowLeft") panBy(-stepX, 0);
    else if (key === "ArrowRight") panBy(stepX, 0);
    else if (key === "ArrowUp") panBy(0, -stepY);
    else if (key === "ArrowDown") panBy(0, stepY);
    else if (key === "+" || key === "=") zoomBy(2);
    else if (key === "-" || key === "_") zoomBy(0.5);
    else if (key === "0") setZoom(1, view.width / 2, view.height / 2);
    else if (key === "r" || key === "R") setWindow(start);
    else return;
    event.preventDefault();
  });
  // The canvas follows the page's width (and projector mode).
  new ResizeObserver(() => schedule()).observe(canvas);

  node.window = () => ({...window});
  node.setWindow = (next) => setWindow(next);
  node.zoom = () => zoom;
  setMode("window");
  schedule(true);
  return node;
}
