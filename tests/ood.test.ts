import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {loadBundle} from "../src/pipeline/bundle/load.js";
import {directorySource} from "../src/pipeline/node/fs-source.js";
import {isInDistribution, oodScoreTensor, runOod, OOD_SCORE_NAMES} from "../src/pipeline/ood.js";
import {ssim, ssimBlocks, ssimMap} from "../src/pipeline/ssim.js";
import {randomValues, testBundle} from "./helpers/models.js";
import {CHESTER_MODELS, chesterFixture} from "./helpers/paths.js";

beforeAll(async () => {
  await initBackend();
});

const C1 = 0.01 ** 2;
const C2 = 0.03 ** 2;
const image = (seed: number, n = 32, offset = 0.5, scale = 0.2) =>
  Float32Array.from(randomValues(n * n, seed, scale), (v) => Math.min(1, Math.max(0, offset + v)));

/** SSIM by plain loops over windows with the given weights: an independent reference. */
function referenceSsim(x: Float32Array, y: Float32Array, n: number, weights: number[][], step: number): number {
  const k = weights.length;
  let total = 0;
  let count = 0;
  for (let i = 0; i + k <= n; i += step)
    for (let j = 0; j + k <= n; j += step) {
      let mx = 0, my = 0, mxx = 0, myy = 0, mxy = 0;
      for (let a = 0; a < k; a++)
        for (let b = 0; b < k; b++) {
          const w = weights[a]![b]!;
          const u = x[(i + a) * n + j + b]!;
          const v = y[(i + a) * n + j + b]!;
          mx += w * u; my += w * v; mxx += w * u * u; myy += w * v * v; mxy += w * u * v;
        }
      const vx = mxx - mx * mx, vy = myy - my * my, cov = mxy - mx * my;
      total += ((2 * mx * my + C1) * (2 * cov + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2));
      count++;
    }
  return total / count;
}

function gaussianWeights(size = 11, sigma = 1.5): number[][] {
  const g = Array.from({length: size}, (_, i) => Math.exp(-((i - (size - 1) / 2) ** 2) / (2 * sigma * sigma)));
  const s = g.reduce((a, b) => a + b, 0);
  return g.map((u) => g.map((v) => (u * v) / (s * s)));
}

describe("SSIM", () => {
  it("SSIM(x, x) = 1 for both variants", () => {
    const x = tf.tensor2d(image(1), [32, 32]);
    expect(ssim(x, x).dataSync()[0]).toBeCloseTo(1, 5);
    expect(ssimBlocks(x, x).dataSync()[0]).toBeCloseTo(1, 5);
    x.dispose();
  });

  it("is symmetric", () => {
    const x = tf.tensor2d(image(1), [32, 32]);
    const y = tf.tensor2d(image(2), [32, 32]);
    expect(ssim(x, y).dataSync()[0]).toBeCloseTo(ssim(y, x).dataSync()[0]!, 6);
    expect(ssimBlocks(x, y).dataSync()[0]).toBeCloseTo(ssimBlocks(y, x).dataSync()[0]!, 6);
    tf.dispose([x, y]);
  });

  it("matches a loop implementation of the Gaussian 11x11, sigma 1.5 window (valid positions)", () => {
    const a = image(3), b = image(4, 32, 0.45, 0.25);
    const x = tf.tensor2d(a, [32, 32]), y = tf.tensor2d(b, [32, 32]);
    expect(ssimMap(x, y).shape).toEqual([22, 22]);
    expect(ssim(x, y).dataSync()[0]).toBeCloseTo(referenceSsim(a, b, 32, gaussianWeights(), 1), 4);
    tf.dispose([x, y]);
  });

  it("matches a loop implementation of Chester's 8x8 non-overlapping windows", () => {
    const a = image(5), b = image(6, 32, 0.55, 0.15);
    const flat = Array.from({length: 8}, () => Array(8).fill(1 / 64));
    const x = tf.tensor2d(a, [32, 32]), y = tf.tensor2d(b, [32, 32]);
    expect(ssimBlocks(x, y).dataSync()[0]).toBeCloseTo(referenceSsim(a, b, 32, flat, 8), 4);
    tf.dispose([x, y]);
  });

  it("of two constant blocks is the luminance term alone", () => {
    // mu_x = .2, mu_y = .6, no variance: SSIM = (2 .2 .6 + C1) / (.04 + .36 + C1)
    const x = tf.fill([8, 8], 0.2) as tf.Tensor2D, y = tf.fill([8, 8], 0.6) as tf.Tensor2D;
    // float32 moments leave a variance of ~1e-8, hence 4 digits
    expect(ssimBlocks(x, y).dataSync()[0]).toBeCloseTo((0.24 + C1) / (0.4 + C1), 4);
    tf.dispose([x, y]);
  });
});

