/** Files that must be refused with the right ImageDecodeError code, quickly, and without crashing. */
import {encode} from "fast-png";
import {describe, expect, it} from "vitest";
import {dataFile} from "./helpers/paths.js";
import {decodeImage, ImageDecodeError, readImageHeader, type ImageErrorCode} from "../src/pipeline/image/index.js";
import {greyImage, writeDicom} from "./helpers/dicom-writer.js";
import {pngChunk} from "./corpus/bad-inputs.js";

function errorOf(bytes: Uint8Array, name = "input", maxPixels?: number): ImageDecodeError {
  try {
    decodeImage(bytes, maxPixels === undefined ? {name} : {name, maxPixels});
  } catch (error) {
    expect(error, "every failure is an ImageDecodeError").toBeInstanceOf(ImageDecodeError);
    return error as ImageDecodeError;
  }
  throw new Error(`${name}: expected an ImageDecodeError`);
}
const expectCode = (bytes: Uint8Array, code: ImageErrorCode, name?: string) => expect(errorOf(bytes, name).code).toBe(code);

const chunk = pngChunk;
/** A structurally valid PNG whose IHDR claims width x height, with a tiny IDAT. */
function pngClaiming(width: number, height: number): Uint8Array {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale, deflate, adaptive filter, no interlace
  const idat = Uint8Array.of(0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01); // zlib of one 0 byte
  const parts = [Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), chunk("IHDR", ihdr), chunk("IDAT", idat), chunk("IEND", new Uint8Array())];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe("bad inputs", () => {
  it("empty file -> empty", () => {
    const error = errorOf(new Uint8Array(0), "scan.png");
    expect(error.code).toBe("empty");
    expect(error.fileName).toBe("scan.png");
    expect(error.message).toMatch(/^scan\.png: /);
  });

  it("text renamed .png -> unknown-format, saying it starts with text", () => {
    const error = errorOf(new TextEncoder().encode("patient,label\n123,PNEUMONIA\n"), "notes.png");
    expect(error.code).toBe("unknown-format");
    expect(error.message).toContain("starts with text");
    expect(error.message).toContain("patient,label");
  });

  it("other formats are named (GIF, TIFF) and binary junk is shown as bytes", () => {
    expect(errorOf(new TextEncoder().encode("GIF89a\x01\x00\x01\x00")).message).toContain("GIF");
    expect(errorOf(Uint8Array.of(0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0)).message).toContain("TIFF");
    const junk = errorOf(Uint8Array.of(0x01, 0x02, 0xfe, 0x00, 0x99, 0x10, 0x20, 0x30, 0x40));
    expect([junk.code, junk.message.includes("01 02 fe 00")]).toEqual(["unknown-format", true]);
  });

  it("the format comes from the bytes, not the file name", () => {
    const jpeg = dataFile("cxr-peds/test/NORMAL/IM-0001-0001.jpg");
    expect(decodeImage(jpeg, {name: "looks-like.png"}).format).toBe("jpeg");
  });

  it("real PNG cut in half -> truncated", () => {
    const png = dataFile("cxr-nih/originals/00000001_000-Cardiomegaly.png");
    expectCode(png.subarray(0, png.length >> 1), "truncated");
    expectCode(png.subarray(0, 20), "truncated"); // inside IHDR
    expectCode(png.subarray(0, 5), "truncated"); // inside the signature
    expectCode(png.subarray(0, png.length - 12), "truncated"); // only IEND missing
  });

  it("PNG with a damaged IDAT (CRC mismatch) -> corrupt, not a raw exception", () => {
    const png = encode({width: 16, height: 16, data: new Uint8Array(256).map((_, i) => i), depth: 8, channels: 1});
    const damaged = png.slice();
    damaged[45] = damaged[45]! ^ 0xff; // a byte inside IDAT's data
    expectCode(damaged, "corrupt");
  });

  it("PNG whose IHDR claims 50,000 x 50,000 -> too-large, in milliseconds", () => {
    const png = pngClaiming(50_000, 50_000);
    expect(readImageHeader(png)).toEqual({format: "png", width: 50_000, height: 50_000});
    const start = performance.now();
    const error = errorOf(png, "huge.png");
    const elapsed = performance.now() - start;
    expect(error.code).toBe("too-large");
    expect(error.message).toContain("50000x50000");
    expect(elapsed).toBeLessThan(50);
  });

  it("maxPixels is honoured for every format", () => {
    const jpeg = dataFile("cxr-peds/test/NORMAL/IM-0001-0001.jpg"); // 256 x 256
    expect(errorOf(jpeg, "x.jpg", 256 * 255).code).toBe("too-large");
    expect(decodeImage(jpeg, {maxPixels: 256 * 256}).width).toBe(256);
    expect(errorOf(pngClaiming(100, 100), "x.png", 9999).code).toBe("too-large");
    expect(errorOf(writeDicom(greyImage(100, 100, new Uint16Array(10_000))), "x.dcm", 9999).code).toBe("too-large");
  });

  it("JPEG and DICOM claiming huge sizes -> too-large, quickly", () => {
    // JPEG: SOI, then a baseline frame header claiming 60000 x 60000 with one component, then EOI.
    const jpeg = Uint8Array.of(0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0xea, 0x60, 0xea, 0x60, 1, 1, 0x11, 0, 0xff, 0xd9);
    // DICOM: 65535 x 65535 16-bit, with only a few bytes of pixel data.
    const dicom = writeDicom(greyImage(65535, 65535, new Uint16Array(4)));
    for (const bytes of [jpeg, dicom]) {
      const start = performance.now();
      expect(errorOf(bytes).code).toBe("too-large");
      expect(performance.now() - start).toBeLessThan(50);
    }
  });

  it("truncated JPEG -> truncated (not a half-grey picture)", () => {
    const jpeg = dataFile("cxr-peds/test/NORMAL/IM-0001-0001.jpg");
    expectCode(jpeg.subarray(0, jpeg.length >> 1), "truncated");
    expectCode(jpeg.subarray(0, jpeg.length - 2), "truncated"); // only EOI missing
    expectCode(jpeg.subarray(0, 2), "truncated");
  });

  it("JPEG with garbage after its markers -> corrupt", () => {
    const jpeg = dataFile("cxr-peds/test/NORMAL/IM-0001-0001.jpg").slice();
    jpeg[20] = 0x00; // where the next segment's FF marker should be
    expectCode(jpeg, "corrupt");
  });

  it("truncated DICOM -> truncated", () => {
    const dicom = writeDicom(greyImage(64, 64, new Uint16Array(64 * 64).map((_, i) => i)));
    expectCode(dicom.subarray(0, dicom.length >> 1), "truncated");
    expectCode(dicom.subarray(0, 140), "truncated"); // inside the meta header
  });

  it("after all these failures the process is still fine and decodes normally", () => {
    expect(decodeImage(dataFile("ood/cifar10/airplane_0001.png")).channels).toBe(3);
  });
});
