/**
 * A JPEG decoder that hands over its output a band of rows at a time, for images too large to hold.
 * jpeg-js (jpeg.ts) keeps every 8 x 8 block of the image as Int32 (about 21 bytes per pixel for
 * colour, 4.7 GB for an 8000 x 8000 JPEG); here a baseline JPEG holds one row of MCUs at a time,
 * and a progressive one (whose scans each refine every block) its coefficients as Int16 only.
 *
 * The arithmetic is jpeg-js's own (a port of its decoder, itself pdf.js's: Apache License 2.0,
 * Copyright 2011 notmasteryet): the same integer IDCT, chroma upsampling by repetition and colour
 * conversion, so every sample equals jpeg-js's (tests/image-huge.test.ts compares them).
 */
import {ImageDecodeError} from "./types.js";

// prettier-ignore
const ZIGZAG = new Int32Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63
]);

const corrupt = (why: string) => new ImageDecodeError("corrupt", `JPEG could not be decoded: ${why}`);

/** A canonical Huffman table: a 9-bit lookahead for short codes, maxcode/valptr for the rest. */
interface Huffman {
  /** (length << 8) | value for codes of at most 9 bits, indexed by the next 9 bits; 0 = longer. */
  fast: Uint16Array;
  maxcode: Int32Array; // per length 1..16, the largest code of that length, -1 if none
  valptr: Int32Array; // index into values of the first code of that length, minus that code
  values: Uint8Array;
}

function buildHuffman(lengths: Uint8Array, values: Uint8Array): Huffman {
  const fast = new Uint16Array(512);
  const maxcode = new Int32Array(18).fill(-1);
  const valptr = new Int32Array(18);
  let code = 0;
  let k = 0;
  for (let l = 1; l <= 16; l++) {
    const n = lengths[l - 1]!;
    valptr[l] = k - code;
    for (let i = 0; i < n; i++, k++, code++) {
      if (code >= 1 << l) throw corrupt("a Huffman table has more codes than its lengths allow");
      if (l <= 9) {
        const shift = 9 - l;
        for (let j = 0; j < 1 << shift; j++) fast[(code << shift) | j] = (l << 8) | values[k]!;
      }
    }
    if (n) maxcode[l] = code - 1;
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff;
  return {fast, maxcode, valptr, values};
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  quant?: Int32Array;
  blocksPerLine: number;
  blocksPerColumn: number;
  blocksPerLineForMcu: number;
  blocksPerColumnForMcu: number;
  dc?: Huffman;
  ac?: Huffman;
  pred: number;
  /** Coefficients in natural order, 64 per block: one MCU row (Int32) or the whole image (Int16). */
  coefs: Int32Array | Int16Array;
  /** First block row held in `coefs`. */
  coefsRow: number;
  /** IDCT output for one band: v * 8 lines of blocksPerLineForMcu * 8 samples. */
  lines: Uint8Array;
}

interface Frame {
  width: number;
  height: number;
  progressive: boolean;
  components: Component[];
  maxH: number;
  maxV: number;
  mcusPerLine: number;
  mcusPerColumn: number;
}

export interface JpegStreamInfo {
  width: number;
  height: number;
  components: number;
  progressive: boolean;
  /** Whether a row of MCUs at a time suffices (one interleaved sequential scan), else every coefficient is held. */
  streamed: boolean;
  /** Bytes the decoder holds at most, besides the file. */
  bytes: number;
}

const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;

/** Skips entropy-coded data from `at` to the next marker that is not a stuffed byte or a restart. */
function skipEntropy(bytes: Uint8Array, at: number): number {
  while (at + 1 < bytes.length) {
    if (bytes[at] !== 0xff) {
      at++;
      continue;
    }
    const next = bytes[at + 1]!;
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) at += 2;
    else if (next === 0xff) at++;
    else return at;
  }
  return bytes.length;
}

