/**
 * Every compressed transfer syntax, in files made by Debian's tools from real chest X-rays:
 * dcmtk (JPEG lossless, JPEG-LS, JPEG baseline/extended, RLE, deflate) and GDCM's gdcmconv
 * (JPEG 2000), at 8 bits (a pediatric JPEG through img2dcm + dcmdjpeg) and 12 bits (an NIH
 * original PNG written as 12-bit DICOM). Lossless syntaxes must give exactly the uncompressed
 * file's pixels; lossy ones exactly what the tool that made them decodes (dcmdjpeg, dcmdjpls,
 * gdcmconv --raw). HTJ2K has no Debian encoder: OpenJPH's own encoder (the same package) makes it.
 * The tools are required: a missing one fails the suite (CI installs dcmtk and libgdcm-tools).
 */
import {spawnSync} from "node:child_process";
import {copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import htj2kFactory from "@cornerstonejs/codec-openjph/wasmjs";
import {decodeImage, decodeImageAsync, ImageDecodeError, type DecodedImage} from "../src/pipeline/image/index.js";
import {el, greyImage, writeDicom} from "./helpers/dicom-writer.js";
import {DATA_ROOT} from "./helpers/paths.js";

const PEDS = path.join(DATA_ROOT, "cxr-peds/test/NORMAL/IM-0001-0001.jpg");
const NIH = path.join(DATA_ROOT, "cxr-nih/originals");
const TOOLS = ["img2dcm", "dcmdjpeg", "dcmcjpeg", "dcmcjpls", "dcmdjpls", "dcmcrle", "dcmconv", "gdcmconv"];

let dir = "";
const file = (name: string) => path.join(dir, name);
const read = (name: string) => new Uint8Array(readFileSync(file(name)));
const decode = (name: string) => decodeImageAsync(read(name), {name});

function run(tool: string, ...args: string[]) {
  const result = spawnSync(tool, args, {encoding: "utf8"});
  if (result.error || result.status !== 0) throw new Error(`${tool} ${args.join(" ")} failed: ${result.error?.message ?? result.stderr}`);
}

function maxDiff(a: DecodedImage, b: DecodedImage): number {
  expect([a.width, a.height, a.channels]).toEqual([b.width, b.height, b.channels]);
  let max = 0;
  for (let i = 0; i < a.data.length; i++) max = Math.max(max, Math.abs(a.data[i]! - b.data[i]!));
  return max;
}

beforeAll(() => {
  const missing = TOOLS.filter((tool) => spawnSync(tool, ["--version"]).error);
  if (missing.length) throw new Error(`tool(s) not found: ${missing.join(", ")}. Install dcmtk and libgdcm-tools (apt-get install dcmtk libgdcm-tools).`);
  if (!existsSync(PEDS)) throw new Error(`test data ${PEDS} not found; set CXR_DATA to the shared data folder`);
  dir = mkdtempSync(path.join(os.tmpdir(), "cxr-codecs-"));
  // 8 bits: the real JPEG encapsulated, then decoded to explicit VR little endian.
  run("img2dcm", PEDS, file("8-source.dcm"));
  run("dcmdjpeg", file("8-source.dcm"), file("8-explicit.dcm"));
  // 12 bits: a real 1024 x 1024 NIH original, 8-bit, spread over 0..4095 (every value distinct
  // from its neighbours' 8-bit rounding), in 16 bits allocated.
  const png = decodeImage(new Uint8Array(readFileSync(path.join(NIH, "00000001_000-Cardiomegaly.png"))));
  const stored = Uint16Array.from(png.data, (v) => Math.round(v * 4095));
  writeFileSync(file("12-explicit.dcm"), writeDicom(greyImage(png.width, png.height, stored, [el(0x00080060, "CS", "DX")], {allocated: 16, stored: 12})));
});

afterAll(() => {
  if (dir) rmSync(dir, {recursive: true, force: true});
});

const lossless: [string, string, string[]][] = [
  ["JPEG Lossless, first-order prediction (dcmcjpeg +e1)", "1.2.840.10008.1.2.4.70", ["dcmcjpeg", "+e1"]],
  ["JPEG Lossless, Process 14 (dcmcjpeg +el)", "1.2.840.10008.1.2.4.57", ["dcmcjpeg", "+el"]],
  ["JPEG-LS Lossless (dcmcjpls)", "1.2.840.10008.1.2.4.80", ["dcmcjpls"]],
  ["RLE Lossless (dcmcrle)", "1.2.840.10008.1.2.5", ["dcmcrle"]],
  ["Deflated Explicit VR Little Endian (dcmconv +td)", "1.2.840.10008.1.2.1.99", ["dcmconv", "+td"]],
  ["JPEG 2000 Lossless (gdcmconv --j2k)", "1.2.840.10008.1.2.4.90", ["gdcmconv", "--j2k"]]
];

describe.each([8, 12])("%i-bit real chest X-ray, lossless syntaxes: pixels equal to the uncompressed file", (bits) => {
  it.each(lossless)("%s", async (_, uid, [tool, ...args]) => {
    const name = `${bits}-${uid}.dcm`;
    run(tool!, ...args, file(`${bits}-explicit.dcm`), file(name));
    const [img, reference] = [await decode(name), await decode(`${bits}-explicit.dcm`)];
    expect(img.info.transferSyntaxUID).toBe(uid);
    expect(img.bitDepth).toBe(bits);
    expect(img.info.voi).toBe(`full range (${bits} bits stored)`);
    expect(maxDiff(img, reference)).toBe(0);
  });
});

describe("lossy syntaxes decode exactly as the tool that made them", () => {
  const lossy: [string, string, string[], string[], number][] = [
    // jpeg-js against dcmtk's libjpeg: IDCT rounding differs by a grey level or so
    ["JPEG Baseline (dcmcjpeg +eb)", "1.2.840.10008.1.2.4.50", ["dcmcjpeg", "+eb"], ["dcmdjpeg"], 3 / 255],
    ["JPEG Extended, 8-bit (dcmcjpeg +ee)", "1.2.840.10008.1.2.4.51", ["dcmcjpeg", "+ee"], ["dcmdjpeg"], 3 / 255],
    ["JPEG-LS near-lossless (dcmcjpls +en)", "1.2.840.10008.1.2.4.81", ["dcmcjpls", "+en"], ["dcmdjpls"], 0],
    ["JPEG 2000 lossy (gdcmconv --j2k --lossy)", "1.2.840.10008.1.2.4.91", ["gdcmconv", "--j2k", "--lossy", "-q", "40"], ["gdcmconv", "--raw"], 0]
  ];
  it.each(lossy)("%s", async (_, uid, [tool, ...args], [back, ...backArgs], tolerance) => {
    run(tool!, ...args, file("8-explicit.dcm"), file(`lossy-${uid}.dcm`));
    run(back!, ...backArgs, file(`lossy-${uid}.dcm`), file(`lossy-${uid}-back.dcm`));
    const img = await decode(`lossy-${uid}.dcm`);
    expect(img.info.transferSyntaxUID).toBe(uid);
    const original = await decode("8-explicit.dcm");
    expect(maxDiff(img, original), "lossy: differs from the original").toBeGreaterThan(0);
    expect(maxDiff(img, await decode(`lossy-${uid}-back.dcm`))).toBeLessThanOrEqual(tolerance);
  });

  it("a JPEG encapsulated in DICOM (img2dcm) has exactly the JPEG file's pixels: no VOI means the full range, not min-max", async () => {
    const img = await decode("8-source.dcm");
    expect(img.info.codec).toBe("jpeg-js");
    expect(maxDiff(img, decodeImage(new Uint8Array(readFileSync(PEDS))))).toBe(0);
  });

  it("12-bit JPEG Extended is refused with the syntax named and a dcmtk command to convert it", async () => {
    run("dcmcjpeg", "+ee", file("12-explicit.dcm"), file("12-extended.dcm"));
    const error = await decode("12-extended.dcm").then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ImageDecodeError);
    expect((error as ImageDecodeError).message).toContain("JPEG Extended");
    expect((error as ImageDecodeError).message).toContain("1.2.840.10008.1.2.4.51");
    expect((error as ImageDecodeError).message).toContain("dcmdjpeg");
  });
});

