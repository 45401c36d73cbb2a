/** DICOM edge cases built byte by byte with tests/helpers/dicom-writer.ts; expected values by hand. */
import {describe, expect, it} from "vitest";
import {dataFile} from "./helpers/paths.js";
import {decodeImage, decodeImageAsync, ImageDecodeError, readImageHeader, windowFunction} from "../src/pipeline/image/index.js";
import {el, greyImage, TS, writeDicom, type DicomElement} from "./helpers/dicom-writer.js";

const values = (data: Float32Array) => Array.from(data);
/** Expect each decoded value to equal the expected one up to float32 precision. */
function expectValues(actual: Float32Array, expected: number[]) {
  expect(actual.length).toBe(expected.length);
  expected.forEach((v, i) => expect(actual[i], `value ${i}`).toBeCloseTo(v, 6));
}
function decodeError(bytes: Uint8Array): ImageDecodeError {
  try {
    decodeImage(bytes, {name: "test.dcm"});
  } catch (error) {
    expect(error).toBeInstanceOf(ImageDecodeError);
    return error as ImageDecodeError;
  }
  throw new Error("expected an ImageDecodeError");
}

// 8x1, 16-bit unsigned, 12 bits stored; modality = 2 * stored - 1000; window C 1000, W 401.
// PS3.3 C.11.2.1.2.1: x <= c - 0.5 - (w-1)/2 = 799.5 -> 0; x > c - 0.5 + (w-1)/2 = 1199.5 -> 1;
// else ((x - (c - 0.5)) / (w - 1) + 0.5). 800 and 1198 sit just inside the window's ends.
const stored16 = Uint16Array.of(0, 900, 950, 1000, 1012, 1099, 1100, 4095); // modality -1000, 800, 900, 1000, 1024, 1198, 1200, 7190
const windowed16 = [0, 0.00125, 0.25125, 0.50125, 0.56125, 0.99625, 1, 1];
const rescaleAndWindow = (center: string, width: string): DicomElement[] =>
  greyImage(8, 1, stored16, [el(0x00281053, "DS", "2"), el(0x00281052, "DS", "-1000"), el(0x00281050, "DS", center), el(0x00281051, "DS", width)], {
    allocated: 16,
    stored: 12
  });

