/**
 * "What if" edits for the walkthrough: pure, deterministic functions on a grey image (intensities
 * in [0, 1], row-major), applied to the decoded image before the pipeline's own preprocessing. No
 * function changes its input; each returns a new image of the same size. Positions and sizes are
 * fractions of the image, so one set of edits means the same on a 256 px sample and a 2,900 px
 * original. The same code runs in Node (tests) and the browser (the page).
 */
import {mulberry32} from "./metrics.js";

export interface GreyImage {
  width: number;
  height: number;
  /** width x height intensities in [0, 1], row-major. */
  data: Float32Array;
}

export interface OccludingPatch {
  /** Centre, as fractions of the width and height (0.5, 0.5 = the middle). */
  x: number;
  y: number;
  /** Side of the square, as a fraction of the shorter side of the image. */
  size: number;
  /** Intensity the patch is filled with: 0 black, 1 white. */
  value: number;
}

export interface BurnedInText {
  /** Letters A-Z (lower case is drawn as upper case), digits, space and . , : - / + ( ) #. */
  text: string;
  /** Top-left corner, as fractions of the width and height. */
  x: number;
  y: number;
  /** Letter height, as a fraction of the image height. */
  height: number;
  /** Intensity of the letters: 1 white (as scanners burn in annotations), 0 black. */
  value: number;
}

export interface WhatIfEdits {
  /** 1 = the whole image; 2 = the middle half of each side fills the frame; below 1 shrinks the image onto black. */
  zoom: number;
  /** The point zoomed about, as fractions of the width and height. */
  zoomX: number;
  zoomY: number;
  /** Degrees, clockwise as displayed, about the centre; corners left empty are black. */
  rotate: number;
  flipHorizontal: boolean;
  flipVertical: boolean;
  /** 1 - v: what a MONOCHROME1 image looks like when its photometric interpretation is ignored. */
  invert: boolean;
  /** Around mid-grey: v -> 0.5 + (v - 0.5) * contrast, clamped to [0, 1]. 1 changes nothing. */
  contrast: number;
  /** v -> v ^ gamma after the contrast. 1 changes nothing; below 1 brightens the darks. */
  gamma: number;
  patch: OccludingPatch | null;
  text: BurnedInText | null;
  /** Gaussian noise per pixel of the decoded image (standard deviation in intensity), clamped to [0, 1]. */
  noise: number;
  /** Seed of the noise: the same seed gives the same noise. */
  noiseSeed: number;
}

export const NO_EDITS: Readonly<WhatIfEdits> = Object.freeze({
  zoom: 1,
  zoomX: 0.5,
  zoomY: 0.5,
  rotate: 0,
  flipHorizontal: false,
  flipVertical: false,
  invert: false,
  contrast: 1,
  gamma: 1,
  patch: null,
  text: null,
  noise: 0,
  noiseSeed: 1
});

/** The order edits are applied in: geometry, then intensities, then what is drawn on the result, then noise. */
export const EDIT_ORDER = ["zoom", "rotate", "flip", "invert", "contrast", "gamma", "patch", "text", "noise"] as const;

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

function blank(image: GreyImage): GreyImage {
  return {width: image.width, height: image.height, data: new Float32Array(image.width * image.height)};
}

function mapValues(image: GreyImage, f: (v: number) => number): GreyImage {
  const out = blank(image);
  for (let i = 0; i < out.data.length; i++) out.data[i] = f(image.data[i]!);
  return out;
}

/**
 * Bilinear sample at pixel coordinates (pixel centres at integers). Inside the image's extent
 * ([-0.5, w - 0.5]) the edge pixels are repeated, so an identity transform is exact; outside it, 0.
 */
function sample(image: GreyImage, x: number, y: number): number {
  const {width, height, data} = image;
  if (x < -0.5 || y < -0.5 || x > width - 0.5 || y > height - 0.5) return 0;
  const cx = Math.min(Math.max(x, 0), width - 1);
  const cy = Math.min(Math.max(y, 0), height - 1);
  const x0 = Math.floor(cx);
  const y0 = Math.floor(cy);
  const x1 = Math.min(x0 + 1, width - 1);
  const y1 = Math.min(y0 + 1, height - 1);
  const fx = cx - x0;
  const fy = cy - y0;
  const top = data[y0 * width + x0]! * (1 - fx) + data[y0 * width + x1]! * fx;
  const bottom = data[y1 * width + x0]! * (1 - fx) + data[y1 * width + x1]! * fx;
  return top * (1 - fy) + bottom * fy;
}

