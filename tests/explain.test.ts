import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {loadBundle} from "../src/pipeline/bundle/load.js";
import {directorySource} from "../src/pipeline/node/fs-source.js";
import {
  CAM,
  GRAD_CAM,
  GRAD_CAM_PLUS_PLUS,
  camMap,
  classGradientMap,
  denseColumn,
  explainTensors,
  featureGradients,
  lanczosMatrix,
  normaliseMap,
  saliencyMap,
  upsample
} from "../src/pipeline/explain/index.js";
import {fastVersusGradientError, handModel} from "./helpers/explain.js";
import {randomValues, testBundle} from "./helpers/models.js";
import {CHESTER_MODELS, chesterFixture} from "./helpers/paths.js";

beforeAll(async () => {
  await initBackend();
});

const values = (t: tf.Tensor) => Array.from(t.dataSync());

describe("CAM family on a hand-computed model", () => {
  // pixels [[0, .25], [.75, 1]] -> A1 = [[0, 0], [.5, 1]], A2 = [[1, .5], [0, 0]]
  const pixels = () => tf.tensor2d([[0, 0.25], [0.75, 1]]);

  it("computes CAM, Grad-CAM and Grad-CAM++ exactly", async () => {
    const bundle = await handModel();
    expect(bundle.warmUp.fastPath.verified).toBe(true);
    const grey = pixels();
    const maps = (classIndex: number) => explainTensors(bundle.classifier, grey, classIndex, ["cam", "gradcam", "gradcampp"]);
    const a = maps(0);
    // CAM_0 = 2 A1 + 1 A2
    expect(values(a.cam!)).toEqual([1, 0.5, 1, 2]);
    const b = maps(1);
    // CAM_1 = -A1 + 3 A2 keeps its sign
    expect(values(b.cam!)).toEqual([3, 1.5, -0.5, -1]);
    // Grad-CAM_1: w_k = W_k1 / 4 -> relu(CAM_1) / 4
    expect(values(b.gradcam!)).toEqual([0.75, 0.375, 0, 0]);
    // Grad-CAM++_0: g = W/4 = [.5, .25], sum A = [1.5, 1.5], alpha = 1 / (2 + sumA g) = [1/2.75, 1/2.375],
    // w = 4 alpha g = [0.727273, 0.421053]; L = relu(w1 A1 + w2 A2)
    const expected = [0.421053, 0.210526, 0.363636, 0.727273];
    values(a.gradcampp!).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    tf.dispose([grey, ...Object.values(a), ...Object.values(b)]);
    bundle.dispose();
  });

  it("computes saliency and the class gradient exactly", async () => {
    const bundle = await handModel();
    const grey = pixels();
    // logit_c = sum_k W_kc mean(A_k); d/dp of A1 = 2 [2p > 1], of A2 = -2 [2p < 1] (p = 0.5 never occurs here)
    // dlogit_c/dp = (W_1c * 2 [p > .5] - W_2c * 2 [p < .5]) / 4
    const sal = saliencyMap(bundle.classifier, grey);
    // sum over c: W_1. = 1, W_2. = 4 -> p > .5: 0.5 ; p < .5: -2 -> relu -> 0
    expect(values(sal)).toEqual([0, 0, 0.5, 0.5]);
    const g1 = classGradientMap(bundle.classifier, grey, 1);
    // c = 1: p > .5: -1 * 2 / 4 = -0.5 -> |.| = 0.5 ; p < .5: -(3 * 2) / 4 = -1.5 -> 1.5
    expect(values(g1)).toEqual([1.5, 1.5, 0.5, 0.5]);
    // Over output 0 alone (as when output 1 has a blank label): p > .5: 2 * 2 / 4 = 1 ; p < .5: -1 * 2 / 4 -> 0
    const only0 = saliencyMap(bundle.classifier, grey, [0]);
    expect(values(only0)).toEqual([0, 0, 1, 1]);
    only0.dispose();
    tf.dispose([grey, sal, g1]);
    bundle.dispose();
  });
});