describe("DICOM greyscale pipeline (hand-built files)", () => {
  it("16-bit unsigned: rescale slope/intercept, then the standard linear window", () => {
    const img = decodeImage(writeDicom(rescaleAndWindow("1000", "401")));
    expect([img.width, img.height, img.channels, img.bitDepth, img.format]).toEqual([8, 1, 1, 12, "dicom"]);
    expectValues(img.data, windowed16);
    expect(img.info).toMatchObject({
      rescaleSlope: 2,
      rescaleIntercept: -1000,
      windowCenter: 1000,
      windowWidth: 401,
      voi: "window (LINEAR)",
      photometricInterpretation: "MONOCHROME2",
      transferSyntaxUID: TS.explicitLittle
    });
  });

  it("the same file in implicit VR, and as bare data sets without preamble, decodes identically", () => {
    const elements = rescaleAndWindow("1000", "401");
    for (const bytes of [
      writeDicom(elements, {transferSyntax: TS.implicitLittle}),
      writeDicom(elements, {fileMeta: false}),
      writeDicom(elements, {transferSyntax: TS.implicitLittle, fileMeta: false}),
      writeDicom(elements, {transferSyntax: TS.implicitLittle}).subarray(132) // meta group kept, preamble and "DICM" lost
    ]) {
      expect(readImageHeader(bytes)).toEqual({format: "dicom", width: 8, height: 1});
      expectValues(decodeImage(bytes).data, windowed16);
    }
    expect(decodeImage(writeDicom(elements, {transferSyntax: TS.implicitLittle})).info.transferSyntax).toBe("Implicit VR Little Endian");
  });

  it("a fractional slope gives fractional modality values, windowed without rounding", () => {
    // stored 1999, 2000, 2001 * 0.5 = 999.5, 1000, 1000.5; C 1000, W 401 -> (x - 999.5) / 400 + 0.5.
    const elements = greyImage(3, 1, Uint16Array.of(1999, 2000, 2001), [el(0x00281053, "DS", "0.5"), el(0x00281050, "DS", "1000"), el(0x00281051, "DS", "401")]);
    expectValues(decodeImage(writeDicom(elements)).data, [0.5, 0.50125, 0.5025]);
  });

  it("multi-valued Window Center/Width: the first pair is used", () => {
    const img = decodeImage(writeDicom(rescaleAndWindow("1000\\50", "401\\10")));
    expectValues(img.data, windowed16);
    expect(img.info).toMatchObject({windowCenter: 1000, windowWidth: 401, windowsAvailable: 2});
  });

  it("LINEAR_EXACT and SIGMOID window functions follow PS3.3 C.11.2.1.3", () => {
    expect(windowFunction(100, 50, "LINEAR_EXACT")(110)).toBeCloseTo(0.7, 12);
    expect(windowFunction(100, 50, "LINEAR_EXACT")(75)).toBe(0);
    expect(windowFunction(100, 50, "SIGMOID")(100)).toBeCloseTo(0.5, 12);
    expect(windowFunction(100, 50, "SIGMOID")(125)).toBeCloseTo(1 / (1 + Math.exp(-2)), 12);
    const img = decodeImage(writeDicom([...rescaleAndWindow("1000", "400"), el(0x00281056, "CS", "SIGMOID")]));
    expectValues(img.data, [-1000, 800, 900, 1000, 1024, 1198, 1200, 7190].map((x) => 1 / (1 + Math.exp((-4 * (x - 1000)) / 400))));
  });

  it("signed 16-bit with 12 bits stored: high bits masked off, sign extended, full signed range", () => {
    // 0xF800 -> 0x800 -> -2048; 0xFFFF -> -1; 0x1001 (garbage bit 12) -> 1; 0xA7FF -> 0x7FF -> 2047.
    const raw = Uint16Array.of(0xf800, 0xffff, 0x1001, 0x07ff, 0x0000, 0xa7ff);
    const img = decodeImage(writeDicom(greyImage(3, 2, raw, [], {allocated: 16, stored: 12, signed: true})));
    expectValues(img.data, [-2048, -1, 1, 2047, 0, 2047].map((v) => (v + 2048) / 4095));
    expect(img.info).toMatchObject({pixelRepresentation: "signed", bitsStored: 12, voi: "full range (12 bits stored)", windowCenter: -0.5, windowWidth: 4095});
  });

  it("High Bit above Bits Stored - 1: the stored bits are shifted down", () => {
    // 12 bits stored in bits 4..15 (High Bit 15): values 0, 100, 4095 after shifting.
    const raw = Uint16Array.of(0 << 4, (100 << 4) | 0xf, 4095 << 4);
    const img = decodeImage(writeDicom(greyImage(3, 1, raw, [el(0x00280102, "US", 15)], {allocated: 16, stored: 12})));
    expectValues(img.data, [0, 100 / 4095, 1]);
  });

  it("no VOI given: the full range of the stored values after rescale, never the image's own min-max", () => {
    // 12 bits stored: 0..4095 maps to 0..1 whatever the image holds.
    const img = decodeImage(writeDicom(greyImage(3, 1, Uint16Array.of(300, 100, 200), [], {allocated: 16, stored: 12})));
    expectValues(img.data, [300 / 4095, 100 / 4095, 200 / 4095]);
    expect(img.info).toMatchObject({voi: "full range (12 bits stored)", windowCenter: 2047.5, windowWidth: 4095});
    // Rescale: modality = 2 * stored - 1000, so the range is -1000..7190.
    const rescaled = decodeImage(writeDicom(greyImage(2, 1, Uint16Array.of(500, 4095), [el(0x00281053, "DS", "2"), el(0x00281052, "DS", "-1000")], {allocated: 16, stored: 12})));
    expectValues(rescaled.data, [0 + 1000 / 8190, 1]);
    expect(rescaled.info).toMatchObject({voi: "full range (12 bits stored, rescaled)", windowWidth: 8190});
  });

  it("min-max when chosen: over the frame; a constant image gives zeros", () => {
    expectValues(decodeImage(writeDicom(greyImage(3, 1, Uint16Array.of(300, 100, 200))), {voi: "min-max"}).data, [1, 0, 0.5]);
    expectValues(decodeImage(writeDicom(greyImage(2, 1, Uint16Array.of(7, 7))), {voi: "min-max"}).data, [0, 0]);
  });

  it("MONOCHROME1 is inverted after the VOI, so 0 is black as displayed", () => {
    const mono1 = el(0x00280004, "CS", "MONOCHROME1");
    const minMax = decodeImage(writeDicom(greyImage(3, 1, Uint8Array.of(0, 100, 255), [mono1], {allocated: 8, stored: 8})));
    expectValues(minMax.data, [1, 1 - 100 / 255, 0]);
    expect(minMax.info.inverted).toBe(true);
    // Window C 128, W 256 spans exactly 0..255: y = (x - 127.5) / 255 + 0.5, then 1 - y.
    const windowed = decodeImage(
      writeDicom(greyImage(3, 1, Uint8Array.of(0, 100, 255), [mono1, el(0x00281050, "DS", "128"), el(0x00281051, "DS", "256")], {allocated: 8, stored: 8}))
    );
    expectValues(windowed.data, [0, 100, 255].map((x) => 1 - ((x - 127.5) / 255 + 0.5)));
  });

  it("VOI LUT Sequence is applied, and preferred over a window that is also present", () => {
    // LUT: 4 entries starting at stored value 10, 8 bits: 10->0, 11->100, 12->200, 13->255.
    const lut = [[el(0x00283002, "US", [4, 10, 8]), el(0x00283006, "OW", Uint16Array.of(0, 100, 200, 255)), el(0x00283003, "LO", "TEST LUT")]];
    const elements = greyImage(6, 1, Uint8Array.of(5, 10, 11, 12, 13, 40), [el(0x00283010, "SQ", lut), el(0x00281050, "DS", "20"), el(0x00281051, "DS", "10")], {
      allocated: 8,
      stored: 8
    });
    const expected = [0, 0, 100 / 255, 200 / 255, 1, 1]; // below / above the LUT clamp to its ends
    for (const transferSyntax of [TS.explicitLittle, TS.implicitLittle]) {
      const img = decodeImage(writeDicom(elements, {transferSyntax}));
      expectValues(img.data, expected);
      expect(img.info.voi).toBe("VOI LUT (TEST LUT)");
      expect(img.info.windowIgnored).toBeTypeOf("string");
    }
  });

  it("16-bit VOI LUT after a negative rescale intercept (signed first-mapped value)", () => {
    // modality = stored - 1024; LUT starts at -2 (0xFFFE as US) with 16-bit entries.
    const lut = [[el(0x00283002, "US", [3, 0xfffe, 16]), el(0x00283006, "OW", Uint16Array.of(0, 32768, 65535))]];
    const img = decodeImage(
      writeDicom(greyImage(4, 1, Uint16Array.of(1022, 1023, 1024, 1030), [el(0x00281052, "DS", "-1024"), el(0x00283010, "SQ", lut)]))
    );
    expectValues(img.data, [0, 32768 / 65535, 1, 1]);
  });

  it("Modality LUT Sequence replaces rescale", () => {
    const lut = [[el(0x00283002, "US", [3, 0, 16]), el(0x00283006, "OW", Uint16Array.of(500, 100, 300))]];
    const img = decodeImage(writeDicom(greyImage(3, 1, Uint16Array.of(0, 1, 2), [el(0x00283000, "SQ", lut)])));
    expectValues(img.data, [500, 100, 300].map((v) => v / 65535)); // modality 500, 100, 300; the LUT's 16-bit output range
    expect(img.info.voi).toBe("full range (16 bits stored, modality LUT)");
  });

  it("multi-frame: the first frame is decoded and the frame count recorded", () => {
    const frames = Uint8Array.of(10, 20, 30, 40, /* frame 2: */ 99, 99, 99, 99);
    const img = decodeImage(writeDicom(greyImage(2, 2, frames, [el(0x00280008, "IS", "2")], {allocated: 8, stored: 8})));
    expectValues(img.data, [10, 20, 30, 40].map((v) => v / 255));
    expect(img.info.frames).toBe(2);
  });
});

