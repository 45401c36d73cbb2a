/**
 * leanGrad (src/pipeline/model/lean-gradient.ts): the same gradient as tf.grad, bit for bit, with
 * the backward pass's tensors freed as it goes. Checked on small graphs whose tape has the cases
 * that matter (a tensor used twice, a multi-output node, an input that does not depend on x, a
 * node whose gradient returns its dy) and on the shipped bundles' saliency, where tf.profile's peak
 * must be well below tf.grad's; no tensor may be left behind, and a gradient taken inside another
 * (higher order) still works.
 */
import * as tf from "@tensorflow/tfjs";
import path from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {loadBundle} from "../src/pipeline/bundle/load.js";
import {leanGrad} from "../src/pipeline/model/lean-gradient.js";
import {useFastConvInputGradient} from "../src/pipeline/model/fast-conv-gradient.js";
import {useFirstMaxPoolGradient} from "../src/pipeline/model/max-pool-gradient.js";
import {directorySource} from "../src/pipeline/node/fs-source.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {REPO_ROOT} from "./helpers/paths.js";

beforeAll(async () => {
  expect(await initBackend({prefer: ["wasm"]})).toBe("wasm");
});

const same = (a: tf.Tensor, b: tf.Tensor) => expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));

describe("leanGrad on small graphs", () => {
  let x: tf.Tensor2D, w: tf.Tensor2D;
  beforeAll(() => {
    x = tf.tensor2d([[0.5, -1, 2], [3, 0.25, -0.75]]);
    w = tf.tensor2d([[1, -2], [0.5, 1.5], [-1, 0.3]]);
  });
  const cases: [string, (x: tf.Tensor) => tf.Tensor][] = [
    ["a tensor used twice (accumulated gradients)", (v) => v.mul(v).add(v.relu()).sum()],
    ["a multi-output node (split) with one piece unused", (v) => tf.split(v, [1, 2], 1)[1]!.square().sum()],
    ["an input that does not depend on x", (v) => v.matMul(w).tanh().sum()],
    ["concat, slice and reshape (gradients that pass dy on)", (v) => tf.concat([v, v.exp()], 1).slice([0, 1], [2, 4]).reshape([8]).sum()],
    ["max pooling and a convolution", (v) => tf.conv2d(v.reshape([1, 2, 3, 1]) as tf.Tensor4D, tf.ones([2, 2, 1, 2]) as tf.Tensor4D, 1, "same").maxPool([2, 2], 1, "same").sum()]
  ];
  it.each(cases)("%s: equal to tf.grad, nothing left behind", (_name, f) => {
    const reference = tf.grad(f)(x);
    const before = tf.memory().numTensors;
    const lean = leanGrad(f)(x);
    expect(tf.memory().numTensors).toBe(before + 1);
    same(lean, reference);
    tf.dispose([lean, reference]);
  });

  it("a gradient inside another (second derivative) takes TF.js's own path and is right", () => {
    const v = tf.tensor1d([0.5, 2, -1]);
    // d/dv sum(d/dv sum(v^3)) = d/dv sum(3 v^2) = 6 v
    const second = tf.grad((u) => leanGrad((t) => t.pow(3).sum())(u).sum())(v);
    expect(Array.from(second.dataSync())).toEqual([3, 12, -6]);
    tf.dispose([v, second]);
  });

  it("refuses a function that does not depend on x", () => {
    expect(() => leanGrad(() => w.sum())(x)).toThrow(/no operation leads from x to y/);
  });
});

describe.each(["pediatric-pneumonia", "nih-chestxray14"])("leanGrad on %s's saliency", (name) => {
  it("equals tf.grad bit for bit, with a lower tensor peak and no leak", async () => {
    const bundle = await loadBundle(directorySource(path.join(REPO_ROOT, "models", name)));
    try {
      useFastConvInputGradient();
      useFirstMaxPoolGradient();
      const size = bundle.card.classifier.inputSize;
      const grey = tf.randomUniform([size, size], 0, 1, "float32", 7) as tf.Tensor2D;
      const f = (p: tf.Tensor) => bundle.classifier.logits(bundle.classifier.toInput(p as tf.Tensor2D)).sum();
      tf.dispose(tf.grad(f)(grey)); // the fast path keeps its flipped kernels on first use
      let reference!: tf.Tensor, lean!: tf.Tensor;
      const tfPeak = (await tf.profile(() => (reference = tf.keep(tf.grad(f)(grey))))).peakBytes;
      const before = tf.memory().numTensors;
      const leanPeak = (await tf.profile(() => (lean = tf.keep(leanGrad(f)(grey))))).peakBytes;
      expect(tf.memory().numTensors).toBe(before + 1);
      same(lean, reference);
      console.log(`${name}: tensor peak of one input gradient, tf.grad ${(tfPeak / 2 ** 20).toFixed(1)} MB, leanGrad ${(leanPeak / 2 ** 20).toFixed(1)} MB`);
      expect(leanPeak).toBeLessThan(0.7 * tfPeak);
      tf.dispose([reference, lean, grey]);
    } finally {
      bundle.dispose();
    }
  }, 120_000);
});