/** The frame and how the scans are laid out, from the markers alone (jpeg.ts has checked the layout). */
function readFrame(bytes: Uint8Array): {frame: Frame; scans: number[]} {
  let at = 2;
  let frame: Frame | undefined;
  const scans: number[] = [];
  while (at + 4 <= bytes.length) {
    while (bytes[at] === 0xff && bytes[at + 1] === 0xff) at++;
    const marker = bytes[at + 1]!;
    if (marker === 0xd9) break;
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += 2;
      continue;
    }
    const length = u16(bytes, at + 2);
    if (marker === 0xc0 || marker === 0xc1 || marker === 0xc2) {
      const n = bytes[at + 9]!;
      const components: Component[] = [];
      for (let i = 0; i < n; i++) {
        const o = at + 10 + 3 * i;
        const h = bytes[o + 1]! >> 4;
        const v = bytes[o + 1]! & 15;
        if (h < 1 || v < 1 || h > 4 || v > 4) throw corrupt("invalid sampling factor");
        components.push({id: bytes[o]!, h, v, tq: bytes[o + 2]!, blocksPerLine: 0, blocksPerColumn: 0, blocksPerLineForMcu: 0, blocksPerColumnForMcu: 0, pred: 0, coefs: new Int32Array(0), coefsRow: 0, lines: new Uint8Array(0)});
      }
      const height = u16(bytes, at + 5);
      const width = u16(bytes, at + 7);
      const maxH = Math.max(...components.map((c) => c.h));
      const maxV = Math.max(...components.map((c) => c.v));
      const mcusPerLine = Math.ceil(width / 8 / maxH);
      const mcusPerColumn = Math.ceil(height / 8 / maxV);
      for (const c of components) {
        c.blocksPerLine = Math.ceil((Math.ceil(width / 8) * c.h) / maxH);
        c.blocksPerColumn = Math.ceil((Math.ceil(height / 8) * c.v) / maxV);
        c.blocksPerLineForMcu = mcusPerLine * c.h;
        c.blocksPerColumnForMcu = mcusPerColumn * c.v;
      }
      frame = {width, height, progressive: marker === 0xc2, components, maxH, maxV, mcusPerLine, mcusPerColumn};
    }
    at += 2 + length;
    if (marker === 0xda) {
      scans.push(bytes[at - length + 2]!);
      at = skipEntropy(bytes, at);
    }
  }
  if (!frame) throw corrupt("no frame header");
  return {frame, scans};
}

/** Whether one row of MCUs at a time suffices, and the bytes held either way. */
function layout(frame: Frame, scans: number[]): {streamed: boolean; bytes: number} {
  // (No scan at all: nothing will be held; the decode says the file is broken.)
  const streamed = !frame.progressive && scans.length <= 1 && (scans[0] ?? frame.components.length) === frame.components.length;
  let bytes = 0;
  for (const c of frame.components) {
    bytes += c.v * 8 * c.blocksPerLineForMcu * 8; // lines
    bytes += streamed ? c.blocksPerLineForMcu * c.v * 64 * 4 : c.blocksPerLineForMcu * c.blocksPerColumnForMcu * 64 * 2;
  }
  return {streamed, bytes: bytes + 16 * frame.width};
}

/** Size, scan layout and memory of decodeJpegRows for this file, from its markers. */
export function jpegStreamInfo(bytes: Uint8Array): JpegStreamInfo {
  const {frame, scans} = readFrame(bytes);
  const {streamed, bytes: held} = layout(frame, scans);
  return {width: frame.width, height: frame.height, components: frame.components.length, progressive: frame.progressive, streamed, bytes: held};
}

// jpeg-js's IDCT constants (Loeffler, Ligtenberg, Moschytz 1989, via poppler and pdf.js).
const dctCos1 = 4017, dctSin1 = 799, dctCos3 = 3406, dctSin3 = 2276, dctCos6 = 1567, dctSin6 = 3784, dctSqrt2 = 5793, dctSqrt1d2 = 2896;

