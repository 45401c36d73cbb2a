import {describe, expect, it} from "vitest";
import {calibrate, calibrateAll, uncalibrate} from "../src/pipeline/calibration.js";
import {confusionAt, mulberry32, youdenOperatingPoint} from "../src/pipeline/metrics.js";

const ops = [0.01, 0.1, 0.3, 0.5, 0.7, 0.95];
const grid = Array.from({length: 1001}, (_, i) => i / 1000);

describe("calibrate (Chester Eq. 1)", () => {
  it("maps the operating point to 0.5, 0 to 0 and 1 to 1", () => {
    for (const op of ops) {
      expect(calibrate(op, op)).toBe(0.5);
      expect(calibrate(0, op)).toBe(0);
      expect(calibrate(1, op)).toBe(1);
    }
  });

  it("gives the hand-computed values on both pieces", () => {
    // op = 0.2: 0.1 / 0.4 = 0.25; 1 - 0.4 / 1.6 = 0.75.
    expect(calibrate(0.1, 0.2)).toBeCloseTo(0.25, 15);
    expect(calibrate(0.6, 0.2)).toBeCloseTo(0.75, 15);
  });

  it("is continuous at the operating point (left and right limits are 0.5)", () => {
    for (const op of ops) {
      for (const eps of [1e-6, 1e-9, 1e-12]) {
        expect(Math.abs(calibrate(op - eps * op, op) - 0.5)).toBeLessThanOrEqual(eps);
        expect(Math.abs(calibrate(op + eps * (1 - op), op) - 0.5)).toBeLessThanOrEqual(eps);
      }
    }
  });

  it("is strictly increasing over a fine grid", () => {
    for (const op of ops) {
      const values = grid.map((x) => calibrate(x, op));
      for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThan(values[i - 1]!);
    }
  });

  it("rejects an operating point outside (0, 1) and a score outside [0, 1]; NaN in, NaN out", () => {
    for (const op of [0, 1, -0.1, 1.5, NaN]) expect(() => calibrate(0.5, op)).toThrow(RangeError);
    expect(() => calibrate(0.5, 0)).toThrow(/operating point/);
    expect(() => calibrate(1.2, 0.5)).toThrow(/score must lie in \[0, 1\]/);
    expect(() => calibrate(-0.01, 0.5)).toThrow(RangeError);
    expect(calibrate(NaN, 0.3)).toBeNaN();
    expect(() => calibrate(NaN, 0)).toThrow(RangeError);
  });
});

describe("calibrate with scaleUpper (SCALE_UPPER)", () => {
  it("keeps values at or below 0.6 unchanged and never exceeds 1", () => {
    for (const op of ops) {
      for (const x of grid) {
        const plain = calibrate(x, op);
        const scaled = calibrate(x, op, {scaleUpper: 1.3});
        if (plain <= 0.6) expect(scaled).toBe(plain);
        else expect(scaled).toBeGreaterThanOrEqual(plain);
        expect(scaled).toBeLessThanOrEqual(1);
      }
    }
  });

  it("stretches above 0.6 by the factor, clipping at 1", () => {
    // op = 0.5 makes Eq. 1 the identity: 0.6 + 0.2 * 1.3 = 0.86; 0.6 + 0.35 * 1.3 > 1 -> 1.
    expect(calibrate(0.8, 0.5, {scaleUpper: 1.3})).toBeCloseTo(0.86, 14);
    expect(calibrate(0.95, 0.5, {scaleUpper: 1.3})).toBe(1);
    expect(() => calibrate(0.8, 0.5, {scaleUpper: 0})).toThrow(/scaleUpper/);
  });
});

describe("uncalibrate", () => {
  it("inverts Eq. 1 in both directions", () => {
    for (const op of ops) {
      for (const x of grid) expect(uncalibrate(calibrate(x, op), op)).toBeCloseTo(x, 12);
      for (const p of grid) expect(calibrate(uncalibrate(p, op), op)).toBeCloseTo(p, 12);
      expect(uncalibrate(0.5, op)).toBe(op);
    }
    expect(uncalibrate(NaN, 0.3)).toBeNaN();
    expect(() => uncalibrate(0.5, 1)).toThrow(RangeError);
  });
});

describe("calibrateAll", () => {
  it("calibrates each output with its own operating point", () => {
    expect(calibrateAll(Float32Array.from([0.25, 0.5, 0.75]), [0.25, 0.5, 0.75])).toEqual([0.5, 0.5, 0.5]);
    expect(calibrateAll([0.1, 0.6], [0.2, 0.2])).toEqual([calibrate(0.1, 0.2), calibrate(0.6, 0.2)]);
  });

  it("names the failing output and rejects mismatched lengths", () => {
    expect(() => calibrateAll([0.1, 0.2], [0.3, 1])).toThrow(/output 1/);
    expect(() => calibrateAll([0.1, 0.2], [0.3])).toThrow(/operating points/);
  });
});

describe("calibration agrees with the metrics threshold convention", () => {
  it("'calibrated >= 0.5' makes the same decisions as 'score >= Youden threshold'", () => {
    const random = mulberry32(3);
    const labels = Array.from({length: 400}, () => (random() < 0.3 ? 1 : 0));
    const scores = labels.map((y) => Math.round((0.6 * random() + 0.4 * y * random()) * 100) / 100);
    const op = youdenOperatingPoint(scores, labels).threshold;
    const calibrated = scores.map((x) => calibrate(x, op));
    const raw = confusionAt(scores, labels, op);
    const cal = confusionAt(calibrated, labels, 0.5);
    expect(cal).toEqual(raw);
    expect(cal.sensitivity).toBeCloseTo(youdenOperatingPoint(scores, labels).sensitivity, 14);
  });
});