describe("OOD scores", () => {
  it("L1, L2 and latent norm are exact on a small case", () => {
    const x = tf.tensor2d(image(10, 16), [16, 16]);
    // The reconstruction is off by +0.2 on the top half and exact on the bottom half.
    const r = x.add(tf.concat([tf.fill([8, 16], 0.2), tf.zeros([8, 16])])) as tf.Tensor2D;
    const latent = tf.tensor1d([3, 4]);
    const [l1, l2, , , norm] = Array.from(oodScoreTensor(x, r, latent).dataSync());
    expect(l1).toBeCloseTo(0.1, 6); // mean |d| = .2 / 2
    expect(l2).toBeCloseTo(0.02, 6); // mean d^2 = .04 / 2
    expect(norm).toBeCloseTo(5, 6);
    tf.dispose([x, r, latent]);
  });

  it("refuses images smaller than the SSIM window with a clear error", () => {
    const x = tf.zeros([4, 4]) as tf.Tensor2D;
    expect(() => ssim(x, x)).toThrow(/11x11 window/);
    expect(() => ssimBlocks(x, x)).toThrow(/8x8 window/);
    x.dispose();
  });

  it("the decision follows the card's threshold and direction", () => {
    const scores = {l1: 0.1, l2: 0.02, ssim: 0.7, ssim8: 0.65, latent: 12};
    expect(isInDistribution(scores, {score: "ssim8", threshold: 0.6, inDistributionWhen: "above"})).toBe(true);
    expect(isInDistribution(scores, {score: "ssim8", threshold: 0.7, inDistributionWhen: "above"})).toBe(false);
    expect(isInDistribution(scores, {score: "l1", threshold: 0.05, inDistributionWhen: "below"})).toBe(false);
    expect(isInDistribution(scores, {score: "latent", threshold: 20, inDistributionWhen: "below"})).toBe(true);
  });

  it("runOod returns the reconstruction, the error map and all scores", async () => {
    const bundle = await loadBundle(testBundle().source);
    const grey = tf.tensor2d(image(8, 16), [16, 16]);
    const result = runOod(bundle.autoencoder!, grey);
    expect(Object.keys(result.scores).sort()).toEqual([...OOD_SCORE_NAMES].sort());
    expect(result.reconstruction).toHaveLength(256);
    const maxErr = Math.max(...result.errorMap);
    const l1 = result.errorMap.reduce((a, b) => a + b, 0) / 256;
    expect(result.scores.l1).toBeCloseTo(l1, 5);
    expect(maxErr).toBeGreaterThan(0);
    expect(result.inDistribution).toBe(result.scores.ssim > 0.5);
    expect(() => runOod(bundle.autoencoder!, tf.zeros([8, 8]) as tf.Tensor2D)).toThrow(/16x16/);
    grey.dispose();
    bundle.dispose();
  });

  it("runs Chester's autoencoder (synthetic weights) at 64x64 with a 512-wide latent", async () => {
    const classifier = chesterFixture(CHESTER_MODELS.xrv);
    const bundle = await loadBundle(directorySource(classifier), {ood: directorySource(chesterFixture(CHESTER_MODELS.autoencoder))});
    expect(bundle.card.ood?.latentNode).toBe("convolution_5");
    const grey = tf.tensor2d(image(9, 64), [64, 64]);
    const result = runOod(bundle.autoencoder!, grey);
    expect(result.size).toBe(64);
    expect(result.errorMap).toHaveLength(64 * 64);
    const latent = tf.tidy(() => bundle.autoencoder!.reconstruct(grey).latent.size);
    expect(latent).toBe(512);
    expect(Number.isFinite(result.scores.ssim8)).toBe(true);
    grey.dispose();
    bundle.dispose();
  });
});
