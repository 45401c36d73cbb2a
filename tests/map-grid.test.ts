import {describe, expect, it} from "vitest";
import {isFlatMap, nearestMap} from "../src/components/map-grid.js";

describe("raw maps drawn cell by cell", () => {
  it("repeats each cell of a low-resolution map over its block of pixels (no interpolation)", () => {
    const map = {width: 2, height: 2, data: Float32Array.from([1, 2, 3, 4])};
    const big = nearestMap(map, 4);
    expect([big.width, big.height]).toEqual([4, 4]);
    expect(Array.from(big.data)).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    // A size that is not a multiple still covers every pixel with a cell's value.
    expect(new Set(nearestMap(map, 5).data)).toEqual(new Set([1, 2, 3, 4]));
  });

  it("knows a map that points nowhere", () => {
    expect(isFlatMap({width: 2, height: 1, data: Float32Array.from([0, 0])})).toBe(true);
    expect(isFlatMap({width: 2, height: 1, data: Float32Array.from([0, 1e-6])})).toBe(false);
  });
});