/** jpeg-js's quantizeAndInverse: 64 coefficients at `zz[from]` -> 8-bit samples into `out` (8 x 8, stride `stride`). */
function idct(zz: Int32Array | Int16Array, from: number, qt: Int32Array, p: Int32Array, out: Uint8Array, at: number, stride: number): void {
  let v0, v1, v2, v3, v4, v5, v6, v7, t;
  for (let i = 0; i < 64; i++) p[i] = zz[from + i]! * qt[i]!;
  for (let i = 0; i < 8; ++i) {
    const row = 8 * i;
    if (p[1 + row] == 0 && p[2 + row] == 0 && p[3 + row] == 0 && p[4 + row] == 0 && p[5 + row] == 0 && p[6 + row] == 0 && p[7 + row] == 0) {
      t = (dctSqrt2 * p[0 + row]! + 512) >> 10;
      p[0 + row] = t; p[1 + row] = t; p[2 + row] = t; p[3 + row] = t; p[4 + row] = t; p[5 + row] = t; p[6 + row] = t; p[7 + row] = t;
      continue;
    }
    v0 = (dctSqrt2 * p[0 + row]! + 128) >> 8;
    v1 = (dctSqrt2 * p[4 + row]! + 128) >> 8;
    v2 = p[2 + row]!;
    v3 = p[6 + row]!;
    v4 = (dctSqrt1d2 * (p[1 + row]! - p[7 + row]!) + 128) >> 8;
    v7 = (dctSqrt1d2 * (p[1 + row]! + p[7 + row]!) + 128) >> 8;
    v5 = p[3 + row]! << 4;
    v6 = p[5 + row]! << 4;
    t = (v0 - v1 + 1) >> 1; v0 = (v0 + v1 + 1) >> 1; v1 = t;
    t = (v2 * dctSin6 + v3 * dctCos6 + 128) >> 8; v2 = (v2 * dctCos6 - v3 * dctSin6 + 128) >> 8; v3 = t;
    t = (v4 - v6 + 1) >> 1; v4 = (v4 + v6 + 1) >> 1; v6 = t;
    t = (v7 + v5 + 1) >> 1; v5 = (v7 - v5 + 1) >> 1; v7 = t;
    t = (v0 - v3 + 1) >> 1; v0 = (v0 + v3 + 1) >> 1; v3 = t;
    t = (v1 - v2 + 1) >> 1; v1 = (v1 + v2 + 1) >> 1; v2 = t;
    t = (v4 * dctSin3 + v7 * dctCos3 + 2048) >> 12; v4 = (v4 * dctCos3 - v7 * dctSin3 + 2048) >> 12; v7 = t;
    t = (v5 * dctSin1 + v6 * dctCos1 + 2048) >> 12; v5 = (v5 * dctCos1 - v6 * dctSin1 + 2048) >> 12; v6 = t;
    p[0 + row] = v0 + v7; p[7 + row] = v0 - v7; p[1 + row] = v1 + v6; p[6 + row] = v1 - v6;
    p[2 + row] = v2 + v5; p[5 + row] = v2 - v5; p[3 + row] = v3 + v4; p[4 + row] = v3 - v4;
  }
  for (let i = 0; i < 8; ++i) {
    const col = i;
    if (p[1 * 8 + col] == 0 && p[2 * 8 + col] == 0 && p[3 * 8 + col] == 0 && p[4 * 8 + col] == 0 && p[5 * 8 + col] == 0 && p[6 * 8 + col] == 0 && p[7 * 8 + col] == 0) {
      t = (dctSqrt2 * p[i]! + 8192) >> 14;
      p[0 * 8 + col] = t; p[1 * 8 + col] = t; p[2 * 8 + col] = t; p[3 * 8 + col] = t; p[4 * 8 + col] = t; p[5 * 8 + col] = t; p[6 * 8 + col] = t; p[7 * 8 + col] = t;
      continue;
    }
    v0 = (dctSqrt2 * p[0 * 8 + col]! + 2048) >> 12;
    v1 = (dctSqrt2 * p[4 * 8 + col]! + 2048) >> 12;
    v2 = p[2 * 8 + col]!;
    v3 = p[6 * 8 + col]!;
    v4 = (dctSqrt1d2 * (p[1 * 8 + col]! - p[7 * 8 + col]!) + 2048) >> 12;
    v7 = (dctSqrt1d2 * (p[1 * 8 + col]! + p[7 * 8 + col]!) + 2048) >> 12;
    v5 = p[3 * 8 + col]!;
    v6 = p[5 * 8 + col]!;
    t = (v0 - v1 + 1) >> 1; v0 = (v0 + v1 + 1) >> 1; v1 = t;
    t = (v2 * dctSin6 + v3 * dctCos6 + 2048) >> 12; v2 = (v2 * dctCos6 - v3 * dctSin6 + 2048) >> 12; v3 = t;
    t = (v4 - v6 + 1) >> 1; v4 = (v4 + v6 + 1) >> 1; v6 = t;
    t = (v7 + v5 + 1) >> 1; v5 = (v7 - v5 + 1) >> 1; v7 = t;
    t = (v0 - v3 + 1) >> 1; v0 = (v0 + v3 + 1) >> 1; v3 = t;
    t = (v1 - v2 + 1) >> 1; v1 = (v1 + v2 + 1) >> 1; v2 = t;
    t = (v4 * dctSin3 + v7 * dctCos3 + 2048) >> 12; v4 = (v4 * dctCos3 - v7 * dctSin3 + 2048) >> 12; v7 = t;
    t = (v5 * dctSin1 + v6 * dctCos1 + 2048) >> 12; v5 = (v5 * dctCos1 - v6 * dctSin1 + 2048) >> 12; v6 = t;
    p[0 * 8 + col] = v0 + v7; p[7 * 8 + col] = v0 - v7; p[1 * 8 + col] = v1 + v6; p[6 * 8 + col] = v1 - v6;
    p[2 * 8 + col] = v2 + v5; p[5 * 8 + col] = v2 - v5; p[3 * 8 + col] = v3 + v4; p[4 * 8 + col] = v3 - v4;
  }
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      const sample = 128 + ((p[y * 8 + x]! + 8) >> 4);
      out[at + y * stride + x] = sample < 0 ? 0 : sample > 0xff ? 0xff : sample;
    }
  }
}

