import {encode, type ImageData} from "fast-png";
import {describe, expect, it} from "vitest";
import {dataFile} from "./helpers/paths.js";
import {decodeImage, readImageHeader} from "../src/pipeline/image/index.js";

/** Encodes with fast-png, decodes with ours, returns the image. */
const roundTrip = (image: ImageData, interlace?: "Adam7") => decodeImage(encode(image, interlace ? {interlace} : {}));
const f32 = (values: number[]) => values.map((v) => Math.fround(v));

describe("PNG colour types and bit depths (fixtures made with fast-png)", () => {
  it("8-bit greyscale: exact values / 255", () => {
    const img = roundTrip({width: 3, height: 2, data: Uint8Array.of(0, 1, 127, 128, 254, 255), depth: 8, channels: 1});
    expect([img.width, img.height, img.channels, img.bitDepth, img.format]).toEqual([3, 2, 1, 8, "png"]);
    expect(Array.from(img.data)).toEqual(f32([0, 1, 127, 128, 254, 255].map((v) => v / 255)));
    expect(img.info).toMatchObject({colourType: "greyscale", hadAlpha: false});
  });

  it("16-bit greyscale: exact values / 65535", () => {
    const values = [0, 1, 256, 32768, 65534, 65535];
    const img = roundTrip({width: 2, height: 3, data: Uint16Array.from(values), depth: 16, channels: 1});
    expect(img.bitDepth).toBe(16);
    expect(Array.from(img.data)).toEqual(f32(values.map((v) => v / 65535)));
  });

  it.each([1, 2, 4] as const)("%i-bit greyscale, rows not byte-aligned", (depth) => {
    // Width 5 leaves padding bits at the end of each row; fast-png wants the rows packed.
    const width = 5;
    const height = 2;
    const max = (1 << depth) - 1;
    const values = Array.from({length: width * height}, (_, i) => (i * 3) % (max + 1));
    const bytesPerRow = Math.ceil((width * depth) / 8);
    const packed = new Uint8Array(bytesPerRow * height);
    values.forEach((v, i) => {
      const y = Math.floor(i / width);
      const bit = (i % width) * depth;
      packed[y * bytesPerRow + (bit >> 3)]! |= v << (8 - depth - (bit & 7));
    });
    const img = roundTrip({width, height, data: packed, depth, channels: 1});
    expect(img.bitDepth).toBe(depth);
    expect(Array.from(img.data)).toEqual(f32(values.map((v) => v / max)));
  });

  it("8-bit RGB", () => {
    const rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30];
    const img = roundTrip({width: 2, height: 2, data: Uint8Array.from(rgb), depth: 8, channels: 3});
    expect(img.channels).toBe(3);
    expect(Array.from(img.data)).toEqual(f32(rgb.map((v) => v / 255)));
    expect(img.info.colourType).toBe("RGB");
  });

  it("16-bit RGB", () => {
    const rgb = [65535, 0, 1, 1000, 30000, 65534];
    const img = roundTrip({width: 2, height: 1, data: Uint16Array.from(rgb), depth: 16, channels: 3});
    expect([img.channels, img.bitDepth]).toEqual([3, 16]);
    expect(Array.from(img.data)).toEqual(f32(rgb.map((v) => v / 65535)));
  });

  it("8-bit RGBA: alpha dropped and recorded", () => {
    const img = roundTrip({width: 2, height: 1, data: Uint8Array.of(10, 20, 30, 0, 40, 50, 60, 255), depth: 8, channels: 4});
    expect(img.channels).toBe(3);
    expect(Array.from(img.data)).toEqual(f32([10, 20, 30, 40, 50, 60].map((v) => v / 255)));
    expect(img.info).toMatchObject({colourType: "RGBA", hadAlpha: true});
  });

  it("16-bit greyscale+alpha: alpha dropped", () => {
    const img = roundTrip({width: 3, height: 1, data: Uint16Array.of(0, 65535, 40000, 0, 65535, 1234), depth: 16, channels: 2});
    expect([img.channels, img.bitDepth]).toEqual([1, 16]);
    expect(Array.from(img.data)).toEqual(f32([0, 40000, 65535].map((v) => v / 65535)));
    expect(img.info).toMatchObject({colourType: "greyscale+alpha", hadAlpha: true});
  });

  it("8-bit greyscale+alpha", () => {
    const img = roundTrip({width: 2, height: 1, data: Uint8Array.of(7, 255, 200, 0), depth: 8, channels: 2});
    expect(Array.from(img.data)).toEqual(f32([7 / 255, 200 / 255]));
  });

  it("palette, 8-bit indices: expanded to RGB", () => {
    const palette = [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
      [12, 34, 56]
    ];
    const img = roundTrip({width: 4, height: 1, data: Uint8Array.of(3, 2, 1, 0), depth: 8, channels: 1, palette});
    expect([img.channels, img.bitDepth, img.info.colourType]).toEqual([3, 8, "palette"]);
    expect(Array.from(img.data)).toEqual(f32([12, 34, 56, 0, 0, 255, 0, 255, 0, 255, 0, 0].map((v) => v / 255)));
    expect(img.info.hadAlpha).toBe(false);
  });

  it("palette, 4-bit indices, with transparency (tRNS)", () => {
    const palette = [
      [255, 0, 0, 255],
      [0, 255, 0, 128],
      [9, 8, 7, 0]
    ];
    // Indices 2, 0, 1 packed two per byte: 0x20, 0x10.
    const img = roundTrip({width: 3, height: 1, data: Uint8Array.of(0x20, 0x10), depth: 4, channels: 1, palette});
    expect(Array.from(img.data)).toEqual(f32([9, 8, 7, 255, 0, 0, 0, 255, 0].map((v) => v / 255)));
    expect(img.info.hadAlpha).toBe(true);
  });

  it("Adam7-interlaced 16-bit RGB decodes like the non-interlaced image", () => {
    const image = {width: 9, height: 7, data: Uint16Array.from({length: 9 * 7 * 3}, (_, k) => (k * 977) % 65536), depth: 16, channels: 3} as const;
    const interlaced = roundTrip(image, "Adam7");
    expect(interlaced.info.interlaced).toBe(true);
    expect(Array.from(interlaced.data)).toEqual(Array.from(roundTrip(image).data));
  });

  it("reads the size from IHDR without decoding", () => {
    const png = encode({width: 300, height: 7, data: new Uint8Array(300 * 7), depth: 8, channels: 1});
    expect(readImageHeader(png)).toEqual({format: "png", width: 300, height: 7});
  });
});

