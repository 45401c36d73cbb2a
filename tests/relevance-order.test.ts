import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {topPercentMask} from "../src/pipeline/evaluate.js";
import {relevanceOrder, topSelection} from "../src/pipeline/faithfulness/relevance-order.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";

beforeAll(async () => {
  await initBackend();
});

/** 20x20, zero everywhere but 10 positive pixels in the bottom row (a ReLU'd map with a small area). */
function smallArea(): Float32Array {
  const heat = new Float32Array(400);
  for (let c = 0; c < 10; c++) heat[19 * 20 + c] = 1 + c;
  return heat;
}

describe("relevance order and the top-alpha selection", () => {
  it("keeps the strictly hotter pixels, reports the tie, and picks tied pixels with no positional bias", () => {
    const heat = smallArea();
    const sel = topSelection(heat, 10); // 40 of 400
    expect(sel.kept).toBe(40);
    expect(sel.strictlyAbove).toBe(10);
    expect(sel.chosenByTieBreak).toBe(30);
    expect(sel.tiedAtCut).toBe(390);
    for (let c = 0; c < 10; c++) expect(sel.mask[19 * 20 + c]).toBe(1);
    // Row-major tie-breaking would take rows 0 and 1 (30 pixels); here they spread over the image.
    const tiedRows = [...sel.mask.keys()].filter((i) => sel.mask[i] === 1 && heat[i] === 0).map((i) => Math.floor(i / 20));
    expect(tiedRows.filter((r) => r < 10).length).toBeGreaterThan(5);
    expect(tiedRows.filter((r) => r >= 10).length).toBeGreaterThan(5);
    expect(new Set(tiedRows).size).toBeGreaterThan(8);
    // Reproducible (same seed), and the same through the tensor form BAD uses.
    expect(Array.from(topSelection(heat, 10).mask)).toEqual(Array.from(sel.mask));
    const t = tf.tensor2d(heat, [20, 20]);
    const mask = topPercentMask(t, 10);
    expect(Array.from(mask.dataSync())).toEqual(Array.from(sel.mask));
    tf.dispose([t, mask]);
  });

  it("orders strictly by value where there is no tie", () => {
    expect(Array.from(relevanceOrder([0.1, 0.5, 0.3, 0.9]))).toEqual([3, 1, 2, 0]);
    const sel = topSelection([0.1, 0.5, 0.3, 0.9], 50);
    expect(Array.from(sel.mask)).toEqual([0, 1, 0, 1]);
    expect(sel.chosenByTieBreak).toBe(0);
    expect(() => topSelection([1, 2], 0)).toThrow(/alpha/);
  });
});