export interface JpegRowsOptions {
  /** 3 components: YCbCr -> RGB (jpeg.ts decides, as for jpeg-js; an Adobe transform code forces it on). */
  colorTransform: boolean;
  /** Adobe APP14 transform code, if any. */
  adobeTransform?: number;
}

/**
 * Decodes `bytes` (baseline, extended sequential or progressive, 8-bit, Huffman; jpeg.ts has checked
 * that) and calls `onRow(y, samples)` for every row in order, with 1 (grey) or 3 (RGB) samples per
 * pixel as jpeg-js gives them. `samples` is reused: copy what must outlive the call.
 */
export function decodeJpegRows(bytes: Uint8Array, options: JpegRowsOptions, onRow: (y: number, samples: Uint8Array) => void): {components: 1 | 3} {
  const {frame, scans} = readFrame(bytes);
  const {streamed} = layout(frame, scans);
  const {components, width, height} = frame;
  for (const c of components) {
    c.lines = new Uint8Array(c.v * 8 * c.blocksPerLineForMcu * 8);
    c.coefs = streamed ? new Int32Array(c.blocksPerLineForMcu * c.v * 64) : new Int16Array(c.blocksPerLineForMcu * c.blocksPerColumnForMcu * 64);
  }
  const quant: Int32Array[] = [];
  const dcTables: Huffman[] = [];
  const acTables: Huffman[] = [];
  let restartInterval = 0;
  const outChannels: 1 | 3 = components.length === 1 ? 1 : 3;
  const out = new Uint8Array(width * outChannels);
  const p = new Int32Array(64);

  const setQuant = () => {
    for (const c of components) {
      c.quant = quant[c.tq];
      if (!c.quant) throw corrupt(`component ${c.id} refers to a quantization table ${c.tq} that is not defined`);
    }
  };

  /** IDCT of the band of MCU row `mcuRow` (or block row, for a one-component frame) into each component's lines. */
  const idctBand = (mcuRow: number, single: boolean) => {
    for (const c of components) {
      const rows = single ? 1 : c.v;
      const stride = c.blocksPerLineForMcu * 8;
      for (let r = 0; r < rows; r++) {
        const blockRow = mcuRow * rows + r;
        if (blockRow >= c.blocksPerColumn) break;
        const base = (blockRow - c.coefsRow) * c.blocksPerLineForMcu * 64;
        for (let col = 0; col < c.blocksPerLine; col++) idct(c.coefs, base + col * 64, c.quant!, p, c.lines, r * 8 * stride + col * 8, stride);
      }
    }
  };

  // Column of each component's line per output column (jpeg-js: 0 | (x * scaleX)).
  const columns = components.map((c) => Int32Array.from({length: width}, (_, x) => 0 | (x * (c.h / frame.maxH) * 1)));
  const R = new Uint8Array(4); // jpeg-js's byte stores truncate; through a Uint8Array here alike

  /** Emits the image rows of a band of `lines` rows starting at row y0; component c's lines start at its line `first[c]`. */
  const emitBand = (y0: number, lines: number, single: boolean) => {
    const n = components.length;
    for (let y = y0; y < Math.min(height, y0 + lines); y++) {
      const rowOf = (i: number) => {
        const c = components[i]!;
        const scale = single ? 1 : c.v / frame.maxV;
        const first = single ? y0 : (y0 / frame.maxV) * c.v;
        // Clamped: a sampling ratio like 1/3 can round a line index just below the band.
        const line = Math.min(c.v * 8 - 1, Math.max(0, (0 | (y * scale * 1)) - first));
        return line * c.blocksPerLineForMcu * 8;
      };
      if (n === 1) {
        const lines0 = components[0]!.lines;
        const r0 = rowOf(0);
        const col0 = columns[0]!;
        for (let x = 0; x < width; x++) out[x] = lines0[r0 + col0[x]!]!;
      } else if (n === 3) {
        const [a, b, c] = components as [Component, Component, Component];
        const [ra, rb, rc] = [rowOf(0), rowOf(1), rowOf(2)];
        const [ca, cb, cc] = columns as [Int32Array, Int32Array, Int32Array];
        const transform = options.adobeTransform ? true : options.colorTransform;
        for (let x = 0, o = 0; x < width; x++, o += 3) {
          if (!transform) {
            out[o] = a.lines[ra + ca[x]!]!;
            out[o + 1] = b.lines[rb + cb[x]!]!;
            out[o + 2] = c.lines[rc + cc[x]!]!;
          } else {
            const Y = a.lines[ra + ca[x]!]!, Cb = b.lines[rb + cb[x]!]!, Cr = c.lines[rc + cc[x]!]!;
            out[o] = clamp(Y + 1.402 * (Cr - 128));
            out[o + 1] = clamp(Y - 0.3441363 * (Cb - 128) - 0.71413636 * (Cr - 128));
            out[o + 2] = clamp(Y + 1.772 * (Cb - 128));
          }
        }
      } else {
        // 4 components (Adobe CMYK or YCCK): jpeg-js's getData, then its copyToImageData.
        const rows = [0, 1, 2, 3].map(rowOf);
        const transform = options.adobeTransform ? true : false;
        for (let x = 0, o = 0; x < width; x++, o += 3) {
          const s = (i: number) => components[i]!.lines[rows[i]! + columns[i]![x]!]!;
          let C, M, Ye;
          const K = s(3);
          if (!transform) {
            C = s(0);
            M = s(1);
            Ye = s(2);
          } else {
            const Y = s(0), Cb = s(1), Cr = s(2);
            C = 255 - clamp(Y + 1.402 * (Cr - 128));
            M = 255 - clamp(Y - 0.3441363 * (Cb - 128) - 0.71413636 * (Cr - 128));
            Ye = 255 - clamp(Y + 1.772 * (Cb - 128));
          }
          R[0] = 255 - C;
          R[1] = 255 - M;
          R[2] = 255 - Ye;
          R[3] = 255 - K;
          const [c1, m1, y1, k1] = [R[0]!, R[1]!, R[2]!, R[3]!];
          out[o] = 255 - clamp(c1 * (1 - k1 / 255) + k1);
          out[o + 1] = 255 - clamp(m1 * (1 - k1 / 255) + k1);
          out[o + 2] = 255 - clamp(y1 * (1 - k1 / 255) + k1);
        }
      }
      onRow(y, out);
    }
  };

  let at = 2;
  let sawScan = false;
  for (;;) {
    if (at + 2 > bytes.length) throw new ImageDecodeError("truncated", "JPEG file ends before its end-of-image marker");
    if (bytes[at] !== 0xff) throw corrupt(`no marker where one is expected (byte ${at})`);
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++;
      continue;
    }
    if (marker === 0xd9) break;
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += 2;
      continue;
    }
    const length = u16(bytes, at + 2);
    const body = at + 4;
    const end = at + 2 + length;
    if (marker === 0xdb) {
      for (let o = body; o < end; ) {
        const spec = bytes[o++]!;
        const table = new Int32Array(64);
        if (spec >> 4 === 0) for (let j = 0; j < 64; j++) table[ZIGZAG[j]!] = bytes[o++]!;
        else if (spec >> 4 === 1) for (let j = 0; j < 64; j++, o += 2) table[ZIGZAG[j]!] = u16(bytes, o);
        else throw corrupt("invalid quantization table");
        quant[spec & 15] = table;
      }
    } else if (marker === 0xc4) {
      for (let o = body; o < end; ) {
        const spec = bytes[o++]!;
        const lengths = bytes.subarray(o, o + 16);
        const count = lengths.reduce((a, b) => a + b, 0);
        const values = bytes.slice(o + 16, o + 16 + count);
        o += 16 + count;
        (spec >> 4 === 0 ? dcTables : acTables)[spec & 15] = buildHuffman(lengths, values);
      }
    } else if (marker === 0xdd) {
      restartInterval = u16(bytes, body);
    } else if (marker === 0xda) {
      if (!sawScan) setQuant();
      sawScan = true;
      const n = bytes[body]!;
      const scanComponents: Component[] = [];
      for (let i = 0; i < n; i++) {
        const c = components.find((c) => c.id === bytes[body + 1 + 2 * i]);
        if (!c) throw corrupt("a scan refers to a component the frame does not have");
        const tables = bytes[body + 2 + 2 * i]!;
        c.dc = dcTables[tables >> 4];
        c.ac = acTables[tables & 15];
        scanComponents.push(c);
      }
      const s = body + 1 + 2 * n;
      const scan = {components: scanComponents, spectralStart: bytes[s]!, spectralEnd: bytes[s + 1]!, successivePrev: bytes[s + 2]! >> 4, successive: bytes[s + 2]! & 15};
      at = decodeScan(bytes, end, frame, scan, restartInterval, streamed ? (mcuRow) => {
        idctBand(mcuRow, components.length === 1);
        const lines = components.length === 1 ? 8 : frame.maxV * 8;
        emitBand(mcuRow * lines, lines, components.length === 1);
      } : null);
      continue;
    }
    at = end;
  }
  if (!sawScan) throw corrupt("no scan");
  if (!streamed) {
    setQuant();
    const single = components.length === 1;
    const bands = single ? components[0]!.blocksPerColumn : frame.mcusPerColumn;
    const lines = single ? 8 : frame.maxV * 8;
    for (let band = 0; band < bands && band * lines < height; band++) {
      idctBand(band, single);
      emitBand(band * lines, lines, single);
    }
  }
  return {components: outChannels};
}

