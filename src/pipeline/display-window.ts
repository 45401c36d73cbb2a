/**
 * What an image viewer needs to window an image the way a DICOM viewer does, for display only:
 * grey values linear in the image's own units (the modality values of a DICOM, after rescale and
 * before any VOI; grey levels of a PNG or JPEG), the window the analysis used as the viewer's
 * start (so the first view is exactly what the model saw), and the windowing itself as a lookup
 * table. The model's input never passes through here.
 */
import {storedSize, type DecodedImage} from "./image/types.js";
import {windowFunction} from "./image/voi.js";

export type WindowFunctionName = "LINEAR" | "LINEAR_EXACT" | "SIGMOID";

export interface DisplayWindow {
  center: number;
  width: number;
}

export interface ViewImage {
  width: number;
  height: number;
  /** Grey values quantised to 16 bits: value q means low + (high - low) * q / 65535 units. */
  values: Uint16Array;
  low: number;
  high: number;
  /** What the units are, for the readout. */
  unit: string;
  /** The window function (the file's VOI LUT Function for a DICOM; else LINEAR). */
  fn: WindowFunctionName;
  /** The window the analysis used, in units: the viewer's start and its reset. */
  start: DisplayWindow & {source: string};
  /** MONOCHROME1: high values are shown dark (after the window). */
  inverted: boolean;
  /** The image's own size (the viewer's copy may be reduced). */
  sourceWidth: number;
  sourceHeight: number;
}

const QUANT = 65535;

/** The LINEAR window (PS3.3 C.11.2.1.2) that maps [low, high] exactly onto [0, 1]. */
export function fullRangeWindow(low: number, high: number): DisplayWindow {
  return {center: (low + high + 1) / 2, width: high - low + 1};
}

/** Grey [0, 1] of a decoded image (BT.601 for colour), one value per pixel. */
function greyOf(decoded: DecodedImage): Float32Array {
  if (decoded.channels === 1) return decoded.data;
  const out = new Float32Array(decoded.width * decoded.height);
  for (let i = 0; i < out.length; i++) out[i] = 0.299 * decoded.data[3 * i]! + 0.587 * decoded.data[3 * i + 1]! + 0.114 * decoded.data[3 * i + 2]!;
  return out;
}

/** Area-average reduction so the longer side is at most `maxSide` (no reduction when it already is). */
export function reduceGrey(data: ArrayLike<number>, width: number, height: number, maxSide: number): {data: Float32Array; width: number; height: number} {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  if (scale >= 1) return {data: Float32Array.from(data), width, height};
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  const out = new Float32Array(w * h);
  const sx = width / w;
  const sy = height / h;
  for (let y = 0; y < h; y++) {
    const y0 = y * sy;
    const y1 = y0 + sy;
    for (let x = 0; x < w; x++) {
      const x0 = x * sx;
      const x1 = x0 + sx;
      let sum = 0;
      let area = 0;
      for (let j = Math.floor(y0); j < Math.min(height, Math.ceil(y1)); j++) {
        const wy = Math.min(y1, j + 1) - Math.max(y0, j);
        for (let i = Math.floor(x0); i < Math.min(width, Math.ceil(x1)); i++) {
          const wx = Math.min(x1, i + 1) - Math.max(x0, i);
          sum += data[j * width + i]! * wx * wy;
          area += wx * wy;
        }
      }
      out[y * w + x] = sum / area;
    }
  }
  return {data: out, width: w, height: h};
}

const asFunction = (name: unknown): WindowFunctionName => (name === "SIGMOID" || name === "LINEAR_EXACT" ? name : "LINEAR");

/**
 * The viewer's image. `analysed` is the image as the models got it; for a DICOM whose file gives a
 * VOI (window or LUT), `unwindowed` is the same file decoded with `fileVoi: false` (the full range
 * of its modality values, linearly), so the viewer can widen the window past the file's.
 */
