/**
 * Huge valid images are analysed, not refused, within a memory budget (issue 12, item 2: an
 * 8000 x 8000 JPEG took 4.7 GB, an 8192 x 8191 16-bit RGBA PNG 3.05 GB). They are decoded reduced
 * (src/pipeline/image/reduce.ts): row by row in grey into the exact area reduction of each model
 * input, so the model sees what it would see from the full image. Here:
 * - the row JPEG decoder gives jpeg-js's samples exactly (real radiographs, the progressive and
 *   CMYK fixtures, generated 4:2:0 / 4:2:2 / 4:4:4 and restart intervals);
 * - a reduced decode gives the full decode's model inputs and predictions (PNG of every colour
 *   type and depth, interlaced; JPEG; DICOM native, windowed, MONOCHROME1, colour, JPEG inside);
 * - the two images of the issue, made here from a real chest X-ray upscaled (never committed),
 *   are audited by the real CLI under 600 MB peak RSS, with predictions, and the same kind of image
 *   at 1/5 the size gives the full decode's predictions through the same path.
 */
import {spawn} from "node:child_process";
import {mkdirSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import {encode} from "fast-png";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {analyse, analysisSizes, analysisTarget} from "../src/pipeline/analyse.js";
import {loadBundle, type Bundle} from "../src/pipeline/bundle/load.js";
import {decodeImage, type DecodedImage} from "../src/pipeline/image/index.js";
import {decodeJpegRowsChecked, decodeJpegSamples} from "../src/pipeline/image/jpeg.js";
import {directorySource} from "../src/pipeline/node/fs-source.js";
import {prepareSizes} from "../src/pipeline/preprocess.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {greyAsColourJpeg, HUGE_IMAGE_SOURCE, hugeImages, rgba16Png, upscaled} from "./corpus/bad-inputs.js";
import {queryAudit} from "./helpers/audit.js";
import {el, greyImage, writeDicom} from "./helpers/dicom-writer.js";
import {writeJpeg} from "./helpers/jpeg-writer.js";
import {DATA_ROOT, REPO_ROOT, TMP_ROOT} from "./helpers/paths.js";

const MODEL = path.join(REPO_ROOT, "models/pediatric-pneumonia");
/** A real radiograph, 2444 x 2155: the source of the generated images. */
const SOURCE = HUGE_IMAGE_SOURCE;
const read = (file: string) => new Uint8Array(readFileSync(file));
/** A budget that lets every test image here be decoded at full resolution, for the reference. */
const FULL = 2 ** 31;

let bundle: Bundle;
let source: DecodedImage;

beforeAll(async () => {
  await initBackend();
  bundle = await loadBundle(directorySource(MODEL));
  source = decodeImage(read(SOURCE));
});

/** Largest difference between the squares preprocess.ts makes from two decodes of one image. */
function squaresDiff(full: DecodedImage, reduced: DecodedImage, sizes: number[], mode: "crop" | "stretch" = "crop"): number {
  const a = prepareSizes(full, sizes, mode);
  const b = prepareSizes(reduced, sizes, mode);
  expect(b.box).toEqual(a.box);
  let max = 0;
  for (let i = 0; i < sizes.length; i++) {
    const x = a.squares[i]!.dataSync();
    const y = b.squares[i]!.dataSync();
    expect(y.length).toBe(x.length);
    for (let j = 0; j < x.length; j++) max = Math.max(max, Math.abs(x[j]! - y[j]!));
  }
  tf.dispose([...a.squares, ...b.squares]);
  return max;
}

/** Full decode and reduced decode (forced) of the same bytes, the reduced one told the squares. */
function bothWays(bytes: Uint8Array, sizes: number[], mode: "crop" | "stretch" = "crop"): {full: DecodedImage; reduced: DecodedImage} {
  const full = decodeImage(bytes, {maxDecodeBytes: FULL});
  const reduced = decodeImage(bytes, {reduce: true, reduceFor: {sizes, mode}});
  expect(full.reduced).toBeUndefined();
  expect(reduced.reduced).toMatchObject({width: full.width, height: full.height});
  expect(reduced.channels).toBe(1);
  return {full, reduced};
}

describe("the JPEG row decoder gives jpeg-js's samples exactly", () => {
  const W = 101;
  const H = 77;
  const value = (x: number, y: number, c: number) => Math.max(0, Math.min(255, Math.round(127 + 100 * Math.sin(x / 9 + c) * Math.cos(y / 7 - c) + (x > 50 && y > 30 ? 20 : 0))));
  const generated: [string, Parameters<typeof writeJpeg>[0]][] = [
    ["grey, 101 x 77", {width: W, height: H, components: 1}],
    ["colour 4:2:0", {width: W, height: H, components: 3}],
    ["colour 4:2:2", {width: W, height: H, components: 3, lumaSampling: [2, 1]}],
    ["colour 4:4:4", {width: W, height: H, components: 3, lumaSampling: [1, 1]}],
    ["grey, restart every 7 MCUs", {width: W, height: H, components: 1, restartInterval: 7}],
    ["colour 4:2:0, restart every 5 MCUs", {width: W, height: H, components: 3, restartInterval: 5}]
  ];
  const files: [string, () => Uint8Array][] = [
    ...generated.map(([name, options]): [string, () => Uint8Array] => [
      `generated ${name}`,
      () => writeJpeg(options, (y, out) => {
        for (let x = 0; x < W; x++) for (let c = 0; c < options.components; c++) out[x * options.components + c] = value(x, y, c);
      })
    ]),
    ...["synthetic-grey-progressive.jpg", "synthetic-rgb-progressive.jpg", "synthetic-rgb-baseline.jpg", "cmyk-adobe.jpg"].map((f): [string, () => Uint8Array] => [
      `fixture ${f}`,
      () => read(path.join(REPO_ROOT, "tests/fixtures", f))
    ]),
    ["real radiograph 2444 x 2155", () => read(SOURCE)],
    ["real radiograph 256 x 256", () => read(path.join(DATA_ROOT, "cxr-peds/test/NORMAL/IM-0001-0001.jpg"))]
  ];
  it.each(files)("%s", (_, make) => {
    const bytes = make();
    const reference = decodeJpegSamples(bytes);
    const rows = new Uint8Array(reference.samples.length);
    let next = 0;
    decodeJpegRowsChecked(bytes, {}, (y, samples) => {
      expect(y).toBe(next++); // in order, each once
      rows.set(samples, y * samples.length);
    });
    expect(next).toBe(reference.height);
    expect(Buffer.from(rows).equals(Buffer.from(reference.samples))).toBe(true);
  });
});

describe("a reduced decode gives the full decode's model inputs", () => {
  const measured: number[] = [];
  afterAll(() => console.log(`reduced vs full decode, largest square difference over ${measured.length} images: ${Math.max(...measured).toExponential(2)}`));
  // A 700 x 530 picture with edges, texture and a disc: every colour type and depth of PNG.
  const W = 700;
  const H = 530;
  const v = (x: number, y: number, c: number) => {
    const r = Math.hypot(x - 350, y - 260);
    return Math.min(1, Math.max(0, 0.5 + 0.4 * Math.sin(x / 17 + c) * Math.cos(y / 23) + (r < 90 ? 0.3 : 0) + ((x * 7 + y * 13 + c * 5) % 11) / 60));
  };
  const png = (channels: number, depth: number, options: {interlace?: boolean; palette?: boolean} = {}) => {
    const max = 2 ** depth - 1;
    const data = depth === 16 ? new Uint16Array(W * H * channels) : new Uint8Array(W * H * channels);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) for (let c = 0; c < channels; c++) data[(y * W + x) * channels + c] = options.palette ? (x + y) % 200 : Math.round(v(x, y, c) * max);
    let pixels: Uint8Array | Uint16Array = data;
    if (depth < 8) {
      const stride = Math.ceil((W * depth) / 8);
      pixels = new Uint8Array(stride * H);
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          const bit = y * stride * 8 + x * depth;
          pixels[bit >> 3] |= data[y * W + x]! << (8 - depth - (bit & 7));
        }
    }
    return encode({
      width: W,
      height: H,
      data: pixels,
      channels,
      depth: depth as 8,
      ...(options.interlace ? {interlace: "Adam7" as const} : {}),
      ...(options.palette ? {palette: Array.from({length: 200}, (_, i) => [i, (i * 3) % 256, 255 - i] as [number, number, number])} : {})
    });
  };
  const pngs: [string, () => Uint8Array][] = [
    ["grey 8-bit", () => png(1, 8)],
    ["grey 16-bit", () => png(1, 16)],
    ["grey 1-bit", () => png(1, 1)],
    ["grey 4-bit", () => png(1, 4)],
    ["grey+alpha 8-bit", () => png(2, 8)],
    ["RGB 8-bit", () => png(3, 8)],
    ["RGB 16-bit", () => png(3, 16)],
    ["RGBA 16-bit", () => png(4, 16)],
    ["palette", () => png(1, 8, {palette: true})],
    ["RGBA 8-bit, Adam7", () => png(4, 8, {interlace: true})],
    ["grey 16-bit, Adam7", () => png(1, 16, {interlace: true})],
    ["grey 2-bit, Adam7", () => png(1, 2, {interlace: true})],
    ["real NIH radiograph 1024 x 1024", () => read(path.join(DATA_ROOT, "cxr-nih/originals/00000001_000-Cardiomegaly.png"))]
  ];
  const jpegs: [string, () => Uint8Array][] = [
    ["real radiograph 2444 x 2155", () => read(SOURCE)],
    ["progressive colour fixture", () => read(path.join(REPO_ROOT, "tests/fixtures/synthetic-rgb-progressive.jpg"))],
    ["CMYK fixture", () => read(path.join(REPO_ROOT, "tests/fixtures/cmyk-adobe.jpg"))]
  ];
  const stored16 = () => Uint16Array.from({length: W * H}, (_, i) => Math.round(v(i % W, Math.floor(i / W), 0) * 4095));
  const dicoms: [string, () => Uint8Array][] = [
    ["12-bit MONOCHROME1 with a window", () => writeDicom(greyImage(W, H, stored16(), [el(0x00280004, "CS", "MONOCHROME1"), el(0x00281050, "DS", "1800"), el(0x00281051, "DS", "2600")], {allocated: 16, stored: 12}))],
    ["signed, rescaled, full range", () => writeDicom(greyImage(W, H, Int16Array.from(stored16(), (s) => s - 2048), [el(0x00281052, "DS", "-1024"), el(0x00281053, "DS", "0.5")], {allocated: 16, stored: 16, signed: true}))],
    ["8-bit RGB", () => {
      const rgb = Uint8Array.from({length: W * H * 3}, (_, i) => Math.round(v(Math.floor(i / 3) % W, Math.floor(i / 3 / W), i % 3) * 255));
      return writeDicom(greyImage(W, H, rgb, [el(0x00280002, "US", 3), el(0x00280004, "CS", "RGB"), el(0x00280006, "US", 0)], {allocated: 8, stored: 8}));
    }],
    ["JPEG baseline inside (the real radiograph)", () => {
      const jpeg = read(SOURCE);
      return writeDicom(greyImage(2444, 2155, {fragments: [jpeg]}, [], {allocated: 8, stored: 8}), {transferSyntax: "1.2.840.10008.1.2.4.50"});
    }]
  ];

  // The squares of the shipped bundles (128 and 64 px), and 224 px for the coming ones.
  const sizes = [128, 64, 224];
  it.each([...pngs.map(([n, f]) => [`PNG ${n}`, f] as const), ...jpegs.map(([n, f]) => [`JPEG ${n}`, f] as const), ...dicoms.map(([n, f]) => [`DICOM ${n}`, f] as const)])(
    "%s",
    (_, make) => {
      const bytes = make();
      const {full, reduced} = bothWays(bytes, sizes);
      expect(reduced.info).toMatchObject({...full.info, reducedBy: reduced.reduced!.factor});
      // Measured: at most 1.7e-6, float32 rounding (TF.js sums up to 81 pixels per block in float32; the reducer in float64).
      const diff = squaresDiff(full, reduced, sizes);
      measured.push(diff);
      expect(diff).toBeLessThan(1e-5);
    }
  );

  it("in stretch mode too, and a size it was not told of is resampled from the reduced copy (close, not exact)", () => {
    const bytes = read(SOURCE);
    const {full, reduced} = bothWays(bytes, [128, 64], "stretch");
    expect(squaresDiff(full, reduced, [128, 64], "stretch")).toBeLessThan(1e-5);
    const untold = squaresDiff(full, reduced, [96], "stretch");
    expect(untold).toBeGreaterThan(1e-5);
    expect(untold).toBeLessThan(0.5);
  });
});

