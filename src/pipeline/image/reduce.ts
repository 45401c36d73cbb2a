/**
 * Reducing an image while it is decoded, for images too large to hold (issue 12: an 8000 x 8000
 * JPEG took 4.7 GB). The decoders of png.ts, jpeg-stream.ts and dicom.ts hand over grey rows as
 * they decode them; nothing of full size is ever allocated. Two things are accumulated:
 *
 * - for each model input the caller names (DecodeOptions.reduceFor), the exact area reduction of
 *   its box, the blocks of input-box.ts areaBlocks: what preprocess.ts's avgPool would compute from
 *   the full-resolution grey image, so the model input is the same (within float rounding) whatever
 *   the blocks' size. One common factor would not do: for 8000 px, k is 62 for 128 px and 125 for
 *   64 px, with no common divisor;
 * - a reduced copy (block means of factor x factor, the longer side at most REDUCED_MAX_SIDE), for
 *   drawing, for edits, and for squares nobody named. Its blocks are aligned on the input box, so a
 *   square whose k the factor divides is exact from it too.
 */
import {areaBlocks, inputBox, type ResizeMode} from "../input-box.js";
import type {ReducedSquare, ReduceTarget, Reduction} from "./types.js";

/** The reduced copy's longer side, at most (a page draws 768 px; the walkthrough edits 512). */
export const REDUCED_MAX_SIDE = 2048;

/** Block size of the reduced copy of a width x height image. */
export function reductionFactor(width: number, height: number): number {
  return Math.max(2, Math.ceil(Math.max(width, height) / REDUCED_MAX_SIDE));
}

interface SquareSum {
  spec: Omit<ReducedSquare, "data">;
  /** Column of the image -> cell column, -1 outside the blocks. */
  cell: Int32Array;
  sums: Float64Array;
}

/** Column x -> (x - start) / k for x in [start, start + k * cells), else -1. */
function cellsOf(width: number, start: number, k: number, cells: number): Int32Array {
  const cell = new Int32Array(width).fill(-1);
  for (let c = 0; c < cells; c++) cell.fill(c, start + c * k, start + (c + 1) * k);
  return cell;
}

/**
 * Accumulates grey rows of a width x height image (values in [0, 1]) into the reduced copy and the
 * named squares. Rows may come in any order, and in pieces (Adam7 passes), but each pixel once.
 */
export class GreyReducer {
  readonly width: number;
  readonly height: number;
  readonly factor: number;
  /** Where the reduced copy's blocks start, and its size. */
  readonly x: number;
  readonly y: number;
  readonly reducedWidth: number;
  readonly reducedHeight: number;
  private readonly sums: Float32Array;
  private readonly cell: Int32Array;
  private readonly squares: SquareSum[];
  /** Bytes a reducer holds, at most (for the budget): the copy, and per square under (2 size)^2 sums. */
  static bytes(width: number, height: number, target?: ReduceTarget): number {
    const f = reductionFactor(width, height);
    const squares = (target?.sizes ?? []).reduce((n, size) => n + 4 * width + 12 * (2 * size) ** 2, 0);
    return Math.ceil(width / f) * Math.ceil(height / f) * 4 + 4 * width + squares;
  }