/** Output pixel centre (i + 0.5, j + 0.5) -> source point, sampled bilinearly. */
function resample(image: GreyImage, source: (u: number, v: number) => [number, number]): GreyImage {
  const out = blank(image);
  for (let j = 0; j < image.height; j++) {
    for (let i = 0; i < image.width; i++) {
      const [u, v] = source(i + 0.5, j + 0.5);
      out.data[j * image.width + i] = sample(image, u - 0.5, v - 0.5);
    }
  }
  return out;
}

/** Zoom by `zoom` about (zoomX, zoomY) (fractions); the frame keeps its size. */
export function zoomAbout(image: GreyImage, zoom: number, zoomX = 0.5, zoomY = 0.5): GreyImage {
  const {width: w, height: h} = image;
  const cx = zoomX * w;
  const cy = zoomY * h;
  return resample(image, (u, v) => [cx + (u - w / 2) / zoom, cy + (v - h / 2) / zoom]);
}

/** cos and sin of a whole number of degrees, exact at multiples of 90 (so quarter turns move pixels exactly). */
function cosSin(degrees: number): [number, number] {
  const turn = ((degrees % 360) + 360) % 360;
  if (turn === 0) return [1, 0];
  if (turn === 90) return [0, 1];
  if (turn === 180) return [-1, 0];
  if (turn === 270) return [0, -1];
  const radians = (turn * Math.PI) / 180;
  return [Math.cos(radians), Math.sin(radians)];
}

/** Rotate by `degrees` clockwise as displayed (y points down), about the centre; the frame keeps its size. */
export function rotate(image: GreyImage, degrees: number): GreyImage {
  const {width: w, height: h} = image;
  const [c, s] = cosSin(degrees);
  // The inverse rotation takes each output point back to where it came from.
  return resample(image, (u, v) => {
    const dx = u - w / 2;
    const dy = v - h / 2;
    return [w / 2 + c * dx + s * dy, h / 2 - s * dx + c * dy];
  });
}

export function flip(image: GreyImage, horizontal: boolean, vertical: boolean): GreyImage {
  const {width: w, height: h} = image;
  const out = blank(image);
  for (let j = 0; j < h; j++) {
    const from = vertical ? h - 1 - j : j;
    for (let i = 0; i < w; i++) out.data[j * w + i] = image.data[from * w + (horizontal ? w - 1 - i : i)]!;
  }
  return out;
}

export function invert(image: GreyImage): GreyImage {
  return mapValues(image, (v) => 1 - v);
}

export function adjustContrast(image: GreyImage, contrast: number): GreyImage {
  return mapValues(image, (v) => clamp01(0.5 + (v - 0.5) * contrast));
}

export function adjustGamma(image: GreyImage, gamma: number): GreyImage {
  return mapValues(image, (v) => clamp01(v) ** gamma);
}

/** The patch's pixel rectangle: side round(size x shorter side) (at least 1), centred, clipped to the image. */
export function patchRect(width: number, height: number, patch: Pick<OccludingPatch, "x" | "y" | "size">): {x0: number; y0: number; x1: number; y1: number} {
  const side = Math.max(1, Math.round(patch.size * Math.min(width, height)));
  const left = Math.round(patch.x * width - side / 2);
  const top = Math.round(patch.y * height - side / 2);
  return {x0: Math.max(0, left), y0: Math.max(0, top), x1: Math.min(width, left + side), y1: Math.min(height, top + side)};
}

export function occlude(image: GreyImage, patch: OccludingPatch): GreyImage {
  const out = {...image, data: image.data.slice()};
  const {x0, y0, x1, y1} = patchRect(image.width, image.height, patch);
  for (let j = y0; j < y1; j++) out.data.fill(patch.value, j * image.width + x0, j * image.width + x1);
  return out;
}

