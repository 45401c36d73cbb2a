/** The walkthrough's "what if" edits on tiny images whose every output pixel is worked out by hand. */
import {describe, expect, it} from "vitest";
import {mulberry32} from "../src/pipeline/metrics.js";
import {
  addNoise,
  adjustContrast,
  adjustGamma,
  applyEdits,
  burnText,
  describeEdits,
  editProblems,
  flip,
  glyph,
  invert,
  NO_EDITS,
  occlude,
  previewOf,
  rotate,
  textScale,
  TEXT_CHARACTERS,
  zoomAbout,
  type GreyImage,
  type WhatIfEdits
} from "../src/pipeline/what-if.js";

const image = (width: number, height: number, values: number[]): GreyImage => ({width, height, data: Float32Array.from(values)});
const values = (g: GreyImage) => [...g.data].map((v) => Math.round(v * 1e6) / 1e6);
const edits = (patch: Partial<WhatIfEdits>): WhatIfEdits => ({...NO_EDITS, ...patch});

describe("geometry", () => {
  const row = image(4, 1, [0, 0.2, 0.6, 1]);

  it("zooms in about the centre by bilinear sampling at pixel centres", () => {
    // Output centre u = i + 0.5 comes from 2 + (u - 2) / 2, i.e. pixel x = 0.75, 1.25, 1.75, 2.25.
    expect(values(zoomAbout(row, 2))).toEqual([0.15, 0.3, 0.5, 0.7]);
  });

  it("zooms out onto black, and pans at zoom 1", () => {
    // Source x = 2 + (u - 2) * 2 - 0.5 = -1.5 (outside), 0.5, 2.5, 4.5 (outside).
    expect(values(zoomAbout(row, 0.5))).toEqual([0, 0.1, 0.8, 0]);
    // Centre at 75 %: every pixel comes from one to its right; the last from outside.
    expect(values(zoomAbout(row, 1, 0.75))).toEqual([0.2, 0.6, 1, 0]);
    expect(values(zoomAbout(row, 1))).toEqual(values(row));
  });

  it("rotates clockwise as displayed; quarter turns move pixels exactly, and what leaves the frame is lost", () => {
    const square = image(3, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9].map((v) => v / 10));
    // a b c / d e f / g h i turned clockwise: g d a / h e b / i f c.
    expect(values(rotate(square, 90))).toEqual([7, 4, 1, 8, 5, 2, 9, 6, 3].map((v) => v / 10));
    expect(values(rotate(square, -90))).toEqual([3, 6, 9, 2, 5, 8, 1, 4, 7].map((v) => v / 10));
    expect(values(rotate(square, 180))).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1].map((v) => v / 10));
    expect(values(rotate(square, 360))).toEqual(values(square));
    // A 3 x 1 row stood on end: its ends fall outside the frame, the centre stays.
    expect(values(rotate(image(3, 1, [0.2, 0.5, 0.9]), 90))).toEqual([0, 0.5, 0]);
    // Any angle keeps the centre pixel of an odd-sized image.
    expect(rotate(square, 33).data[4]).toBeCloseTo(0.5, 6);
  });

  it("flips left-right, upside down, or both", () => {
    const square = image(2, 2, [0.1, 0.2, 0.3, 0.4]);
    expect(values(flip(square, true, false))).toEqual([0.2, 0.1, 0.4, 0.3]);
    expect(values(flip(square, false, true))).toEqual([0.3, 0.4, 0.1, 0.2]);
    expect(values(flip(square, true, true))).toEqual([0.4, 0.3, 0.2, 0.1]);
  });
});