describe("HTJ2K and files without an extension", () => {
  it("HTJ2K lossless (made with OpenJPH's encoder) equals the uncompressed 12-bit file", async () => {
    const reference = await decode("12-explicit.dcm");
    const stored = Uint16Array.from(reference.data, (v) => Math.round(v * 4095));
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const codec: any = await (htj2kFactory as unknown as () => Promise<unknown>)();
    const encoder = new codec.HTJ2KEncoder();
    const raw = new Uint8Array(stored.buffer);
    encoder.getDecodedBuffer({width: reference.width, height: reference.height, bitsPerSample: 12, componentCount: 1, isSigned: false, isUsingColorTransform: false}).set(raw);
    encoder.encode();
    const encoded = encoder.getEncodedBuffer().slice();
    encoder.delete();
    const uid = "1.2.840.10008.1.2.4.201";
    writeFileSync(file("htj2k.dcm"), writeDicom(greyImage(reference.width, reference.height, {fragments: [encoded]}, [], {allocated: 16, stored: 12}), {transferSyntax: uid}));
    const img = await decode("htj2k.dcm");
    expect(img.info.transferSyntaxUID).toBe(uid);
    expect(img.info.codec).toMatch(/OpenJPH/);
    expect(maxDiff(img, reference)).toBe(0);
  });

  it("a JPEG 2000 file with no extension decodes by its bytes", async () => {
    copyFileSync(file("12-1.2.840.10008.1.2.4.90.dcm"), file("IM000001"));
    const img = await decodeImageAsync(read("IM000001"), {name: "IM000001"});
    expect(maxDiff(img, await decode("12-explicit.dcm"))).toBe(0);
  });
});