describe("DICOM colour (hand-built)", () => {
  const rgb = (planar: number, pixels: Uint8Array, photometric = "RGB") =>
    writeDicom([
      el(0x00280002, "US", 3),
      el(0x00280004, "CS", photometric),
      el(0x00280006, "US", planar),
      el(0x00280010, "US", 1),
      el(0x00280011, "US", 2),
      el(0x00280100, "US", 8),
      el(0x00280101, "US", 8),
      el(0x00280102, "US", 7),
      el(0x00280103, "US", 0),
      el(0x7fe00010, "OB", pixels)
    ]);
  const expected = [255, 0, 128, 10, 20, 30].map((v) => v / 255);

  it("RGB, planar configuration 1 (RRR GGG BBB) becomes interleaved RGB", () => {
    const img = decodeImage(rgb(1, Uint8Array.of(255, 10, 0, 20, 128, 30)));
    expect(img.channels).toBe(3);
    expectValues(img.data, expected);
    expect(img.info.planarConfiguration).toBe(1);
  });

  it("RGB, planar configuration 0 (RGB RGB)", () => {
    expectValues(decodeImage(rgb(0, Uint8Array.of(255, 0, 128, 10, 20, 30))).data, expected);
  });

  it("YBR_FULL is converted to RGB", () => {
    // Y 128 with neutral chroma is mid grey; Y 76, Cb 85, Cr 255 is (nearly) pure red.
    const img = decodeImage(rgb(0, Uint8Array.of(128, 128, 128, 76, 85, 255), "YBR_FULL"));
    const got = values(img.data).map((v) => v * 255);
    [128, 128, 128, 254, 0, 0].forEach((v, i) => expect(Math.abs(got[i]! - v)).toBeLessThanOrEqual(2));
  });
});