describe("fast path versus gradient path", () => {
  it("agree within 1e-4 on a random pooled model, for every class", async () => {
    const bundle = await loadBundle(testBundle({seed: 11}).source);
    expect(bundle.classifier.fastPathVerified).toBe(true);
    const grey = tf.tensor2d(randomValues(32 * 32, 5, 0.3).map((v) => Math.min(1, Math.max(0, 0.5 + v))), [32, 32]);
    for (let c = 0; c < 3; c++) {
      expect(fastVersusGradientError(bundle.classifier, grey, c)).toBeLessThan(1e-4);
    }
    grey.dispose();
    bundle.dispose();
  });

  it("Grad-CAM equals relu(CAM) times a positive factor (1 / hw) on a pooled head", async () => {
    const bundle = await loadBundle(testBundle({seed: 3}).source);
    const grey = tf.tensor2d(randomValues(32 * 32, 9, 0.2).map((v) => Math.min(1, Math.max(0, 0.4 + v))), [32, 32]);
    const maps = explainTensors(bundle.classifier, grey, 0, ["cam", "gradcam"], {path: "gradient"});
    const [h, w] = maps.cam!.shape;
    const ratio = maps.cam!.relu().div(h * w).sub(maps.gradcam!).abs().max().dataSync()[0]!;
    expect(ratio).toBeLessThan(1e-5);
    expect(maps.cam!.min().dataSync()[0]!).toBeLessThan(0); // so the relu mattered
    tf.dispose([grey, ...Object.values(maps)]);
    bundle.dispose();
  });

  it("refuses the fast path when the head is not a global average pool", async () => {
    // A max-pool head falsely claimed as global-average-pool fails the warm-up check...
    const claimed = await loadBundle(testBundle({head: "max", cardPatch: (c) => { c.classifier.head = "global-average-pool"; }}).source);
    expect(claimed.warmUp.fastPath.verified).toBe(false);
    expect(claimed.warmUp.fastPath.maxError).toBeGreaterThan(1e-3);
    // ...so "auto" takes the gradient path, which still explains the max head correctly.
    // A textured input: on a flat one interior features tie, and a max gradient flows to every tie.
    const grey = tf.tensor2d(randomValues(32 * 32, 21, 0.3).map((v) => Math.min(1, Math.max(0, 0.5 + v))), [32, 32]);
    const {features} = tf.tidy(() => claimed.classifier.forward(claimed.classifier.toInput(grey)));
    const auto = featureGradients(claimed.classifier, features, 0, "auto");
    const gradient = featureGradients(claimed.classifier, features, 0, "gradient");
    expect(auto.sub(gradient).abs().max().dataSync()[0]).toBe(0);
    // A max head routes the gradient through one position per channel: most entries are zero.
    expect(tf.sum(gradient.notEqual(0)).dataSync()[0]!).toBeLessThanOrEqual(features.shape[3]!);
    tf.dispose([grey, features, auto, gradient]);
    claimed.dispose();
  });

  it("agree on Chester's DenseNet-121 topology (synthetic weights)", async () => {
    const bundle = await loadBundle(directorySource(chesterFixture(CHESTER_MODELS.densenet)));
    expect(bundle.classifier.fastPathVerified).toBe(true);
    const grey = tf.tidy(() => tf.linspace(0, 1, 224).reshape([224, 1]).mul(tf.ones([1, 224])) as tf.Tensor2D);
    const fast = explainTensors(bundle.classifier, grey, 4, ["gradcam", "gradcampp"], {path: "fast"});
    const slow = explainTensors(bundle.classifier, grey, 4, ["gradcam", "gradcampp"], {path: "gradient"});
    expect(fast.gradcam!.shape).toEqual([7, 7]);
    for (const m of ["gradcam", "gradcampp"] as const) {
      const scale = Math.max(1e-6, fast[m]!.abs().max().dataSync()[0]!);
      expect(fast[m]!.sub(slow[m]!).abs().max().dataSync()[0]! / scale).toBeLessThan(1e-4);
    }
    tf.dispose([grey, ...Object.values(fast), ...Object.values(slow)]);
    bundle.dispose();
  });
});