const clamp = (a: number) => (a < 0 ? 0 : a > 255 ? 255 : a);

interface Scan {
  components: Component[];
  spectralStart: number;
  spectralEnd: number;
  successivePrev: number;
  successive: number;
}

/**
 * One scan, as jpeg-js's decodeScan. With `onMcuRow` (a single interleaved sequential scan, or the
 * one scan of a one-component frame) each component holds one MCU row (block row) of coefficients,
 * handed over and cleared as it completes; otherwise every coefficient is kept. Returns the offset
 * of the marker after the scan.
 */
function decodeScan(data: Uint8Array, start: number, frame: Frame, scan: Scan, resetInterval: number, onMcuRow: ((mcuRow: number) => void) | null): number {
  const {components, spectralStart, spectralEnd, successivePrev, successive} = scan;
  const progressive = frame.progressive;
  let pos = start;
  let bitBuf = 0;
  let bitCnt = 0;
  /** Zero bits fed at the end of the buffer where a marker stops the data: consuming one is an error. */
  let padBits = 0;

  const fill = () => {
    while (bitCnt <= 24) {
      let b = 0;
      if (pos < data.length && padBits === 0) {
        b = data[pos]!;
        if (b === 0xff) {
          const next = data[pos + 1];
          if (next === 0) pos += 2;
          else {
            b = 0;
            padBits += 8;
          }
        } else pos++;
      } else padBits += 8;
      bitBuf = (bitBuf << 8) | b;
      bitCnt += 8;
    }
  };
  const bits = (n: number): number => {
    if (n === 0) return 0;
    if (bitCnt < n) fill();
    bitCnt -= n;
    if (bitCnt < padBits) throw corrupt("unexpected marker inside the compressed data");
    return (bitBuf >>> bitCnt) & ((1 << n) - 1);
  };
  const decodeHuffman = (table: Huffman | undefined): number => {
    if (!table) throw corrupt("a scan uses a Huffman table that is not defined");
    if (bitCnt < 16) fill();
    const look = table.fast[(bitBuf >>> (bitCnt - 9)) & 511]!;
    if (look) {
      bitCnt -= look >> 8;
      if (bitCnt < padBits) throw corrupt("unexpected marker inside the compressed data");
      return look & 255;
    }
    let code = (bitBuf >>> (bitCnt - 10)) & 1023;
    let l = 10;
    while (code > table.maxcode[l]!) {
      l++;
      if (l > 16) throw corrupt("invalid Huffman code");
      code = (bitBuf >>> (bitCnt - l)) & ((1 << l) - 1);
    }
    bitCnt -= l;
    if (bitCnt < padBits) throw corrupt("unexpected marker inside the compressed data");
    const index = table.valptr[l]! + code;
    if (index < 0 || index >= table.values.length) throw corrupt("invalid Huffman code");
    return table.values[index]!;
  };
  const receiveAndExtend = (length: number): number => {
    if (length === 0) return 0;
    if (length > 16) throw corrupt("invalid coefficient size");
    const n = bits(length);
    return n >= 1 << (length - 1) ? n : n + (-1 << length) + 1;
  };

  type Decode = (c: Component, zz: Int32Array | Int16Array, o: number) => void;
  const decodeBaseline: Decode = (c, zz, o) => {
    const t = decodeHuffman(c.dc);
    const diff = t === 0 ? 0 : receiveAndExtend(t);
    zz[o] = c.pred += diff;
    let k = 1;
    while (k < 64) {
      const rs = decodeHuffman(c.ac);
      const s = rs & 15, r = rs >> 4;
      if (s === 0) {
        if (r < 15) break;
        k += 16;
        continue;
      }
      k += r;
      if (k > 63) throw corrupt("a block has more than 64 coefficients");
      zz[o + ZIGZAG[k]!] = receiveAndExtend(s);
      k++;
    }
  };
  const decodeDCFirst: Decode = (c, zz, o) => {
    const t = decodeHuffman(c.dc);
    const diff = t === 0 ? 0 : receiveAndExtend(t) << successive;
    zz[o] = c.pred += diff;
  };
  const decodeDCSuccessive: Decode = (_c, zz, o) => {
    zz[o] |= bits(1) << successive;
  };
  let eobrun = 0;
  const decodeACFirst: Decode = (c, zz, o) => {
    if (eobrun > 0) {
      eobrun--;
      return;
    }
    let k = spectralStart;
    const e = spectralEnd;
    while (k <= e) {
      const rs = decodeHuffman(c.ac);
      const s = rs & 15, r = rs >> 4;
      if (s === 0) {
        if (r < 15) {
          eobrun = bits(r) + (1 << r) - 1;
          break;
        }
        k += 16;
        continue;
      }
      k += r;
      if (k > 63) throw corrupt("a block has more than 64 coefficients");
      zz[o + ZIGZAG[k]!] = receiveAndExtend(s) * (1 << successive);
      k++;
    }
  };
  let successiveACState = 0;
  let successiveACNextValue = 0;
  const decodeACSuccessive: Decode = (c, zz, o) => {
    let k = spectralStart;
    const e = spectralEnd;
    let r = 0;
    while (k <= e) {
      const z = o + ZIGZAG[k]!;
      const direction = zz[z]! < 0 ? -1 : 1;
      switch (successiveACState) {
        case 0: {
          const rs = decodeHuffman(c.ac);
          const s = rs & 15;
          r = rs >> 4;
          if (s === 0) {
            if (r < 15) {
              eobrun = bits(r) + (1 << r);
              successiveACState = 4;
            } else {
              r = 16;
              successiveACState = 1;
            }
          } else {
            if (s !== 1) throw corrupt("invalid ACn encoding");
            successiveACNextValue = receiveAndExtend(s);
            successiveACState = r ? 2 : 3;
          }
          continue;
        }
        case 1:
        case 2:
          if (zz[z]) zz[z] += (bits(1) << successive) * direction;
          else {
            r--;
            if (r === 0) successiveACState = successiveACState == 2 ? 3 : 0;
          }
          break;
        case 3:
          if (zz[z]) zz[z] += (bits(1) << successive) * direction;
          else {
            zz[z] = successiveACNextValue << successive;
            successiveACState = 0;
          }
          break;
        case 4:
          if (zz[z]) zz[z] += (bits(1) << successive) * direction;
          break;
      }
      k++;
    }
    if (successiveACState === 4) {
      eobrun--;
      if (eobrun === 0) successiveACState = 0;
    }
  };

  const decodeFn: Decode = progressive
    ? spectralStart === 0
      ? successivePrev === 0
        ? decodeDCFirst
        : decodeDCSuccessive
      : successivePrev === 0
        ? decodeACFirst
        : decodeACSuccessive
    : decodeBaseline;

  const single = components.length === 1;
  const only = components[0]!;
  const mcuExpected = single ? only.blocksPerLine * only.blocksPerColumn : frame.mcusPerLine * frame.mcusPerColumn;
  const perRow = single ? only.blocksPerLine : frame.mcusPerLine;
  const interval = resetInterval || mcuExpected;
  // Streaming: the MCU row held, cleared before it is filled.
  let heldRow = -1;
  const hold = (row: number) => {
    if (!onMcuRow) return;
    if (heldRow >= 0) onMcuRow(heldRow);
    heldRow = row;
    for (const c of components) {
      c.coefs.fill(0);
      c.coefsRow = row * (single ? 1 : c.v);
    }
  };

  let mcu = 0;
  while (mcu < mcuExpected) {
    for (const c of components) c.pred = 0;
    eobrun = 0;
    for (let n = 0; n < interval && mcu < mcuExpected; n++, mcu++) {
      const row = (mcu / perRow) | 0;
      if (onMcuRow && row !== heldRow) hold(row);
      if (single) {
        const col = mcu % only.blocksPerLine;
        const o = ((row - only.coefsRow) * only.blocksPerLineForMcu + col) * 64;
        decodeFn(only, only.coefs, o);
      } else {
        const mcuCol = mcu % frame.mcusPerLine;
        for (const c of components) {
          for (let j = 0; j < c.v; j++) {
            for (let k = 0; k < c.h; k++) {
              const blockRow = row * c.v + j - c.coefsRow;
              const blockCol = mcuCol * c.h + k;
              decodeFn(c, c.coefs, (blockRow * c.blocksPerLineForMcu + blockCol) * 64);
            }
          }
        }
      }
    }
    // The interval's (or scan's) data ends here: drop the padding bits and find the marker.
    bitBuf = 0;
    bitCnt = 0;
    padBits = 0;
    pos = skipEntropyTo(data, pos);
    if (pos + 1 >= data.length) throw new ImageDecodeError("truncated", "JPEG file ends inside its compressed image data");
    const marker = data[pos + 1]!;
    if (marker >= 0xd0 && marker <= 0xd7) pos += 2;
    else break;
  }
  if (onMcuRow && heldRow >= 0) onMcuRow(heldRow);
  if (mcu < mcuExpected) throw corrupt(`a scan ends after ${mcu} of its ${mcuExpected} MCUs`);
  // Past any restart marker the last interval left, to the next marker proper.
  while (pos + 1 < data.length && data[pos] === 0xff && data[pos + 1]! >= 0xd0 && data[pos + 1]! <= 0xd7) pos = skipEntropyTo(data, pos + 2);
  return pos;
}

/** From `at`, the offset of the next marker (stuffed bytes skipped; restart markers count as markers). */
function skipEntropyTo(data: Uint8Array, at: number): number {
  while (at + 1 < data.length) {
    if (data[at] === 0xff) {
      const next = data[at + 1]!;
      if (next !== 0x00 && next !== 0xff) return at;
      at += next === 0xff ? 1 : 2;
    } else at++;
  }
  return data.length;
}