describe("DICOM encapsulated JPEG (hand-built around a real JPEG)", () => {
  const jpeg = dataFile("cxr-peds/test/NORMAL/IM-0001-0001.jpg");
  const source = decodeImage(jpeg);
  const stretched = values(source.data); // no VOI in the file: the full 8-bit range, as the JPEG itself

  it("JPEG baseline split over three fragments is reassembled", () => {
    const third = Math.floor(jpeg.length / 3);
    const fragments = [jpeg.subarray(0, third), jpeg.subarray(third, 2 * third), jpeg.subarray(2 * third)];
    const bytes = writeDicom(greyImage(256, 256, {fragments}, [], {allocated: 8, stored: 8}), {transferSyntax: TS.jpegBaseline});
    const img = decodeImage(bytes);
    expect(img.info.transferSyntaxUID).toBe(TS.jpegBaseline);
    expect(img.data.length).toBe(stretched.length);
    let worst = 0;
    img.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - stretched[i]!))));
    expect(worst).toBeLessThan(1e-6);
  });

  it("multi-frame JPEG: frame 1 of two (one fragment each)", () => {
    const other = dataFile("cxr-peds/test/NORMAL/IM-0003-0001.jpg");
    const bytes = writeDicom(greyImage(256, 256, {fragments: [jpeg, other]}, [el(0x00280008, "IS", "2")], {allocated: 8, stored: 8}), {
      transferSyntax: TS.jpegBaseline
    });
    const img = decodeImage(bytes);
    expect(img.info.frames).toBe(2);
    let worst = 0;
    img.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - stretched[i]!))));
    expect(worst).toBeLessThan(1e-6);
  });
});

describe("DICOM files we refuse, with a reason", () => {
  it("junk JPEG 2000 is corrupt, and the message names the syntax, its UID and the codec", async () => {
    const junk = Uint8Array.from({length: 64}, (_, i) => (i * 37) & 0xff);
    const bytes = writeDicom(greyImage(4, 4, {fragments: [junk]}), {transferSyntax: TS.jpeg2000});
    const error = await decodeImageAsync(bytes, {name: "test.dcm"}).then(
      () => undefined,
      (e: unknown) => e
    );
    expect(error).toBeInstanceOf(ImageDecodeError);
    const {code, message} = error as ImageDecodeError;
    expect(code).toBe("corrupt");
    expect(message).toContain("JPEG 2000");
    expect(message).toContain("1.2.840.10008.1.2.4.90");
    expect(message).toContain("OpenJPEG");
    expect(message).toMatch(/^test\.dcm: /);
  });

  it("an unknown transfer syntax is named by its UID", () => {
    const error = decodeError(writeDicom(greyImage(1, 1, {fragments: [Uint8Array.of(1, 2)]}), {transferSyntax: "1.2.3.4.5"}));
    expect(error.code).toBe("unsupported");
    expect(error.message).toContain("1.2.3.4.5");
  });

  it("no Pixel Data and no image attributes (e.g. a structured report): 'contains no image'", () => {
    const error = decodeError(writeDicom([el(0x00080016, "UI", "1.2.840.10008.5.1.4.1.1.88.11"), el(0x00080060, "CS", "SR")]));
    expect(error.code).toBe("unsupported");
    expect(error.message).toMatch(/no image.*Pixel Data.*Modality SR/);
  });

  it("Rows/Columns but no Pixel Data: corrupt, saying Pixel Data is missing", () => {
    const elements = greyImage(4, 4, Uint16Array.of()).filter((e) => e.tag !== 0x7fe00010);
    const error = decodeError(writeDicom(elements));
    expect(error.code).toBe("corrupt");
    expect(error.message).toContain("no Pixel Data element (7FE0,0010)");
  });

  it("a complete file whose Pixel Data is shorter than one frame: corrupt", () => {
    const error = decodeError(writeDicom(greyImage(4, 4, new Uint16Array(10))));
    expect(error.code).toBe("corrupt");
    expect(error.message).toContain("needs 32");
  });

  it("implicit VR cut inside Pixel Data (dicom-parser does not notice): truncated", () => {
    const bytes = writeDicom(greyImage(16, 16, new Uint16Array(256)), {transferSyntax: TS.implicitLittle});
    expect(decodeError(bytes.subarray(0, bytes.length - 100)).code).toBe("truncated");
  });

  it("PALETTE COLOR is unsupported and named", () => {
    const error = decodeError(writeDicom(greyImage(2, 1, Uint8Array.of(0, 1), [el(0x00280004, "CS", "PALETTE COLOR")], {allocated: 8, stored: 8})));
    expect(error.code).toBe("unsupported");
    expect(error.message).toContain("PALETTE COLOR");
  });
});
