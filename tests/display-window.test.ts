/**
 * The viewer's windowing (src/pipeline/display-window.ts), for display only: its start is exactly
 * what the model saw (the file's window, or the full range), and a wider window than the file's
 * shows what the file's window clipped. On DICOM files dcmtk makes from a real radiograph (window
 * added by dcmodify, MONOCHROME1 too), hand-built 12-bit rescaled data, and a real JPEG.
 */
import {spawnSync} from "node:child_process";
import {mkdtempSync, readFileSync, rmSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, describe, expect, it} from "vitest";
import {fullRangeWindow, reduceGrey, unitValue, viewImageOf, windowLut, type DisplayWindow, type ViewImage} from "../src/pipeline/display-window.js";
import {decodeImage} from "../src/pipeline/image/index.js";
import type {DecodedImage} from "../src/pipeline/image/types.js";
import {el, greyImage, writeDicom} from "./helpers/dicom-writer.js";
import {DATA_ROOT} from "./helpers/paths.js";

const SOURCE = path.join(DATA_ROOT, "cxr-peds/test/NORMAL/IM-0001-0001.jpg");
const dir = mkdtempSync(path.join(os.tmpdir(), "cxr-display-window-"));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

function run(tool: string, ...args: string[]) {
  const result = spawnSync(tool, args, {encoding: "utf8"});
  if (result.error || result.status !== 0) throw new Error(`${tool} ${args.join(" ")} failed: ${result.error?.message ?? result.stderr}`);
}

/** The viewer's grey levels at a window. */
const shown = (view: ViewImage, window: DisplayWindow = view.start) => {
  const lut = windowLut(view, window);
  return Array.from(view.values, (q) => lut[q]!);
};

/** Largest difference, in display grey levels, from what the model saw. */
function maxDifference(view: ViewImage, analysed: DecodedImage): number {
  const levels = shown(view);
  return Math.max(...levels.map((v, i) => Math.abs(v - 255 * analysed.data[i]!)));
}

describe("the viewer's window", () => {
  it("starts at the DICOM's own window (dcmtk, a real radiograph), exactly what the model saw, and widens past it", () => {
    const file = path.join(dir, "windowed.dcm");
    run("img2dcm", SOURCE, path.join(dir, "jpeg.dcm"));
    run("dcmdjpeg", path.join(dir, "jpeg.dcm"), file);
    run("dcmodify", "-nb", "-i", "(0028,1050)=100", "-i", "(0028,1051)=120", file);
    const bytes = new Uint8Array(readFileSync(file));
    const analysed = decodeImage(bytes);
    const unwindowed = decodeImage(bytes, {fileVoi: false});
    expect(analysed.info).toMatchObject({windowCenter: 100, windowWidth: 120, voi: "window (LINEAR)"});
    expect(unwindowed.info.voi).toMatch(/^full range/);
    const view = viewImageOf(analysed, unwindowed, 10_000);
    expect(view).toMatchObject({width: analysed.width, height: analysed.height, low: 0, high: 255, unit: "stored value", fn: "LINEAR", inverted: false});
    expect(view.start).toMatchObject({center: 100, width: 120, source: "the file's window"});
    expect(maxDifference(view, analysed)).toBeLessThanOrEqual(0.5 + 1e-9);
    // The file's window clips everything below 40 to black; the full range tells those pixels apart.
    const dark = view.values.reduce((n, q) => n + (unitValue(view, q) < 40 ? 1 : 0), 0);
    expect(dark).toBeGreaterThan(1000);
    expect(new Set(shown(view).filter((_, i) => unitValue(view, view.values[i]!) < 40)).size).toBe(1);
    const wide = shown(view, fullRangeWindow(view.low, view.high));
    expect(new Set(wide.filter((_, i) => unitValue(view, view.values[i]!) < 40)).size).toBeGreaterThan(20);

    // MONOCHROME1: inverted after the window, as the decoder does.
    run("dcmodify", "-nb", "-m", "(0028,0004)=MONOCHROME1", file);
    const mono1 = new Uint8Array(readFileSync(file));
    const analysed1 = decodeImage(mono1);
    const view1 = viewImageOf(analysed1, decodeImage(mono1, {fileVoi: false}), 10_000);
    expect(view1.inverted).toBe(true);
    expect(maxDifference(view1, analysed1)).toBeLessThanOrEqual(0.5 + 1e-9);
  });

  it("12-bit rescaled data: units are modality values, the start the file's window, a narrow window by hand", () => {
    // modality = 2 * stored - 1000; window C 1000, W 401.
    const stored = Uint16Array.of(0, 900, 950, 1000, 1012, 1099, 1100, 4095);
    const bytes = writeDicom(greyImage(8, 1, stored, [el(0x00281053, "DS", "2"), el(0x00281052, "DS", "-1000"), el(0x00281050, "DS", "1000"), el(0x00281051, "DS", "401")], {allocated: 16, stored: 12}));
    const analysed = decodeImage(bytes);
    const view = viewImageOf(analysed, decodeImage(bytes, {fileVoi: false}));
    expect([view.low, view.high, view.unit]).toEqual([-1000, 7190, "modality value (rescaled)"]);
    expect(maxDifference(view, analysed)).toBeLessThanOrEqual(0.5 + 1e-9);
    // Modality values -1000, 800, 900, 1000, 1024, 1198, 1200, 7190 under LINEAR C 1000, W 201:
    // low 899.5, high 1099.5: 0, 0, (900 - 999.5) / 200 + 0.5 = 0.0025 -> 1, 0.5025 -> 128, 0.6225 -> 159, 1, 1, 1.
    expect(shown(view, {center: 1000, width: 201})).toEqual([0, 0, 1, 128, 159, 255, 255, 255]);
    expect(() => windowLut(view, {center: 1000, width: 0})).toThrow(/positive width/);
  });

  it("a JPEG: grey levels 0-255, its full range as the start (the model's input), reduced for display by area", () => {
    const analysed = decodeImage(new Uint8Array(readFileSync(SOURCE)));
    const full = viewImageOf(analysed, null, 10_000);
    expect(full.start).toMatchObject({...fullRangeWindow(0, 255), source: "the full range of its 256 grey levels"});
    expect(fullRangeWindow(0, 255)).toEqual({center: 128, width: 256});
    expect(maxDifference(full, analysed)).toBeLessThanOrEqual(0.5 + 1e-9);
    const reduced = viewImageOf(analysed, null, 100);
    expect(Math.max(reduced.width, reduced.height)).toBe(100);
    expect([reduced.sourceWidth, reduced.sourceHeight]).toEqual([analysed.width, analysed.height]);
    // Area reduction keeps the mean.
    const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
    expect(mean(reduced.values) / 65535).toBeCloseTo(mean(analysed.data), 2);
    expect(Array.from(reduceGrey([0, 1, 2, 3, 4, 5, 6, 7], 4, 2, 2).data)).toEqual([2.5, 4.5]);
  });
});
