/**
 * Huge valid images are refused from their header, in bytes as well as pixels, before any pixel
 * buffer exists (issue 12, item 2: an 8000 x 8000 JPEG took 4.7 GB, a 16-bit RGBA PNG 3 GB).
 */
import {describe, expect, it} from "vitest";
import {decodeImage, DEFAULT_MAX_DECODE_BYTES, ImageDecodeError} from "../src/pipeline/image/index.js";
import {decodeMemoryBytes} from "../src/pipeline/image/budget.js";
import {greyPng, hugeImageHeaders} from "./corpus/bad-inputs.js";
import {dataFile} from "./helpers/paths.js";

describe("memory budget of a decode", () => {
  it.each(hugeImageHeaders())("$name ($width x $height, under the pixel limit) is refused as too-large from its header", ({name, bytes, width, height}) => {
    expect(width * height).toBeLessThanOrEqual(64 * 1024 * 1024); // the pixel limit alone lets it through
    expect(decodeMemoryBytes(name.endsWith(".png") ? "png" : "jpeg", bytes)).toBeGreaterThan(DEFAULT_MAX_DECODE_BYTES);
    const before = process.memoryUsage().rss;
    let error: unknown;
    try {
      decodeImage(bytes, {name});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ImageDecodeError);
    expect((error as ImageDecodeError).code).toBe("too-large");
    expect((error as ImageDecodeError).message).toMatch(new RegExp(`${name}: (JPEG|PNG) of ${width}x${height} would take about \\d+ MB of memory to decode, more than the limit of 512 MB`));
    // Nothing near the image's size was allocated (the decode would have taken gigabytes).
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 2 ** 20);
  });

  it("the budget is an option, and ordinary radiographs are well inside the default", () => {
    const png = greyPng(64, 64, (x, y) => (x + y) % 256);
    expect(() => decodeImage(png, {maxDecodeBytes: 1000})).toThrow(/would take about 0 MB of memory to decode, more than the limit of 0 MB/);
    expect(decodeImage(png).width).toBe(64);
    const radiograph = dataFile("cxr-peds/test/PNEUMONIA/person100_bacteria_475.jpg");
    const estimate = decodeMemoryBytes("jpeg", radiograph);
    expect(estimate).toBeLessThan(DEFAULT_MAX_DECODE_BYTES / 4);
    expect(decodeImage(radiograph).width).toBeGreaterThan(0);
  });
});