// A 5 x 7 bitmap font, so text is drawn the same in Node and every browser (no canvas, no system font).
const GLYPH_ROWS = 7;
const GLYPH_COLUMNS = 5;
const FONT: Record<string, string> = {
  A: ".###. #...# #...# ##### #...# #...# #...#",
  B: "####. #...# #...# ####. #...# #...# ####.",
  C: ".###. #...# #.... #.... #.... #...# .###.",
  D: "###.. #..#. #...# #...# #...# #..#. ###..",
  E: "##### #.... #.... ####. #.... #.... #####",
  F: "##### #.... #.... ####. #.... #.... #....",
  G: ".###. #...# #.... #.### #...# #...# .####",
  H: "#...# #...# #...# ##### #...# #...# #...#",
  I: ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
  J: "..### ...#. ...#. ...#. ...#. #..#. .##..",
  K: "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
  L: "#.... #.... #.... #.... #.... #.... #####",
  M: "#...# ##.## #.#.# #.#.# #...# #...# #...#",
  N: "#...# #...# ##..# #.#.# #..## #...# #...#",
  O: ".###. #...# #...# #...# #...# #...# .###.",
  P: "####. #...# #...# ####. #.... #.... #....",
  Q: ".###. #...# #...# #...# #.#.# #..#. .##.#",
  R: "####. #...# #...# ####. #.#.. #..#. #...#",
  S: ".#### #.... #.... .###. ....# ....# ####.",
  T: "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
  U: "#...# #...# #...# #...# #...# #...# .###.",
  V: "#...# #...# #...# #...# #...# .#.#. ..#..",
  W: "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
  X: "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
  Y: "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
  Z: "##### ....# ...#. ..#.. .#... #.... #####",
  "0": ".###. #...# #..## #.#.# ##..# #...# .###.",
  "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
  "2": ".###. #...# ....# ...#. ..#.. .#... #####",
  "3": "##### ...#. ..#.. ...#. ....# #...# .###.",
  "4": "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
  "5": "##### #.... ####. ....# ....# #...# .###.",
  "6": "..##. .#... #.... ####. #...# #...# .###.",
  "7": "##### ....# ...#. ..#.. .#... .#... .#...",
  "8": ".###. #...# #...# .###. #...# #...# .###.",
  "9": ".###. #...# #...# .#### ....# ...#. .##..",
  " ": "..... ..... ..... ..... ..... ..... .....",
  ".": "..... ..... ..... ..... ..... .##.. .##..",
  ",": "..... ..... ..... ..... .##.. ..#.. .#...",
  ":": "..... .##.. .##.. ..... .##.. .##.. .....",
  "-": "..... ..... ..... ##### ..... ..... .....",
  "/": "..... ....# ...#. ..#.. .#... #.... .....",
  "+": "..... ..#.. ..#.. ##### ..#.. ..#.. .....",
  "(": "...#. ..#.. .#... .#... .#... ..#.. ...#.",
  ")": ".#... ..#.. ...#. ...#. ...#. ..#.. .#...",
  "#": ".#.#. .#.#. ##### .#.#. ##### .#.#. .#.#."
};

/** The characters burnedInText can draw. */
export const TEXT_CHARACTERS = Object.keys(FONT).join("");

/** A glyph as 7 rows of 5 booleans (true = ink), for upper-cased `character`; undefined when the font lacks it. */
export function glyph(character: string): boolean[][] | undefined {
  const rows = FONT[character.toUpperCase()];
  return rows?.split(" ").map((row) => [...row].map((c) => c === "#"));
}

/** The characters of `text` the font cannot draw (empty when all can be drawn). */
export function unsupportedCharacters(text: string): string[] {
  return [...new Set([...text].filter((c) => !glyph(c)))];
}

/** Pixels per font dot for letters `height` (fraction of the image height) tall: at least 1. */
export function textScale(imageHeight: number, height: number): number {
  return Math.max(1, Math.round((height * imageHeight) / GLYPH_ROWS));
}

