/**
 * DICOM files written by dcmtk (the Debian `dcmtk` package) from a real chest X-ray JPEG, and
 * dcmtk's own renderer (dcmj2pnm) as an independent reference for rescale, window and MONOCHROME1.
 * dcmtk is required: a missing tool fails the suite (CI installs it) rather than skipping it.
 */
import {spawnSync} from "node:child_process";
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {decodeImage, ImageDecodeError, type DecodedImage} from "../src/pipeline/image/index.js";
import {el, greyImage, writeDicom} from "./helpers/dicom-writer.js";
import {DATA_ROOT} from "./helpers/paths.js";

const SOURCE = path.join(DATA_ROOT, "cxr-peds/test/NORMAL/IM-0001-0001.jpg");
const TOOLS = ["img2dcm", "dcmdjpeg", "dcmconv", "dcmodify", "dcmcjpeg", "dcmj2pnm"];

let dir = "";
const file = (name: string) => path.join(dir, name);
const read = (name: string) => new Uint8Array(readFileSync(file(name)));
const decode = (name: string) => decodeImage(read(name), {name});

function run(tool: string, ...args: string[]) {
  const result = spawnSync(tool, args, {encoding: "utf8"});
  if (result.error || result.status !== 0) {
    throw new Error(`${tool} ${args.join(" ")} failed: ${result.error?.message ?? result.stderr}`);
  }
}

function diff(a: DecodedImage, b: DecodedImage | number[]): {max: number; mean: number} {
  const other = Array.isArray(b) ? b : Array.from(b.data);
  expect(a.data.length).toBe(other.length);
  let max = 0;
  let sum = 0;
  a.data.forEach((v, i) => {
    const d = Math.abs(v - other[i]!);
    max = Math.max(max, d);
    sum += d;
  });
  return {max, mean: sum / other.length};
}

function expectError(name: string, bytes: Uint8Array = read(name)): ImageDecodeError {
  try {
    decodeImage(bytes, {name});
  } catch (error) {
    expect(error).toBeInstanceOf(ImageDecodeError);
    return error as ImageDecodeError;
  }
  throw new Error(`${name}: expected an ImageDecodeError`);
}

/** The source JPEG decoded: a DICOM without VOI attributes shows the full 8-bit range, as the JPEG. */
let expected: number[] = [];

beforeAll(() => {
  const missing = TOOLS.filter((tool) => spawnSync(tool, ["--version"]).error);
  if (missing.length) {
    throw new Error(`dcmtk tool(s) not found: ${missing.join(", ")}. Install dcmtk (apt-get install dcmtk) to run these tests.`);
  }
  if (!existsSync(SOURCE)) throw new Error(`test data ${SOURCE} not found; set CXR_DATA to the shared data folder`);
  dir = mkdtempSync(path.join(os.tmpdir(), "cxr-dcmtk-"));
  run("img2dcm", SOURCE, file("jpeg-baseline.dcm")); // encapsulates the JPEG bytes unchanged
  run("dcmdjpeg", file("jpeg-baseline.dcm"), file("explicit.dcm"));
  run("dcmconv", "+ti", file("explicit.dcm"), file("implicit.dcm"));
  run("dcmconv", "+tb", file("explicit.dcm"), file("big-endian.dcm"));
  run("dcmconv", "-F", "+te", file("explicit.dcm"), file("bare-explicit.dcm"));
  run("dcmconv", "-F", "+ti", file("explicit.dcm"), file("bare-implicit.dcm"));
  run("dcmcjpeg", "+eb", file("explicit.dcm"), file("dcmtk-baseline.dcm"));

  expected = Array.from(decodeImage(new Uint8Array(readFileSync(SOURCE))).data);
});

afterAll(() => {
  if (dir) rmSync(dir, {recursive: true, force: true});
});