describe("intensities", () => {
  it("inverts, stretches contrast about mid-grey (clamped), and applies gamma", () => {
    expect(values(invert(image(3, 1, [0, 0.25, 1])))).toEqual([1, 0.75, 0]);
    expect(values(adjustContrast(image(3, 1, [0.1, 0.5, 0.8]), 2))).toEqual([0, 0.5, 1]);
    expect(values(adjustContrast(image(3, 1, [0.1, 0.5, 0.8]), 0.5))).toEqual([0.3, 0.5, 0.65]);
    expect(values(adjustGamma(image(3, 1, [0.5, 0.2, 0.25]), 2))).toEqual([0.25, 0.04, 0.0625]);
    expect(values(adjustGamma(image(1, 1, [0.25]), 0.5))).toEqual([0.5]);
  });

  it("adds seeded Gaussian noise: the same seed gives the same image, and the spread is sigma", () => {
    const grey = image(100, 100, new Array(10_000).fill(0.5));
    const a = addNoise(grey, 0.05, 7);
    expect(a.data).toEqual(addNoise(grey, 0.05, 7).data);
    expect(a.data).not.toEqual(addNoise(grey, 0.05, 8).data);
    // The first pixel, by hand from the project's PRNG and Box-Muller.
    const random = mulberry32(7);
    const [r1, r2] = [random(), random()];
    expect(a.data[0]).toBeCloseTo(0.5 + 0.05 * Math.sqrt(-2 * Math.log(1 - r1)) * Math.cos(2 * Math.PI * r2), 6);
    const mean = a.data.reduce((s, v) => s + v, 0) / a.data.length;
    const std = Math.sqrt(a.data.reduce((s, v) => s + (v - mean) ** 2, 0) / a.data.length);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.003);
    expect(Math.abs(std - 0.05)).toBeLessThan(0.003);
    // Clamped: noise on black never goes below 0.
    expect(Math.min(...addNoise(image(10, 10, new Array(100).fill(0)), 0.3, 1).data)).toBe(0);
  });
});

describe("drawn on the image", () => {
  it("occludes a square patch of the given share of the short side, clipped at the edges", () => {
    const ones = image(4, 4, new Array(16).fill(1));
    // Side 0.5 x 4 = 2 pixels centred at (2, 2): pixels 1-2 of rows 1-2.
    expect(values(occlude(ones, {x: 0.5, y: 0.5, size: 0.5, value: 0}))).toEqual([1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1]);
    // Centred on the corner: only the quarter inside the image.
    expect(values(occlude(ones, {x: 0, y: 0, size: 0.5, value: 0.25}))).toEqual([0.25, ...new Array(15).fill(1)]);
  });

  it("burns in text in a 5 x 7 font, one dot per pixel at letter height 7 px", () => {
    const out = burnText(image(7, 7, new Array(49).fill(0)), {text: "I", x: 0, y: 0, height: 1, value: 1});
    const expected = [".###...", "..#....", "..#....", "..#....", "..#....", "..#....", ".###..."];
    expect(values(out)).toEqual(expected.join("").split("").map((c) => (c === "#" ? 1 : 0)));
    // Lower case is drawn as upper case; letters are 6 dots apart (one dot of space).
    const two = burnText(image(12, 7, new Array(84).fill(0)), {text: "il", x: 0, y: 0, height: 1, value: 1});
    expect(two.data[6 * 12 + 6]).toBe(1); // L's foot starts at x = 6 on the last row
    expect(two.data[6 * 12 + 10]).toBe(1);
    expect(two.data[0 * 12 + 6]).toBe(1);
    expect(two.data[0 * 12 + 7]).toBe(0);
  });

  it("scales the letters with the image and clips them at the edges", () => {
    expect(textScale(14, 1)).toBe(2);
    expect(textScale(700, 0.05)).toBe(5);
    expect(textScale(10, 0.01)).toBe(1);
    const out = burnText(image(14, 14, new Array(196).fill(0)), {text: "I", x: 0, y: 0, height: 1, value: 1});
    // Dot (column 1, row 0) covers pixels x 2-3, y 0-1; dot (0, 0) is blank.
    for (const [x, y] of [[2, 0], [3, 0], [2, 1], [3, 1]]) expect(out.data[y! * 14 + x!]).toBe(1);
    expect(out.data[0]).toBe(0);
    // Partly off the image: no error, and only the visible dots change.
    const clipped = burnText(image(4, 4, new Array(16).fill(0)), {text: "T", x: 0.5, y: 0.5, height: 1, value: 1});
    expect(values(clipped).slice(8)).toEqual([0, 0, 1, 1, 0, 0, 0, 0]);
  });

  it("has a well-formed glyph for every character it claims, and names characters it cannot draw", () => {
    for (const c of TEXT_CHARACTERS) {
      const rows = glyph(c)!;
      expect(rows, c).toHaveLength(7);
      for (const r of rows) expect(r, c).toHaveLength(5);
    }
    expect(() => burnText(image(8, 8, new Array(64).fill(0)), {text: "Bé!", x: 0, y: 0, height: 1, value: 1})).toThrow(/no "é", "!"/);
  });
});