/** Draws `text` in the 5 x 7 font, each dot a scale x scale block, one dot column between letters; clipped at the edges. */
export function burnText(image: GreyImage, text: BurnedInText): GreyImage {
  const missing = unsupportedCharacters(text.text);
  if (missing.length) throw new RangeError(`burned-in text: the built-in font has no ${missing.map((c) => JSON.stringify(c)).join(", ")}; it draws A-Z, 0-9, space and . , : - / + ( ) #`);
  const out = {...image, data: image.data.slice()};
  const {width: w, height: h} = image;
  const scale = textScale(h, text.height);
  const left = Math.round(text.x * w);
  const top = Math.round(text.y * h);
  [...text.text].forEach((character, n) => {
    const rows = glyph(character)!;
    const originX = left + n * (GLYPH_COLUMNS + 1) * scale;
    rows.forEach((row, r) => row.forEach((ink, c) => {
      if (!ink) return;
      for (let dy = 0; dy < scale; dy++) {
        const y = top + r * scale + dy;
        if (y < 0 || y >= h) continue;
        for (let dx = 0; dx < scale; dx++) {
          const x = originX + c * scale + dx;
          if (x >= 0 && x < w) out.data[y * w + x] = text.value;
        }
      }
    }));
  });
  return out;
}

/** Gaussian noise of standard deviation `sigma`, seeded (mulberry32 + Box-Muller), clamped to [0, 1]. */
export function addNoise(image: GreyImage, sigma: number, seed: number): GreyImage {
  const random = mulberry32(seed);
  // 1 - random() is in (0, 1]: the logarithm stays finite.
  return mapValues(image, (v) => clamp01(v + sigma * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())));
}

/** Every problem with `edits`, in words (empty when they can be applied). */
export function editProblems(edits: WhatIfEdits): string[] {
  const problems: string[] = [];
  const finite = (name: string, v: number) => {
    if (!Number.isFinite(v)) problems.push(`${name} must be a finite number, not ${v}`);
    return Number.isFinite(v);
  };
  const fraction = (name: string, v: number) => finite(name, v) && (v < 0 || v > 1) && problems.push(`${name} must be between 0 and 1, not ${v}`);
  if (finite("zoom", edits.zoom) && edits.zoom <= 0) problems.push(`zoom must be above 0, not ${edits.zoom}`);
  fraction("zoom centre x", edits.zoomX);
  fraction("zoom centre y", edits.zoomY);
  finite("rotation", edits.rotate);
  if (finite("contrast", edits.contrast) && edits.contrast < 0) problems.push(`contrast must be 0 or more, not ${edits.contrast}`);
  if (finite("gamma", edits.gamma) && edits.gamma <= 0) problems.push(`gamma must be above 0, not ${edits.gamma}`);
  if (finite("noise", edits.noise) && edits.noise < 0) problems.push(`noise must be 0 or more, not ${edits.noise}`);
  if (!Number.isInteger(edits.noiseSeed)) problems.push(`the noise seed must be a whole number, not ${edits.noiseSeed}`);
  if (edits.patch) {
    fraction("patch x", edits.patch.x);
    fraction("patch y", edits.patch.y);
    fraction("patch value", edits.patch.value);
    if (finite("patch size", edits.patch.size) && (edits.patch.size <= 0 || edits.patch.size > 1)) problems.push(`patch size must be above 0 and at most 1, not ${edits.patch.size}`);
  }
  if (edits.text) {
    fraction("text x", edits.text.x);
    fraction("text y", edits.text.y);
    fraction("text value", edits.text.value);
    if (finite("text height", edits.text.height) && (edits.text.height <= 0 || edits.text.height > 1)) problems.push(`text height must be above 0 and at most 1, not ${edits.text.height}`);
    const missing = unsupportedCharacters(edits.text.text);
    if (missing.length) problems.push(`burned-in text: the built-in font has no ${missing.map((c) => JSON.stringify(c)).join(", ")}; it draws A-Z, 0-9, space and . , : - / + ( ) #`);
  }
  return problems;
}

