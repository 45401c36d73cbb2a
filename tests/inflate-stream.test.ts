/**
 * The streaming inflater of huge PNGs (src/pipeline/image/inflate-stream.ts): byte for byte what
 * zlib compressed, for every kind of deflate block (stored, fixed and dynamic Huffman, run-length,
 * Huffman only), input split over many ranges as IDAT chunks split it, real radiographs' PNG data,
 * and output much larger than its buffer; it stops when asked, and says "ends early" for truncated
 * data and names what is wrong with corrupt data.
 */
import {readdirSync, readFileSync} from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import {describe, expect, it} from "vitest";
import {InflateEndError, inflateRanges} from "../src/pipeline/image/inflate-stream.js";
import {DATA_ROOT} from "./helpers/paths.js";

/** Deterministic pseudo-random bytes. */
function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

/** Text-like data with long repeats (matches at every distance up to the window) and noise. */
function mixed(n: number): Uint8Array {
  const out = new Uint8Array(n);
  const rand = noise(n, 7);
  for (let i = 0; i < n; i++) {
    const r = rand[i]!;
    out[i] = i > 40000 && r < 200 ? out[i - 1 - ((r * 157) % 32768)]! : r < 230 ? 97 + (r % 7) : r;
  }
  return out;
}

/** The raw deflate stream of zlib's output, split into `pieces` ranges of one buffer with gaps between. */
function splitStream(deflated: Uint8Array, pieces: number): {bytes: Uint8Array; ranges: [number, number][]} {
  const gap = 12;
  const bytes = new Uint8Array(deflated.length + gap * (pieces + 1)).fill(0xee);
  const ranges: [number, number][] = [];
  let at = gap;
  for (let k = 0; k < pieces; k++) {
    const from = Math.floor((k * deflated.length) / pieces);
    const to = Math.floor(((k + 1) * deflated.length) / pieces);
    bytes.set(deflated.subarray(from, to), at);
    ranges.push([at, at + to - from]);
    at += to - from + gap;
  }
  return {bytes, ranges};
}

function inflateAll(bytes: Uint8Array, ranges: [number, number][]): Uint8Array {
  const pieces: Uint8Array[] = [];
  expect(inflateRanges(bytes, ranges, (piece) => void pieces.push(piece.slice()))).toBe(true);
  return Buffer.concat(pieces);
}

const Z = zlib.constants;
const SETTINGS: [string, zlib.ZlibOptions][] = [
  ["stored (level 0)", {level: 0}],
  ["fixed Huffman", {level: 6, strategy: Z.Z_FIXED}],
  ["dynamic Huffman, level 9", {level: 9}],
  ["dynamic Huffman, level 1", {level: 1}],
  ["run-length", {strategy: Z.Z_RLE}],
  ["Huffman only", {strategy: Z.Z_HUFFMAN_ONLY}]
];
const DATA: [string, Uint8Array][] = [
  ["noise", noise(150_000, 3)],
  ["repeats and noise", mixed(400_000)],
  ["one byte repeated (1000:1)", new Uint8Array(3_000_000).fill(9)],
  ["empty", new Uint8Array(0)]
];

describe("inflateRanges", () => {
  for (const [setting, options] of SETTINGS)
    it.each(DATA)(`${setting}: %s, byte for byte`, (_name, data) => {
      const deflated = zlib.deflateRawSync(data, options);
      for (const pieces of [1, 7, Math.min(300, Math.max(1, deflated.length))]) {
        const {bytes, ranges} = splitStream(deflated, pieces);
        expect(Buffer.compare(inflateAll(bytes, ranges), Buffer.from(data))).toBe(0);
      }
    });

  it("real radiographs' PNG image data, as zlib inflates it", () => {
    const folder = path.join(DATA_ROOT, "cxr-nih/originals");
    const files = readdirSync(folder).filter((f) => f.endsWith(".png")).sort().slice(0, 4);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const png = new Uint8Array(readFileSync(path.join(folder, file)));
      const ranges: [number, number][] = [];
      for (let at = 8; at + 12 <= png.length; ) {
        const length = new DataView(png.buffer, png.byteOffset).getUint32(at);
        const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
        if (type === "IDAT") ranges.push([at + 8, at + 8 + length]);
        at += 12 + length;
      }
      const zlibStream = Buffer.concat(ranges.map(([a, b]) => png.subarray(a, b)));
      ranges[0] = [ranges[0]![0] + 2, ranges[0]![1]]; // the zlib header is the caller's
      expect(Buffer.compare(inflateAll(png, ranges), zlib.inflateSync(zlibStream))).toBe(0);
    }
  });

  it("stops when the consumer has what it needs", () => {
    const data = new Uint8Array(2_000_000).fill(1);
    const deflated = zlib.deflateRawSync(data);
    let seen = 0;
    let calls = 0;
    expect(inflateRanges(deflated, [[0, deflated.length]], (piece) => ((seen += piece.length), ++calls === 2))).toBe(false);
    expect(calls).toBe(2);
    expect(seen).toBeLessThan(data.length);
  });

  it("data that ends early: InflateEndError, with nothing past the real data handed on", () => {
    const data = mixed(300_000);
    for (const setting of [{level: 9}, {level: 0}, {strategy: Z.Z_FIXED}]) {
      const deflated = zlib.deflateRawSync(data, setting);
      for (const keep of [0, 1, 3, Math.floor(deflated.length / 2), deflated.length - 1]) {
        let handed = 0;
        expect(() => inflateRanges(deflated, [[0, keep]], (piece) => void (handed += piece.length))).toThrow(InflateEndError);
        expect(handed).toBeLessThanOrEqual(data.length);
      }
    }
  });

  it("corrupt data: an error that says what is wrong", () => {
    expect(() => inflateRanges(Uint8Array.of(0b111), [[0, 1]], () => {})).toThrow(/block type 3/);
    expect(() => inflateRanges(Uint8Array.of(1, 5, 0, 5, 0), [[0, 5]], () => {})).toThrow(/stored block lengths/);
    // A fixed-Huffman block whose first match reaches before the start of the output.
    const tooFar = zlib.deflateRawSync(Buffer.from("abcabcabcabc"), {strategy: Z.Z_FIXED});
    const bytes = Uint8Array.from(tooFar);
    expect(() => {
      // Flip bits until the stream decodes a distance beyond what was written, or report corruption.
      for (let bit = 3; bit < bytes.length * 8; bit++) {
        const copy = bytes.slice();
        copy[bit >> 3]! ^= 1 << (bit & 7);
        inflateRanges(copy, [[0, copy.length]], () => {});
      }
    }).toThrow(/invalid|unexpected EOF/);
  });
});