export function viewImageOf(analysed: DecodedImage, unwindowed: DecodedImage | null, maxSide = 1024): ViewImage {
  const info = analysed.info;
  const dicomGrey = analysed.format === "dicom" && analysed.channels === 1;
  const source = dicomGrey && unwindowed ? unwindowed : analysed;
  let grey = greyOf(source);
  let low: number;
  let high: number;
  let unit: string;
  let fn: WindowFunctionName = "LINEAR";
  let start: ViewImage["start"];
  const inverted = dicomGrey && info.inverted === true;
  if (dicomGrey) {
    // The full-range mapping's window (dicom.ts): [centre - width / 2, centre + width / 2] -> [0, 1].
    const range = source.info;
    low = Number(range.windowCenter) - Number(range.windowWidth) / 2;
    high = Number(range.windowCenter) + Number(range.windowWidth) / 2;
    unit = info.rescaleSlope !== undefined && (info.rescaleSlope !== 1 || info.rescaleIntercept !== 0) ? "modality value (rescaled)" : info.modalityTransform ? "modality value" : "stored value";
    // The decoder inverted MONOCHROME1 after the VOI; the viewer does the same, so undo it here.
    if (inverted) grey = grey.map((v) => 1 - v);
    const voi = String(info.voi ?? "");
    if (voi.startsWith("window") && unwindowed) {
      fn = asFunction(info.windowFunction);
      start = {center: Number(info.windowCenter), width: Number(info.windowWidth), source: "the file's window"};
    } else if (voi.startsWith("VOI LUT") && unwindowed && typeof info.voiLutFirst === "number") {
      // A LUT is not a window: start on its input range, linearly.
      const first = info.voiLutFirst;
      start = {...fullRangeWindow(first, first + Number(info.voiLutEntries) - 1), source: "the input range of the file's VOI LUT (the LUT itself is not linear)"};
    } else start = {...fullRangeWindow(low, high), source: voi.startsWith("min-max") ? "the image's own range (chosen)" : "the full range of the stored values (the file gives no window)"};
  } else {
    high = 2 ** (analysed.format === "png" ? analysed.bitDepth : 8) - 1;
    low = 0;
    unit = "grey level";
    start = {...fullRangeWindow(low, high), source: `the full range of its ${high + 1} grey levels`};
  }
  const reduced = reduceGrey(grey, source.width, source.height, maxSide);
  const values = new Uint16Array(reduced.data.length);
  for (let i = 0; i < values.length; i++) values[i] = Math.round(Math.min(1, Math.max(0, reduced.data[i]!)) * QUANT);
  return {width: reduced.width, height: reduced.height, values, low, high, unit, fn, start, inverted, sourceWidth: storedSize(analysed).width, sourceHeight: storedSize(analysed).height};
}

/** The value in units of a quantised grey value. */
export function unitValue(view: Pick<ViewImage, "low" | "high">, q: number): number {
  return view.low + ((view.high - view.low) * q) / QUANT;
}

/** Display grey levels (0-255) for every quantised value under `window`: one table per window change. */
export function windowLut(view: Pick<ViewImage, "low" | "high" | "fn" | "inverted">, window: DisplayWindow): Uint8Array {
  if (!(window.width > 0) || !Number.isFinite(window.center)) throw new Error(`a window needs a finite centre and a positive width, got ${window.center} / ${window.width}`);
  // LINEAR needs a width of at least 1 (PS3.3 C.11.2.1.2).
  const f = windowFunction(window.center, view.fn === "LINEAR" ? Math.max(1, window.width) : window.width, view.fn);
  const lut = new Uint8Array(QUANT + 1);
  for (let q = 0; q <= QUANT; q++) {
    const y = f(unitValue(view, q));
    lut[q] = Math.round(255 * Math.min(1, Math.max(0, view.inverted ? 1 - y : y)));
  }
  return lut;
}