/**
 * Every edit, in EDIT_ORDER: zoom, rotate, flip, invert, contrast, gamma, patch, text, noise. The
 * patch and text land where they are placed on the final frame; the noise is added last, as a
 * detector's would be. Edits that change nothing are skipped; with none, the input itself is
 * returned. Throws a RangeError naming every bad value.
 */
export function applyEdits(image: GreyImage, edits: WhatIfEdits): GreyImage {
  const problems = editProblems(edits);
  if (problems.length) throw new RangeError(`these edits cannot be applied: ${problems.join("; ")}`);
  let out = image;
  // At zoom 1 an off-centre point pans the image (black comes in at one side).
  if (edits.zoom !== 1 || edits.zoomX !== 0.5 || edits.zoomY !== 0.5) out = zoomAbout(out, edits.zoom, edits.zoomX, edits.zoomY);
  if (edits.rotate % 360 !== 0) out = rotate(out, edits.rotate);
  if (edits.flipHorizontal || edits.flipVertical) out = flip(out, edits.flipHorizontal, edits.flipVertical);
  if (edits.invert) out = invert(out);
  if (edits.contrast !== 1) out = adjustContrast(out, edits.contrast);
  if (edits.gamma !== 1) out = adjustGamma(out, edits.gamma);
  if (edits.patch) out = occlude(out, edits.patch);
  if (edits.text && edits.text.text.length) out = burnText(out, edits.text);
  if (edits.noise > 0) out = addNoise(out, edits.noise, edits.noiseSeed);
  return out;
}

/** The edits in plain words, in the order they are applied (empty when there are none). */
export function describeEdits(edits: WhatIfEdits): string[] {
  const pct = (v: number) => `${Math.round(v * 100)} %`;
  const words: string[] = [];
  if (edits.zoom !== 1) words.push(`${edits.zoom > 1 ? "zoomed in" : "zoomed out"} ${edits.zoom.toFixed(2)}x about (${pct(edits.zoomX)}, ${pct(edits.zoomY)})`);
  else if (edits.zoomX !== 0.5 || edits.zoomY !== 0.5) words.push(`moved so that (${pct(edits.zoomX)}, ${pct(edits.zoomY)}) is in the middle`);
  if (edits.rotate % 360 !== 0) words.push(`rotated ${edits.rotate}° clockwise`);
  if (edits.flipHorizontal) words.push("flipped left-right");
  if (edits.flipVertical) words.push("flipped upside down");
  if (edits.invert) words.push("inverted (black and white swapped)");
  if (edits.contrast !== 1) words.push(`contrast x ${edits.contrast.toFixed(2)}`);
  if (edits.gamma !== 1) words.push(`gamma ${edits.gamma.toFixed(2)}`);
  if (edits.patch) words.push(`a ${edits.patch.value <= 0.5 ? "dark" : "bright"} patch of ${pct(edits.patch.size)} of the short side at (${pct(edits.patch.x)}, ${pct(edits.patch.y)})`);
  if (edits.text?.text.length) words.push(`text "${edits.text.text.toUpperCase()}" burned in`);
  if (edits.noise > 0) words.push(`noise σ = ${edits.noise.toFixed(3)} (seed ${edits.noiseSeed})`);
  return words;
}

/**
 * A smaller copy for drawing on screen: k x k blocks averaged, k the smallest whole number that
 * brings the longer side to at most `maxSide`. The input itself when it already fits.
 */
export function previewOf(image: GreyImage, maxSide: number): GreyImage {
  const k = Math.ceil(Math.max(image.width, image.height) / maxSide);
  if (k <= 1) return image;
  const width = Math.max(1, Math.floor(image.width / k));
  const height = Math.max(1, Math.floor(image.height / k));
  const data = new Float32Array(width * height);
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      let sum = 0;
      for (let dy = 0; dy < k; dy++) {
        // Clamped: a side shorter than k (a very elongated image) repeats its last pixel.
        const row = Math.min(j * k + dy, image.height - 1) * image.width;
        for (let dx = 0; dx < k; dx++) sum += image.data[row + Math.min(i * k + dx, image.width - 1)]!;
      }
      data[j * width + i] = sum / (k * k);
    }
  }
  return {width, height, data};
}
