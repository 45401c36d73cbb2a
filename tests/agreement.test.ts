import {describe, expect, it} from "vitest";
import {meanByMethod, metricAgreement} from "../src/pipeline/faithfulness/agreement.js";

describe("agreement across metrics", () => {
  it("ranks methods by each metric's direction and compares rankings by Kendall's tau-b", () => {
    const methods = ["cam", "gradcam", "gradcampp"];
    const table = metricAgreement(methods, [
      {metric: "BAD", higherIsBetter: false, values: [30, 20, 10]}, // gradcampp best
      {metric: "insertion", higherIsBetter: true, values: [0.2, 0.5, 0.9]}, // same order
      {metric: "pointing", higherIsBetter: true, values: [1, 0.5, 0]}, // reversed
      {metric: "deletion", higherIsBetter: false, values: [0.3, NaN, 0.1]}
    ]);
    expect(table.ranks[0]).toEqual([3, 2, 1]);
    expect(table.ranks[1]).toEqual([3, 2, 1]);
    expect(table.ranks[2]).toEqual([1, 2, 3]);
    expect(table.ranks[3]![1]).toBeNaN();
    const tau = (a: string, b: string) => table.pairs.find((p) => p.a === a && p.b === b)!;
    expect(tau("BAD", "insertion").tau).toBeCloseTo(1, 12);
    expect(tau("BAD", "pointing").tau).toBeCloseTo(-1, 12);
    expect(tau("BAD", "deletion")).toEqual({a: "BAD", b: "deletion", tau: 1, methods: 2});
    expect(() => metricAgreement(methods, [{metric: "x", higherIsBetter: true, values: [1]}])).toThrow(/1 values for 3 methods/);
  });

  it("averages per-image values per method, skipping missing ones", () => {
    const means = meanByMethod([
      {method: "cam", value: 1},
      {method: "cam", value: NaN},
      {method: "cam", value: 3},
      {method: "gradcam", value: NaN}
    ]);
    expect(means.get("cam")).toBe(2);
    expect(means.get("gradcam")).toBeNaN();
  });
});