  constructor(width: number, height: number, target?: ReduceTarget) {
    this.width = width;
    this.height = height;
    const f = (this.factor = reductionFactor(width, height));
    // Blocks aligned on the input box of the caller's mode (crop when unnamed: every bundle's).
    const mode: ResizeMode = target?.mode ?? "crop";
    const box = inputBox(width, height, mode);
    this.x = box.x % f;
    this.y = box.y % f;
    this.reducedWidth = Math.max(0, Math.floor((width - this.x) / f));
    this.reducedHeight = Math.max(0, Math.floor((height - this.y) / f));
    if (this.reducedWidth === 0 || this.reducedHeight === 0) throw new RangeError(`a ${width} x ${height} image is too small to reduce by ${f}`);
    this.sums = new Float32Array(this.reducedWidth * this.reducedHeight);
    this.cell = cellsOf(width, this.x, f, this.reducedWidth);
    this.squares = [...new Set(target?.sizes ?? [])].map((size) => {
      if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`a square's size must be a positive integer, got ${size}`);
      const blocks = areaBlocks(box, size);
      const w = blocks.width / blocks.kx;
      const h = blocks.height / blocks.ky;
      return {
        spec: {size, mode, box, kx: blocks.kx, ky: blocks.ky, width: w, height: h},
        cell: cellsOf(width, box.x, blocks.kx, w),
        sums: new Float64Array(w * h)
      };
    });
  }

  /** A whole row y, x = 0 .. width - 1. */
  addRow(y: number, values: ArrayLike<number>): void {
    const ry = y - this.y;
    const row = ry >= 0 ? Math.floor(ry / this.factor) : -1;
    if (row >= 0 && row < this.reducedHeight) {
      const sums = this.sums;
      const cell = this.cell;
      const base = row * this.reducedWidth;
      for (let x = 0; x < this.width; x++) {
        const c = cell[x]!;
        if (c >= 0) sums[base + c] += values[x]!;
      }
    }
    for (const square of this.squares) {
      const {box, ky, width: w, height: h} = square.spec;
      const sy = y - box.y;
      if (sy < 0 || sy >= h * ky) continue;
      const sums = square.sums;
      const cell = square.cell;
      const base = Math.floor(sy / ky) * w;
      for (let x = box.x, end = box.x + w * square.spec.kx; x < end; x++) sums[base + cell[x]!] += values[x]!;
    }
  }

  /** `count` pixels of row y at x = x0, x0 + step, ... (an interlaced pass's row). */
  addPixels(y: number, x0: number, step: number, values: ArrayLike<number>, count: number): void {
    const ry = y - this.y;
    const row = ry >= 0 ? Math.floor(ry / this.factor) : -1;
    if (row >= 0 && row < this.reducedHeight) {
      const base = row * this.reducedWidth;
      for (let i = 0, x = x0; i < count; i++, x += step) {
        const c = this.cell[x]!;
        if (c >= 0) this.sums[base + c] += values[i]!;
      }
    }
    for (const square of this.squares) {
      const {box, ky, width: w, height: h} = square.spec;
      const sy = y - box.y;
      if (sy < 0 || sy >= h * ky) continue;
      const base = Math.floor(sy / ky) * w;
      for (let i = 0, x = x0; i < count; i++, x += step) {
        const c = square.cell[x]!;
        if (c >= 0) square.sums[base + c] += values[i]!;
      }
    }
  }

  /** The reduced copy (block means) and the squares' block means. */
  finish(): {data: Float32Array; width: number; height: number; reduced: Reduction} {
    const data = this.sums;
    const n = this.factor * this.factor;
    for (let i = 0; i < data.length; i++) data[i] = data[i]! / n;
    const squares = this.squares.map(({spec, sums}) => {
      const area = spec.kx * spec.ky;
      const out = new Float32Array(sums.length);
      for (let i = 0; i < sums.length; i++) out[i] = sums[i]! / area;
      return {...spec, data: out};
    });
    return {
      data,
      width: this.reducedWidth,
      height: this.reducedHeight,
      reduced: {width: this.width, height: this.height, factor: this.factor, x: this.x, y: this.y, squares}
    };
  }
}

/** BT.601 luma of 8-bit R, G, B as [0, 1] intensities, by table (what preprocess.ts computes from R/255, G/255, B/255). */
export const LUMA_8 = (() => {
  const t = new Float64Array(3 * 256);
  for (let v = 0; v < 256; v++) {
    t[v] = (0.299 * v) / 255;
    t[256 + v] = (0.587 * v) / 255;
    t[512 + v] = (0.114 * v) / 255;
  }
  return t;
})();