describe("real PNGs from the shared data", () => {
  // Reference values read with Pillow (libpng) from the same files.
  it("CIFAR-10 RGB 32x32 matches Pillow exactly", () => {
    const img = decodeImage(dataFile("ood/cifar10/airplane_0001.png"));
    expect([img.width, img.height, img.channels, img.bitDepth]).toEqual([32, 32, 3, 8]);
    const at = (x: number, y: number) => Array.from(img.data.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3), (v) => Math.round(v * 255));
    expect(at(0, 0)).toEqual([92, 123, 152]);
    expect(at(5, 7)).toEqual([96, 132, 156]);
    expect(at(16, 10)).toEqual([127, 145, 157]);
    expect(at(31, 31)).toEqual([93, 118, 148]);
    const sums = [0, 0, 0];
    img.data.forEach((v, i) => (sums[i % 3]! += Math.round(v * 255)));
    expect(sums).toEqual([124683, 146622, 159955]);
  });

  it("NIH 1024x1024 greyscale original matches Pillow exactly", () => {
    const img = decodeImage(dataFile("cxr-nih/originals/00000001_000-Cardiomegaly.png"));
    expect([img.width, img.height, img.channels, img.bitDepth]).toEqual([1024, 1024, 1, 8]);
    const at = (x: number, y: number) => Math.round(img.data[y * 1024 + x]! * 255);
    expect([at(0, 0), at(5, 7), at(512, 341), at(1023, 1023)]).toEqual([202, 176, 167, 0]);
    let sum = 0;
    for (const v of img.data) sum += Math.round(v * 255);
    expect(sum).toBe(134360029);
  });
});