describe("Grad-CAM++ guards", () => {
  it("gives zeros, not NaN, where the gradient or the denominator vanishes", () => {
    const features = tf.tensor3d([1, 0, 2, 0, 0.5, 0, 1, 0], [2, 2, 2]);
    const gradients = tf.tensor3d([0, 0, 0, 0, 0, 0, 0, 0], [2, 2, 2]);
    const map = camMap(GRAD_CAM_PLUS_PLUS, {features, gradients, denseWeights: tf.tensor1d([0, 0])});
    expect(values(map).every(Number.isFinite)).toBe(true);
    expect(values(map)).toEqual([0, 0, 0, 0]);
    // A - g relation making 2 g^2 + sumA g^3 = 0: g = 1, sumA = -2 (negative features, as CAM inputs can be)
    const negative = tf.tensor3d([-0.5, -0.5, -0.5, -0.5], [2, 2, 1]);
    const ones = tf.ones([2, 2, 1]) as tf.Tensor3D;
    const guarded = camMap(GRAD_CAM_PLUS_PLUS, {features: negative, gradients: ones, denseWeights: tf.tensor1d([1])});
    expect(values(guarded).every(Number.isFinite)).toBe(true);
    tf.dispose([features, gradients, map, negative, ones, guarded]);
  });

  it("CAM ignores gradients and Grad-CAM ignores dense weights", () => {
    const features = tf.tensor3d([1, 2, 3, 4], [2, 2, 1]);
    const cam = camMap(CAM, {features, gradients: tf.zeros([2, 2, 1]) as tf.Tensor3D, denseWeights: tf.tensor1d([2])});
    const grad = camMap(GRAD_CAM, {features, gradients: tf.fill([2, 2, 1], 0.5) as tf.Tensor3D, denseWeights: tf.tensor1d([0])});
    expect(values(cam)).toEqual([2, 4, 6, 8]);
    expect(values(grad)).toEqual([0.5, 1, 1.5, 2]);
    tf.dispose([features, cam, grad]);
  });

  it("rejects a class index outside the outputs", async () => {
    const bundle = await loadBundle(testBundle().source);
    expect(() => denseColumn(bundle.classifier, 3)).toThrow(/class index 3/);
    bundle.dispose();
  });
});

describe("upsampling", () => {
  it("Lanczos rows sum to 1 and a constant map stays constant", () => {
    const m = lanczosMatrix(7, 224);
    for (let i = 0; i < 224; i++) {
      const sum = m.slice(i * 7, i * 7 + 7).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 5);
    }
    const flat = tf.fill([7, 7], 0.3) as tf.Tensor2D;
    for (const method of ["bilinear", "lanczos"] as const) {
      const up = upsample(flat, 224, 224, method);
      expect(up.shape).toEqual([224, 224]);
      expect(Math.abs(up.max().dataSync()[0]! - 0.3)).toBeLessThan(1e-5);
      expect(Math.abs(up.min().dataSync()[0]! - 0.3)).toBeLessThan(1e-5);
      up.dispose();
    }
    flat.dispose();
  });

  it("Lanczos at an integer factor reproduces the source at its sample centres' neighbourhood and rings less than nothing", () => {
    // Same-size resampling is the identity.
    const identity = lanczosMatrix(5, 5);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) expect(identity[i * 5 + j]).toBeCloseTo(i === j ? 1 : 0, 6);
    // A ramp is reproduced exactly away from the clamped edges (Lanczos is exact on linear functions
    // only approximately; bilinear exactly): check both track the ramp to within 2 %.
    const ramp = tf.tensor2d(Array.from({length: 8 * 8}, (_, i) => i % 8), [8, 8]);
    const lanczos = upsample(ramp, 32, 32, "lanczos").dataSync();
    const bilinear = upsample(ramp, 32, 32, "bilinear").dataSync();
    for (let x = 8; x < 24; x++) {
      const source = (x + 0.5) / 4 - 0.5;
      expect(Math.abs(bilinear[10 * 32 + x]! - source)).toBeLessThan(1e-5);
      expect(Math.abs(lanczos[10 * 32 + x]! - source)).toBeLessThan(0.02 * 7);
    }
    ramp.dispose();
  });

  it("normaliseMap scales to [0, 1] and maps a constant to zeros", () => {
    const m = normaliseMap(tf.tensor2d([[-2, 0], [2, 6]]));
    expect(values(m)).toEqual([0, 0.25, 0.5, 1]);
    const c = normaliseMap(tf.fill([2, 2], 3) as tf.Tensor2D);
    expect(values(c)).toEqual([0, 0, 0, 0]);
    tf.dispose([m, c]);
  });
});