describe("huge images", () => {
  const dir = path.join(TMP_ROOT, "huge-images");
  afterAll(() => rmSync(dir, {recursive: true, force: true}));

  it("the same kind of image at 1/5 the size: the reduced decode gives the full decode's predictions", () => {
    for (const [name, bytes] of [
      ["1600 x 1600 colour JPEG", greyAsColourJpeg(1600, 1600, upscaled(source, 1600, 1600))],
      ["1638 x 1637 16-bit RGBA PNG", rgba16Png(1638, 1637, upscaled(source, 1638, 1637))]
    ] as const) {
      const full = decodeImage(bytes, {maxDecodeBytes: FULL});
      expect(full.reduced).toBeUndefined();
      const reduced = decodeImage(bytes, {reduce: true, reduceFor: analysisTarget(bundle)});
      expect(squaresDiff(full, reduced, analysisSizes(bundle)), name).toBeLessThan(1e-5);
      const a = analyse(bundle, full, {methods: [], predictRejected: true});
      const b = analyse(bundle, reduced, {methods: [], predictRejected: true});
      expect([b.width, b.height]).toEqual([full.width, full.height]);
      expect(b.box).toEqual(a.box);
      for (const [i, p] of a.predictions!.entries()) expect(Math.abs(b.predictions![i]!.raw - p.raw), name).toBeLessThan(1e-5);
    }
  });

  it("the 8000 x 8000 JPEG and the 8192 x 8191 16-bit RGBA PNG of issue 12 are audited under 600 MB peak RSS", async () => {
    const images = path.join(dir, "images");
    mkdirSync(images, {recursive: true});
    const made = hugeImages(source);
    for (const image of made) writeFileSync(path.join(images, image.name), image.bytes);
    made.length = 0; // the test process's copies are not the audit's

    // The real CLI in a child that reports its own peak RSS (getrusage) as it exits.
    const out = path.join(dir, "out");
    const report = path.join(dir, "peak-rss.mjs");
    writeFileSync(report, `process.on("exit", () => process.stderr.write("peak-rss-kb " + process.resourceUsage().maxRSS + "\\n"));\n`);
    const child = spawn(process.execPath, ["--import", "tsx", "--import", report, path.join(REPO_ROOT, "scripts/audit.ts"), "--images", images, "--out", out, "--model", MODEL], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"]
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code, stderr).toBe(0);
    const peakMb = Number(/peak-rss-kb (\d+)/.exec(stderr)?.[1]) / 1024;
    console.log(`audit of the two huge images: peak RSS ${peakMb.toFixed(0)} MB`);
    expect(peakMb).toBeGreaterThan(100); // the report was read
    expect(peakMb).toBeLessThan(600);

    const rows = await queryAudit(out, "SELECT path, width, height, format, status FROM {images} ORDER BY path");
    expect(rows).toEqual([
      {path: "huge-8000x8000-rgb.jpg", width: 8000, height: 8000, format: "jpeg", status: "ok"},
      {path: "huge-8192x8191-rgba16.png", width: 8192, height: 8191, format: "png", status: "ok"}
    ]);
    expect(await queryAudit(out, "SELECT * FROM {errors}")).toEqual([]);
    const predictions = await queryAudit(out, "SELECT path, probability FROM {predictions} ORDER BY path");
    expect(predictions.map((r) => r.path)).toEqual(["huge-8000x8000-rgb.jpg", "huge-8192x8191-rgba16.png"]);
    for (const r of predictions) expect(Number.isFinite(r.probability)).toBe(true);
  }, 600_000);
});
