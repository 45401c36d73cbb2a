import {readFileSync} from "node:fs";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {dataFile, REPO_ROOT} from "./helpers/paths.js";
import {decodeImage, readImageHeader, type DecodedImage} from "../src/pipeline/image/index.js";

/** Fixtures made by tests/fixtures/make-jpeg-fixtures.py (synthetic pictures, committed). */
const fixture = (name: string) => decodeImage(new Uint8Array(readFileSync(path.join(REPO_ROOT, "tests/fixtures", name))));

/** Largest and mean absolute difference, in 8-bit grey levels. */
function diff(a: DecodedImage, b: DecodedImage): {max: number; mean: number} {
  expect([a.width, a.height, a.channels]).toEqual([b.width, b.height, b.channels]);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i]! - b.data[i]!) * 255;
    max = Math.max(max, d);
    sum += d;
  }
  return {max, mean: sum / a.data.length};
}

describe("JPEG", () => {
  it("decodes a real baseline greyscale chest X-ray like libjpeg does", () => {
    const bytes = dataFile("cxr-peds/test/NORMAL/IM-0001-0001.jpg");
    expect(readImageHeader(bytes)).toEqual({format: "jpeg", width: 256, height: 256});
    const img = decodeImage(bytes);
    expect([img.width, img.height, img.channels, img.bitDepth, img.format]).toEqual([256, 256, 1, 8, "jpeg"]);
    expect(img.info).toMatchObject({process: "baseline", components: 1, colourModel: "greyscale"});
    // Reference from Pillow (libjpeg); IDCT implementations may differ by a level or two.
    const at = (x: number, y: number) => img.data[y * 256 + x]! * 255;
    const expected: [number, number, number][] = [
      [0, 0, 28],
      [5, 7, 25],
      [128, 85, 215],
      [255, 255, 148]
    ];
    for (const [x, y, v] of expected) expect(Math.abs(at(x, y) - v)).toBeLessThanOrEqual(2);
    const mean = (img.data.reduce((s, v) => s + v, 0) / img.data.length) * 255;
    expect(mean).toBeCloseTo(9451252 / 65536, 0);
  });

  it.each(["synthetic-grey", "synthetic-rgb"])("%s: progressive decodes like its baseline twin and like the lossless original", (stem) => {
    const original = fixture(`${stem}.png`);
    const baseline = fixture(`${stem}-baseline.jpg`);
    const progressive = fixture(`${stem}-progressive.jpg`);
    expect(baseline.info.process).toBe("baseline");
    expect(progressive.info.process).toBe("progressive");
    expect(progressive.channels).toBe(stem.endsWith("rgb") ? 3 : 1);
    expect([progressive.width, progressive.height]).toEqual([60, 44]);
    // Same quality, same coefficients: only the scan order differs.
    expect(diff(progressive, baseline).max).toBeLessThanOrEqual(1);
    // JPEG loss at quality 90 (RGB also loses chroma resolution to 4:2:0 subsampling).
    const loss = diff(progressive, original);
    expect(loss.mean).toBeLessThan(stem.endsWith("rgb") ? 6 : 2);
    expect(loss.max).toBeLessThan(stem.endsWith("rgb") ? 48 : 32);
  });

  it("converts an Adobe CMYK JPEG to RGB", () => {
    const img = fixture("cmyk-adobe.jpg");
    expect([img.width, img.height, img.channels]).toEqual([32, 32, 3]);
    expect(img.info.colourModel).toBe("CMYK");
    // Patch centres: cyan, magenta / yellow, 50 % black ink.
    const rgbAt = (x: number, y: number) => Array.from(img.data.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3), (v) => v * 255);
    const expected: [number, number, number[]][] = [
      [8, 8, [0, 255, 255]],
      [24, 8, [255, 0, 255]],
      [8, 24, [255, 255, 0]],
      [24, 24, [127, 127, 127]]
    ];
    for (const [x, y, rgb] of expected) {
      rgbAt(x, y).forEach((v, c) => expect(Math.abs(v - rgb[c]!)).toBeLessThanOrEqual(6));
    }
  });
});
