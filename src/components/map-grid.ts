/**
 * Explanation maps as captioned figures in a row, the raw low-resolution map drawn cell by cell
 * (no smoothing, so a student sees the feature-map grid), and a sheet of canvases for PNG export.
 */
import type {HeatMap} from "../pipeline/explain/index.js";
import {overlayCanvas, type OverlayOptions} from "./heatmap.js";
import {html} from "./html.js";

/** The map repeated cell by cell up to size x size (nearest neighbour): what "no upsampling" looks like. */
export function nearestMap(map: HeatMap, size: number): HeatMap {
  const data = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    const row = Math.min(map.height - 1, Math.floor((y * map.height) / size));
    for (let x = 0; x < size; x++) data[y * size + x] = map.data[row * map.width + Math.min(map.width - 1, Math.floor((x * map.width) / size))]!;
  }
  return {width: size, height: size, data};
}

export interface MapPanel {
  /** Short title above the picture, e.g. "Grad-CAM". */
  title: string;
  /** One sentence under it: what the picture shows, its time. */
  caption?: string;
  canvas: HTMLCanvasElement;
}

/** A panel of the grey image (size x size) with `map` over it (null: the image alone). */
export function mapPanel(grey: ArrayLike<number>, size: number, map: HeatMap | null, title: string, caption = "", options: OverlayOptions = {}): MapPanel {
  return {title, caption, canvas: overlayCanvas(grey, size, map, options)};
}

/** Panels side by side; each canvas is an image with its title as accessible name. */
export function mapGrid(panels: MapPanel[], {width = 220, className = ""}: {width?: number; className?: string} = {}): HTMLElement {
  return html`<div class=${`map-grid ${className}`} style=${`display:grid;grid-template-columns:repeat(auto-fill,minmax(${width}px,1fr));gap:0.8rem;max-width:${panels.length * (width + 16)}px`}>
    ${panels.map((p) => {
      p.canvas.style.width = `${width}px`;
      p.canvas.style.height = "auto";
      p.canvas.setAttribute("role", "img");
      p.canvas.setAttribute("aria-label", p.caption ? `${p.title}: ${p.caption}` : p.title);
      p.canvas.dataset.title = p.title;
      return html`<figure class="map-figure" style="margin:0">
        <div style="font-weight:600;font-size:0.9rem">${p.title}</div>
        ${p.canvas}
        ${p.caption ? html`<figcaption>${p.caption}</figcaption>` : ""}
      </figure>`;
    })}
  </div>` as HTMLElement;
}

/** The panels on one white canvas with their titles under them (the PNG a user downloads). */
export function panelSheet(panels: MapPanel[], {columns = panels.length, heading = ""}: {columns?: number; heading?: string} = {}): HTMLCanvasElement {
  const cell = Math.max(...panels.map((p) => p.canvas.width));
  const rows = Math.ceil(panels.length / columns);
  const top = heading ? 26 : 0;
  const canvas = document.createElement("canvas");
  canvas.width = cell * columns;
  canvas.height = top + rows * (cell + 24);
  const context = canvas.getContext("2d")!;
  context.fillStyle = "white";
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.fillStyle = "black";
  context.font = "14px sans-serif";
  if (heading) context.fillText(heading, 6, 18);
  panels.forEach((p, i) => {
    const x = (i % columns) * cell;
    const y = top + Math.floor(i / columns) * (cell + 24);
    context.imageSmoothingEnabled = false;
    context.drawImage(p.canvas, x, y, cell, cell);
    context.fillText(p.title, x + 6, y + cell + 17);
  });
  return canvas;
}

/** Whether a map holds one value everywhere (e.g. Grad-CAM of a finding with no positive evidence): it points nowhere. */
export function isFlatMap(map: HeatMap): boolean {
  const first = map.data[0] ?? 0;
  return map.data.every((v) => v === first);
}
