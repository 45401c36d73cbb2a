/** Heat maps over images: canvases that can also be exported as PNG. */
import {interpolateInferno, interpolateTurbo, rgb} from "d3";
import type {HeatMap} from "../pipeline/explain/index.js";
import {captioned, greyCanvas} from "./grey-image.js";

export type Colormap = "turbo" | "inferno";

export interface OverlayOptions {
  /** Opacity of the map over the image, 0-1. */
  opacity?: number;
  colormap?: Colormap;
  /** Displayed width in CSS pixels. */
  width?: number;
  label?: string;
  /** Scale the map to [0, 1] by its own min and max (default), or clamp raw values to [0, 1]. */
  normalise?: boolean;
}

function scaled(map: ArrayLike<number>, normalise: boolean): Float32Array {
  const out = Float32Array.from(map as ArrayLike<number>);
  if (!normalise) return out.map((v) => Math.min(1, Math.max(0, v)));
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of out) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi - lo || 1;
  return out.map((v) => (v - lo) / span);
}

/** A canvas of the grey image (size x size, values in [0, 1]) with the map blended over it. */
export function overlayCanvas(grey: ArrayLike<number>, size: number, map: HeatMap | null, options: OverlayOptions = {}): HTMLCanvasElement {
  const canvas = greyCanvas(grey, size, size);
  const context = canvas.getContext("2d")!;
  if (map) {
    const colour = (options.colormap ?? "turbo") === "turbo" ? interpolateTurbo : interpolateInferno;
    const heat = scaled(map.data, options.normalise ?? true);
    const layer = document.createElement("canvas");
    layer.width = map.width;
    layer.height = map.height;
    const layerContext = layer.getContext("2d")!;
    const pixels = layerContext.createImageData(map.width, map.height);
    const lut = Array.from({length: 256}, (_, i) => {
      const c = rgb(colour(i / 255));
      return [c.r, c.g, c.b];
    });
    const out = pixels.data;
    heat.forEach((v, i) => {
      const [r, g, b] = lut[Math.round(v * 255)]!;
      out[i * 4] = r!;
      out[i * 4 + 1] = g!;
      out[i * 4 + 2] = b!;
      out[i * 4 + 3] = 255;
    });
    layerContext.putImageData(pixels, 0, 0);
    context.globalAlpha = options.opacity ?? 0.5;
    context.imageSmoothingEnabled = true;
    context.drawImage(layer, 0, 0, size, size);
    context.globalAlpha = 1;
  }
  return canvas;
}

/** A captioned figure of overlayCanvas. */
export function heatOverlay(grey: ArrayLike<number>, size: number, map: HeatMap | null, options: OverlayOptions = {}): HTMLElement {
  const canvas = overlayCanvas(grey, size, map, options);
  canvas.style.width = `${options.width ?? 240}px`;
  canvas.style.height = "auto";
  canvas.setAttribute("role", "img");
  if (options.label) canvas.setAttribute("aria-label", options.label);
  return captioned(canvas, options.label, "heat-figure");
}

/** A horizontal colour bar for the legend of a map. */
export function colourBar(colormap: Colormap = "turbo", labels: [string, string] = ["low", "high"]): HTMLElement {
  const colour = colormap === "turbo" ? interpolateTurbo : interpolateInferno;
  const stops = Array.from({length: 11}, (_, i) => `${colour(i / 10)} ${i * 10}%`).join(", ");
  const bar = document.createElement("div");
  bar.className = "colour-bar";
  bar.innerHTML = `<span>${labels[0]}</span><span style="display:inline-block;width:10rem;height:0.7rem;vertical-align:middle;margin:0 0.4rem;background:linear-gradient(to right, ${stops})"></span><span>${labels[1]}</span>`;
  return bar;
}
