import * as tf from "@tensorflow/tfjs";
import {readdirSync, readFileSync} from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {normalisationConstants} from "../src/pipeline/bundle/card.js";
import {decodeImage} from "../src/pipeline/image/index.js";
import type {DecodedImage} from "../src/pipeline/image/types.js";
import {greyTensor, inputBox, prepare, resizeToSquare} from "../src/pipeline/preprocess.js";
import {DATA_ROOT} from "./helpers/paths.js";

beforeAll(async () => {
  await initBackend();
});

const grey = (width: number, height: number, f: (x: number, y: number) => number): DecodedImage => ({
  width, height, channels: 1, format: "png", bitDepth: 8, info: {},
  data: Float32Array.from({length: width * height}, (_, i) => f(i % width, Math.floor(i / width)))
});

describe("input box", () => {
  it("crop takes the centred square, stretch the whole image", () => {
    expect(inputBox(300, 200, "crop")).toEqual({x: 50, y: 0, width: 200, height: 200});
    expect(inputBox(200, 301, "crop")).toEqual({x: 0, y: 50, width: 200, height: 200});
    expect(inputBox(300, 200, "stretch")).toEqual({x: 0, y: 0, width: 300, height: 200});
  });
});

describe("preprocessing", () => {
  it("converts RGB to grey with BT.601 luma", () => {
    const rgb: DecodedImage = {width: 2, height: 1, channels: 3, format: "png", bitDepth: 8, info: {}, data: Float32Array.of(1, 0, 0, 0.2, 0.4, 0.6)};
    const g = greyTensor(rgb);
    const v = g.dataSync();
    expect(v[0]).toBeCloseTo(0.299, 6);
    expect(v[1]).toBeCloseTo(0.299 * 0.2 + 0.587 * 0.4 + 0.114 * 0.6, 6);
    g.dispose();
  });

  it("area-reduces exactly by an integer factor", () => {
    // 8x8 -> 4x4: each output is the mean of a 2x2 block.
    const image = grey(8, 8, (x, y) => (x + 8 * y) / 64);
    const g = greyTensor(image);
    const out = resizeToSquare(g, inputBox(8, 8, "crop"), 4).dataSync();
    const block = (bx: number, by: number) => [0, 1].flatMap((dy) => [0, 1].map((dx) => (2 * bx + dx + 8 * (2 * by + dy)) / 64)).reduce((a, b) => a + b) / 4;
    for (let by = 0; by < 4; by++) for (let bx = 0; bx < 4; bx++) expect(out[by * 4 + bx]).toBeCloseTo(block(bx, by), 6);
    g.dispose();
  });

  it("crop keeps the geometry and stretch does not", () => {
    // A 200x100 image: left half black, right half white. Cropping keeps the centre square (half
    // black, half white); stretching squeezes the same edge into the middle.
    const image = grey(200, 100, (x) => (x < 100 ? 0 : 1));
    const crop = prepare(image, 10, "crop");
    const stretch = prepare(image, 10, "stretch");
    const c = Array.from(crop.pixels.dataSync()), s = Array.from(stretch.pixels.dataSync());
    expect(crop.box).toEqual({x: 50, y: 0, width: 100, height: 100});
    expect(c[0]).toBe(0);
    expect(c[9]).toBe(1);
    expect(c.reduce((a, b) => a + b) / 100).toBeCloseTo(0.5, 6);
    expect(s.reduce((a, b) => a + b) / 100).toBeCloseTo(0.5, 6);
    tf.dispose([crop.pixels, stretch.pixels]);
  });

  it("gives 224 and 64 inputs in [0, 1] from real pediatric and adult images", () => {
    for (const file of ["cxr-peds/originals", "cxr-nih/originals"]) {
      const folder = path.join(DATA_ROOT, file);
      const name = readdirFirst(folder);
      const image = decodeImage(new Uint8Array(readFileSync(path.join(folder, name))));
      for (const size of [224, 64]) {
        const {pixels} = prepare(image, size, "crop");
        expect(pixels.shape).toEqual([size, size]);
        const [min, max] = [pixels.min().dataSync()[0]!, pixels.max().dataSync()[0]!];
        expect(min).toBeGreaterThanOrEqual(0);
        expect(max).toBeLessThanOrEqual(1);
        expect(max - min).toBeGreaterThan(0.3); // a real radiograph has contrast
        pixels.dispose();
      }
    }
  });

  it("reads normalisation constants from the card", () => {
    expect(normalisationConstants("unit", 1)).toEqual({mean: [0], std: [1]});
    expect(normalisationConstants("xrv", 1)).toEqual({mean: [0.5], std: [1 / 2048]}); // [0,1] -> [-1024, 1024]
    expect(normalisationConstants("imagenet", 3).mean).toEqual([0.485, 0.456, 0.406]);
    expect(normalisationConstants("imagenet", 1).mean[0]).toBeCloseTo((0.485 + 0.456 + 0.406) / 3, 6);
    expect(normalisationConstants("symmetric", 3)).toEqual({mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5]});
  });
});

function readdirFirst(folder: string): string {
  const names = readdirSync(folder, {recursive: true}).map(String).filter((n) => /\.(png|jpe?g)$/i.test(n)).sort();
  if (!names.length) throw new Error(`no images in ${folder}`);
  return names[0]!;
}