describe("DICOM written by dcmtk from a real chest X-ray", () => {
  it("JPEG baseline (img2dcm) decodes exactly like the source JPEG", () => {
    const img = decode("jpeg-baseline.dcm");
    expect([img.width, img.height, img.channels]).toEqual([256, 256, 1]);
    expect(img.info).toMatchObject({transferSyntaxUID: "1.2.840.10008.1.2.4.50", photometricInterpretation: "MONOCHROME2", voi: "full range (8 bits stored)"});
    expect(diff(img, expected).max).toBeLessThan(1e-6);
  });

  it("explicit VR little endian (dcmdjpeg: libjpeg's decode) matches within IDCT rounding", () => {
    const img = decode("explicit.dcm");
    expect(img.info.transferSyntaxUID).toBe("1.2.840.10008.1.2.1");
    const {max, mean} = diff(img, expected);
    expect(max).toBeLessThanOrEqual(3 / 255);
    expect(mean).toBeLessThan(0.5 / 255);
  });

  it("implicit VR, big endian and bare data sets hold the same pixels as explicit VR", () => {
    const explicit = decode("explicit.dcm");
    for (const name of ["implicit.dcm", "big-endian.dcm", "bare-explicit.dcm", "bare-implicit.dcm"]) {
      const img = decode(name);
      expect(diff(img, explicit).max, name).toBe(0);
    }
    expect(decode("implicit.dcm").info.transferSyntaxUID).toBe("1.2.840.10008.1.2");
    expect(decode("big-endian.dcm").info.transferSyntaxUID).toBe("1.2.840.10008.1.2.2");
    expect(decode("bare-implicit.dcm").info.hasPreamble).toBe(false);
  });

  it("JPEG baseline re-encoded by dcmtk (dcmcjpeg) is within JPEG tolerance", () => {
    const img = decode("dcmtk-baseline.dcm");
    expect(img.info.transferSyntaxUID).toBe("1.2.840.10008.1.2.4.50");
    const {max, mean} = diff(img, decode("explicit.dcm"));
    expect(max).toBeLessThanOrEqual(16 / 255);
    expect(mean).toBeLessThan(2 / 255);
  });

  it("window and MONOCHROME1 (added by dcmodify) match dcmtk's own rendering", () => {
    writeFileSync(file("windowed.dcm"), read("explicit.dcm"));
    run("dcmodify", "-nb", "-i", "(0028,1050)=100\\150", "-i", "(0028,1051)=120\\30", file("windowed.dcm"));
    writeFileSync(file("mono1.dcm"), read("windowed.dcm"));
    run("dcmodify", "-nb", "-m", "(0028,0004)=MONOCHROME1", file("mono1.dcm"));
    for (const name of ["windowed", "mono1"]) {
      // dcmj2pnm +Wi 1: the first window in the file; +on2: a 16-bit PNG, read with our PNG decoder.
      run("dcmj2pnm", "+Wi", "1", "+on2", file(`${name}.dcm`), file(`${name}.png`));
      const img = decode(`${name}.dcm`);
      expect(img.info).toMatchObject({windowCenter: 100, windowWidth: 120});
      const {max} = diff(img, decode(`${name}.png`));
      expect(max, name).toBeLessThanOrEqual(2 / 65535);
    }
    expect(decode("mono1.dcm").info.inverted).toBe(true);
  });

  it("signed 12-bit data with rescale and window (our writer) renders like dcmj2pnm", () => {
    // Real pixels spread over the signed 12-bit range, high bits filled with garbage. The slope is
    // an integer because dcmtk rounds modality values to integers, where the standard (and we) do not.
    const raw = Uint16Array.from(expected, (v, i) => ((Math.round(v * 4000) - 2000) & 0xfff) | ((i % 7) << 12));
    const elements = greyImage(256, 256, raw, [el(0x00281053, "DS", "2"), el(0x00281052, "DS", "-100"), el(0x00281050, "DS", "80"), el(0x00281051, "DS", "1500")], {
      allocated: 16,
      stored: 12,
      signed: true
    });
    writeFileSync(file("signed.dcm"), writeDicom(elements));
    run("dcmj2pnm", "+Wi", "1", "+on2", file("signed.dcm"), file("signed.png"));
    const {max} = diff(decode("signed.dcm"), decode("signed.png"));
    expect(max).toBeLessThanOrEqual(2 / 65535);
  });
});

// Compressed transfer syntaxes (JPEG lossless, JPEG-LS, RLE, deflate, JPEG 2000...): image-dicom-codecs.test.ts.

describe("truncated DICOM", () => {
  it.each(["explicit.dcm", "implicit.dcm", "jpeg-baseline.dcm"])("%s cut in half says truncated", (name) => {
    const bytes = read(name);
    expect(expectError(name, bytes.subarray(0, bytes.length >> 1)).code).toBe("truncated");
  });
});
