import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {loadBundle} from "../src/pipeline/bundle/load.js";
import {
  averageDropPercent,
  classProbabilities,
  drop,
  incorrectPercent,
  increaseInConfidencePercent,
  keepTopPercent,
  multiplyByMap,
  perturbAndScore,
  topPercentMask
} from "../src/pipeline/evaluate.js";
import {testBundle} from "./helpers/models.js";

beforeAll(async () => {
  await initBackend();
});

describe("perturbations", () => {
  it("the top-alpha mask keeps exactly round(alpha % of n) pixels, the hottest ones", () => {
    const heat = tf.tensor2d(Array.from({length: 100}, (_, i) => i / 100), [10, 10]);
    const mask = Array.from(topPercentMask(heat, 5).dataSync());
    expect(mask.reduce((a, b) => a + b)).toBe(5);
    expect(mask.slice(95)).toEqual([1, 1, 1, 1, 1]);
    // A flat map keeps alpha %, not everything.
    const flat = Array.from(topPercentMask(tf.zeros([10, 10]) as tf.Tensor2D, 20).dataSync());
    expect(flat.reduce((a, b) => a + b)).toBe(20);
    heat.dispose();
  });

  it("Black Average Drop blacks out in pixel intensity (0), not after normalisation", () => {
    const image = tf.fill([4, 4], 0.8) as tf.Tensor2D;
    const heat = tf.tensor2d(Array.from({length: 16}, (_, i) => i), [4, 4]);
    const out = keepTopPercent(25).apply(image, heat).dataSync();
    expect(Array.from(out)).toEqual([...Array(12).fill(0), 0.8, 0.8, 0.8, 0.8].map((v) => Math.fround(v)));
    const multiplied = multiplyByMap.apply(image, tf.fill([4, 4], 0.5) as tf.Tensor2D).dataSync();
    expect(multiplied[0]).toBeCloseTo(0.4, 6);
    expect(() => keepTopPercent(0)).toThrow(/alpha/);
    expect(() => keepTopPercent(150)).toThrow(/alpha/);
    tf.dispose([image, heat]);
  });
});

describe("metrics over score pairs", () => {
  it("Average Drop, Increase in Confidence and Incorrect % on hand-computed pairs", () => {
    const pairs = [
      {original: 0.8, perturbed: 0.4}, // drop .5
      {original: 0.5, perturbed: 0.6}, // drop 0, confidence up
      {original: 0.9, perturbed: 0.0} // drop 1
    ];
    expect(drop(pairs[0]!)).toBeCloseTo(0.5, 9);
    expect(averageDropPercent(pairs)).toBeCloseTo(50, 9);
    expect(increaseInConfidencePercent(pairs)).toBeCloseTo(100 / 3, 9);
    expect(incorrectPercent([0.4, 0.6, 0.0], [1, 1, 0], 0.5)).toBeCloseTo(100 / 3, 9);
    expect(averageDropPercent([])).toBeNaN();
  });

  it("scores the perturbed images with the real model", async () => {
    const bundle = await loadBundle(testBundle().source);
    const image = tf.tidy(() => tf.linspace(0, 1, 32).reshape([32, 1]).mul(tf.ones([1, 32])) as tf.Tensor2D);
    const heat = tf.tidy(() => tf.linspace(1, 0, 32).reshape([1, 32]).mul(tf.ones([32, 1])) as tf.Tensor2D);
    const before = tf.memory().numTensors;
    const scored = perturbAndScore(bundle.classifier, image, heat, 1, [multiplyByMap, keepTopPercent(10)]);
    expect(tf.memory().numTensors).toBe(before);
    const [y] = classProbabilities(bundle.classifier, [image], 1);
    expect(scored.map((s) => s.strategy)).toEqual(["multiply", "top10"]);
    for (const s of scored) {
      expect(s.pair.original).toBeCloseTo(y!, 6);
      expect(s.pair.perturbed).toBeGreaterThan(0);
      expect(s.pair.perturbed).not.toBeCloseTo(y!, 4);
    }
    tf.dispose([image, heat]);
    bundle.dispose();
  });
});