describe("applyEdits", () => {
  it("returns the image itself when nothing is edited, and never changes its input", () => {
    const square = image(3, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9].map((v) => v / 10));
    const copy = square.data.slice();
    expect(applyEdits(square, edits({}))).toBe(square);
    applyEdits(square, edits({rotate: 90, invert: true, noise: 0.1, patch: {x: 0.5, y: 0.5, size: 0.4, value: 0}}));
    expect(square.data).toEqual(copy);
  });

  it("applies geometry, then intensities, then the patch and text, then noise", () => {
    const square = image(3, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9].map((v) => v / 10));
    // Rotated, inverted, then a black 1-pixel patch at the top-left of the result: the patch is
    // neither turned nor inverted.
    const out = applyEdits(square, edits({rotate: 90, invert: true, patch: {x: 1 / 6, y: 1 / 6, size: 1 / 3, value: 0}}));
    expect(values(out)).toEqual([0, 0.6, 0.9, 0.2, 0.5, 0.8, 0.1, 0.4, 0.7]);
    // Contrast before gamma: 0.6 -> 0.7 -> 0.49 (the other way round would give 0.22).
    expect(values(applyEdits(image(1, 1, [0.6]), edits({contrast: 2, gamma: 2})))).toEqual([0.49]);
    // Zoom before rotate: the zoomed row, then the quarter turn of a 2 x 2.
    const two = image(2, 2, [0, 0.25, 0.5, 0.75]);
    expect(values(applyEdits(two, edits({zoom: 1, zoomX: 0.75, rotate: 90})))).toEqual(values(rotate(zoomAbout(two, 1, 0.75), 90)));
    // Noise last: a white patch under noise is no longer uniform.
    const noisy = applyEdits(image(10, 10, new Array(100).fill(0.5)), edits({patch: {x: 0.5, y: 0.5, size: 1, value: 0.5}, noise: 0.1}));
    expect(new Set(noisy.data).size).toBeGreaterThan(50);
  });

  it("refuses bad values with one error that names each of them", () => {
    const bad = edits({zoom: 0, gamma: -1, rotate: Number.NaN, patch: {x: 0.5, y: 0.5, size: 2, value: 0}, text: {text: "ÅB", x: 0, y: 0, height: 0.1, value: 1}});
    expect(editProblems(bad)).toHaveLength(5);
    expect(() => applyEdits(image(2, 2, [0, 0, 0, 0]), bad)).toThrow(RangeError);
    expect(() => applyEdits(image(2, 2, [0, 0, 0, 0]), bad)).toThrow(/zoom must be above 0.*rotation must be a finite number.*gamma must be above 0.*patch size.*no "Å"/);
    expect(editProblems(edits({}))).toEqual([]);
  });

  it("describes the edits in words, in the order they are applied", () => {
    expect(describeEdits(edits({}))).toEqual([]);
    expect(describeEdits(edits({rotate: 15, invert: true, noise: 0.05, noiseSeed: 3}))).toEqual(["rotated 15° clockwise", "inverted (black and white swapped)", "noise σ = 0.050 (seed 3)"]);
  });
});

describe("previewOf", () => {
  it("averages k x k blocks down to the size asked, and leaves a small image alone", () => {
    const wide = image(4, 2, [0, 0.2, 0.4, 0.6, 0.2, 0.2, 0.4, 1]);
    expect(previewOf(wide, 4)).toBe(wide);
    const small = previewOf(wide, 2);
    expect([small.width, small.height]).toEqual([2, 1]);
    expect(values(small)).toEqual([0.15, 0.6]);
  });
});
