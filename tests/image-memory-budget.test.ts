/**
 * The memory budget of a decode (issue 12, item 2: an 8000 x 8000 JPEG took 4.7 GB, a 16-bit RGBA
 * PNG 3 GB). Estimated from the header before anything is allocated: a full-resolution decode
 * within the budget (128 MiB) is done as before; a larger image is decoded reduced, row by row
 * (tests/image-huge.test.ts decodes and audits real ones); refused, as too-large and from the
 * header alone, is only an image beyond 30000 x 30000 pixels, or one whose reduced decode would
 * still exceed the budget (a progressive JPEG holds all its coefficients).
 */
import {describe, expect, it} from "vitest";
import {decodeImage, DEFAULT_MAX_DECODE_BYTES, DEFAULT_MAX_PIXELS, ImageDecodeError} from "../src/pipeline/image/index.js";
import {decodeMemoryBytes, reducedDecodeBytes} from "../src/pipeline/image/budget.js";
import {greyPng, hugeImageHeaders, jpegHeaderOnly} from "./corpus/bad-inputs.js";
import {dataFile} from "./helpers/paths.js";

function errorOf(bytes: Uint8Array, options: Parameters<typeof decodeImage>[1]): ImageDecodeError {
  try {
    decodeImage(bytes, options);
  } catch (error) {
    expect(error).toBeInstanceOf(ImageDecodeError);
    return error as ImageDecodeError;
  }
  throw new Error("decoded, but should have been refused");
}

const progressiveHeader = (width: number, height: number) => jpegHeaderOnly(width, height, 3, true);

describe("memory budget of a decode", () => {
  it.each(hugeImageHeaders())(
    "$name ($width x $height) is over the budget at full resolution, within it reduced: decoded reduced, so a file holding only the header is refused as cut off, allocating nothing",
    ({name, bytes, width, height}) => {
      const format = name.endsWith(".png") ? "png" : "jpeg";
      expect(decodeMemoryBytes(format, bytes)).toBeGreaterThan(DEFAULT_MAX_DECODE_BYTES);
      expect(reducedDecodeBytes(format, bytes).bytes).toBeLessThan(DEFAULT_MAX_DECODE_BYTES / 2);
      const before = process.memoryUsage().rss;
      const error = errorOf(bytes, {name});
      expect(["truncated", "corrupt"]).toContain(error.code);
      expect(error.message).toMatch(new RegExp(`^${name}: `));
      expect(`${width}x${height}`).toBeTruthy();
      expect(process.memoryUsage().rss - before).toBeLessThan(64 * 2 ** 20);
    }
  );

  it("beyond 30000 x 30000 pixels an image is refused from its header, in milliseconds", () => {
    expect(DEFAULT_MAX_PIXELS).toBe(30000 * 30000);
    const [png] = hugeImageHeaders().filter((h) => h.name.endsWith(".png"));
    const claiming = png!.bytes.slice();
    new DataView(claiming.buffer).setUint32(16, 30001);
    new DataView(claiming.buffer).setUint32(20, 30001);
    const start = performance.now();
    const error = errorOf(claiming, {name: "x.png"});
    expect(performance.now() - start).toBeLessThan(50);
    expect(error.code).toBe("too-large");
    expect(error.message).toMatch(/30001x30001 = 900\.1 megapixels, more than the limit of 900\.0/);
  });

  it("a progressive JPEG whose coefficients alone exceed the budget is refused from its header, saying why and what to do", () => {
    // 8000 x 8000 x 3 components at full resolution: 384 MB of int16 coefficients until the last scan.
    const bytes = progressiveHeader(8000, 8000);
    expect(reducedDecodeBytes("jpeg", bytes).bytes).toBeGreaterThan(DEFAULT_MAX_DECODE_BYTES);
    const error = errorOf(bytes, {name: "p.jpg"});
    expect(error.code).toBe("too-large");
    expect(error.message).toMatch(
      /^p\.jpg: JPEG of 8000x8000 would take about 3\d\d MB of memory to decode even reduced \(every DCT coefficient, which a progressive JPEG needs until its last scan\), more than the limit of 128 MB; save it as a baseline JPEG/
    );
    // A smaller progressive one fits: decoded reduced (here cut off after its header).
    expect(["truncated", "corrupt"]).toContain(errorOf(progressiveHeader(3000, 3000), {name: "q.jpg"}).code);
  });

  it("the budget counts preprocessing's tensors too: a 3000 x 3000 grey JPEG (642 MB peak in the audit at full resolution) is decoded reduced", () => {
    const bytes = jpegHeaderOnly(3000, 3000, 1);
    expect(decodeMemoryBytes("jpeg", bytes)).toBeGreaterThan(DEFAULT_MAX_DECODE_BYTES);
    expect(decodeMemoryBytes("jpeg", jpegHeaderOnly(2444, 2155, 1))).toBeLessThan(DEFAULT_MAX_DECODE_BYTES); // the data's largest
    expect(errorOf(bytes, {name: "x.jpg"}).message).toBe("x.jpg: JPEG could not be decoded: no scan"); // reduced: the row decoder's message
  });

  it("the budget is an option, and ordinary radiographs are decoded at full resolution within the default", () => {
    const png = greyPng(64, 64, (x, y) => (x + y) % 256);
    expect(errorOf(png, {maxDecodeBytes: 1000}).message).toMatch(/would take about \d+ MB of memory to decode even reduced \(rows and block sums\), more than the limit of 0 MB/);
    expect(decodeImage(png).reduced).toBeUndefined();
    const radiograph = dataFile("cxr-peds/test/PNEUMONIA/person100_bacteria_475.jpg");
    expect(decodeMemoryBytes("jpeg", radiograph)).toBeLessThan(DEFAULT_MAX_DECODE_BYTES / 4);
    const image = decodeImage(radiograph);
    expect(image.reduced).toBeUndefined();
    expect(image.width).toBeGreaterThan(0);
  });
});
