/**
 * A large PNG read in slices (byte-reader.ts, as the analysis worker reads an opened File through
 * FileReaderSync): decodeLargePng gives exactly decodeImage's reduced decode while never reading
 * more than one slice at a time, leaves anything else to decodeImage (null), and reports a cut-off
 * or damaged file as decodeImage does.
 */
import {readdirSync, readFileSync} from "node:fs";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {decodeImage, decodeLargePng, ImageDecodeError, memoryReader, type ByteReader, type DecodeOptions} from "../src/pipeline/image/index.js";
import {READ_SLICE} from "../src/pipeline/image/byte-reader.js";
import {DATA_ROOT} from "./helpers/paths.js";

/** A reader over `bytes` that copies what it reads (as a Blob reader does) and records the largest read. */
function countingReader(bytes: Uint8Array): ByteReader & {largest: number; total: number} {
  const inner = memoryReader(bytes);
  const reader = {
    length: bytes.length,
    largest: 0,
    total: 0,
    read(from: number, to: number) {
      const piece = inner.read(from, to).slice();
      reader.largest = Math.max(reader.largest, piece.length);
      reader.total += piece.length;
      return piece;
    }
  };
  return reader;
}

const folder = path.join(DATA_ROOT, "cxr-nih/originals");
const pngs = readdirSync(folder).filter((f) => f.endsWith(".png")).sort().slice(0, 3).map((f) => path.join(folder, f));
const reduced: DecodeOptions = {reduce: true, reduceFor: {sizes: [128, 64], mode: "crop"}};

describe("decodeLargePng", () => {
  it.each(pngs)("%s: the reduced decode of decodeImage, read one slice at a time", (file) => {
    const bytes = new Uint8Array(readFileSync(file));
    const reader = countingReader(bytes);
    const sliced = decodeLargePng(reader, reduced)!;
    const whole = decodeImage(bytes, reduced);
    expect(sliced).not.toBeNull();
    expect([sliced.width, sliced.height, sliced.bitDepth]).toEqual([whole.width, whole.height, whole.bitDepth]);
    expect(Buffer.compare(Buffer.from(sliced.data.buffer), Buffer.from(whole.data.buffer))).toBe(0);
    expect(sliced.reduced!.squares.map((q) => Array.from(q.data))).toEqual(whole.reduced!.squares.map((q) => Array.from(q.data)));
    expect(reader.largest).toBeLessThanOrEqual(READ_SLICE);
  });

  it("leaves a PNG decoded at full size, a JPEG and a tiny file to decodeImage", () => {
    expect(decodeLargePng(memoryReader(new Uint8Array(readFileSync(pngs[0]!))))).toBeNull();
    const jpeg = readdirSync(path.join(DATA_ROOT, "cxr-peds/test/NORMAL")).find((f) => f.endsWith(".jpeg") || f.endsWith(".jpg"))!;
    expect(decodeLargePng(memoryReader(new Uint8Array(readFileSync(path.join(DATA_ROOT, "cxr-peds/test/NORMAL", jpeg)))), reduced)).toBeNull();
  });

  it("a cut-off or damaged file: the same error as decodeImage's", () => {
    const bytes = new Uint8Array(readFileSync(pngs[0]!));
    const cut = bytes.subarray(0, Math.floor(bytes.length * 0.6));
    const damaged = bytes.slice();
    damaged[Math.floor(bytes.length / 2)]! ^= 0x55;
    for (const file of [cut, damaged]) {
      const expected = (() => {
        try {
          decodeImage(file, {...reduced, name: "x.png"});
        } catch (error) {
          return error as ImageDecodeError;
        }
        throw new Error("decodeImage accepted a bad file");
      })();
      expect(() => decodeLargePng(memoryReader(file), {...reduced, name: "x.png"})).toThrow(expected.message);
      expect(expected.code).toMatch(/truncated|corrupt/);
    }
  });
});
