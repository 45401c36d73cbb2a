/**
 * MaxPool's gradient must not depend on the backend: a tied window sends its gradient to the FIRST
 * maximum (row-major), as PyTorch and TF.js's cpu backend do (wasm's own kernel picks the last).
 * Checked by hand, and as saliency against PyTorch (Debian's python3-torch, same weights) on an
 * image with a flat black border, where tied windows are everywhere.
 */
import * as tf from "@tensorflow/tfjs";
import {execFileSync} from "node:child_process";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {loadBundle, type Bundle} from "../src/pipeline/bundle/load.js";
import {memorySource} from "../src/pipeline/bundle/source.js";
import {saliencyMap} from "../src/pipeline/explain/index.js";
import {GraphBuilder} from "../src/pipeline/model/graph-builder.js";
import {FIRST_MAX_POOL_GRAD, firstMaxPoolGradient, firstMaxPoolGradientOps, setFirstMaxPoolGradient} from "../src/pipeline/model/max-pool-gradient.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {randomValues} from "./helpers/models.js";

let backend = "";
beforeAll(async () => {
  backend = await initBackend();
});
afterAll(() => setFirstMaxPoolGradient(true));

describe("first-maximum MaxPool gradient", () => {
  it("routes each tied window's gradient to its first maximum (hand case)", () => {
    // 4x4, 2x2 windows stride 2: window 1 all ones (first = top-left), window 2 max at its 2nd and 4th taps.
    const x = tf.tensor4d([1, 1, 0, 5, 1, 1, 0, 5, 2, 0, 3, 3, 0, 2, 3, 3], [1, 4, 4, 1]);
    const y = tf.maxPool(x, 2, 2, "valid");
    const dy = tf.tensor4d([10, 20, 30, 40], [1, 2, 2, 1]);
    const dx = firstMaxPoolGradient(dy, x, y, {filterSize: 2, strides: 2, pad: "valid"})!;
    expect(Array.from(dx.dataSync())).toEqual([10, 0, 0, 20, 0, 0, 0, 0, 30, 0, 40, 0, 0, 0, 0, 0]);
    tf.dispose([x, y, dy, dx]);
  });

  it("handles 'same' padding and overlapping windows (3x3 stride 2) like the cpu backend's rule", () => {
    // Overlapping windows: a shared pixel sums the gradient of every window it is first in.
    const x = tf.tensor4d([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 5, 5, 1]);
    const y = tf.maxPool(x, 3, 2, "same");
    const dy = tf.ones(y.shape) as tf.Tensor4D;
    const dx = firstMaxPoolGradient(dy, x, y, {filterSize: 3, strides: 2, pad: "same"})!;
    // 'same' pads 1 on each side: windows start at -1, 1, 3, so their first real pixels are 0, 1, 3 on each axis.
    const expected = new Array(25).fill(0);
    for (const r of [0, 1, 3]) for (const c of [0, 1, 3]) expected[r * 5 + c] = 1;
    expect(Array.from(dx.dataSync())).toEqual(expected);
    tf.dispose([x, y, dy, dx]);
  });

  it.each([
    [[1, 9, 9, 3], 3, 2, "same"],
    [[2, 10, 11, 4], 3, 2, "valid"],
    [[1, 8, 8, 2], 2, 2, "valid"],
    [[1, 7, 7, 5], 3, 1, "same"],
    // (Not a numeric pad: wasm's own forward MaxPool writes out of bounds with one.)
    [[1, 9, 8, 2], [3, 2], [2, 1], "same"]
  ] as const)("the kernel and the ordinary-op form agree on tied inputs: x %j, window %j, stride %j, pad %j", async (shape, filterSize, strides, pad) => {
    // Few distinct values: most windows hold tied maxima.
    const n = (shape as readonly number[]).reduce((a, b) => a * b, 1);
    const x = tf.tensor4d(Array.from(randomValues(n, 21, 1), (v) => Math.round(v)), [...shape] as [number, number, number, number]);
    const attrs = {filterSize: filterSize as number | [number, number], strides: strides as number | [number, number], pad};
    const y = tf.maxPool(x, attrs.filterSize, attrs.strides, pad);
    const dy = tf.tensor4d(randomValues(y.size, 22, 1), y.shape);
    const info = await tf.profile(() => firstMaxPoolGradient(dy, x, y, attrs)!);
    // On wasm and cpu one kernel of its own; elsewhere the ordinary ops.
    if (backend === "wasm" || backend === "cpu") expect(info.kernelNames).toEqual([FIRST_MAX_POOL_GRAD]);
    const kernel = info.result as tf.Tensor4D;
    const ops = firstMaxPoolGradientOps(dy, x, y, attrs)!;
    expect(Array.from(kernel.dataSync())).toEqual(Array.from(ops.dataSync()));
    // Every window's gradient lands somewhere: the totals agree.
    expect(kernel.sum().dataSync()[0]).toBeCloseTo(dy.sum().dataSync()[0]!, 4);
    tf.dispose([x, y, dy, kernel, ops]);
  });
});

/** conv3x3(4)+bias -> relu -> Pad 1 (zeros) -> MaxPool 3x3/2 valid -> conv3x3(6) -> relu -> mean -> dense(2). */
const SIZE = 24;
const k1 = randomValues(9 * 4, 11, 0.5);
// Biases put the flat black region (input -1) at exactly relu(0.5) in every channel: ties everywhere.
const b1 = Float32Array.from({length: 4}, (_, o) => {
  let s = 0;
  for (let t = 0; t < 9; t++) s += k1[t * 4 + o]!;
  return s + 0.5;
});
const k2 = randomValues(9 * 4 * 6, 12, 0.4);
const dense = randomValues(6 * 2, 13, 1);
const bias = Float32Array.from([0.1, -0.2]);

async function pooledModel(): Promise<Bundle> {
  const g = new GraphBuilder();
  const x = g.placeholder("input", [1, SIZE, SIZE, 1]);
  const c1 = g.op("c1/relu", "Relu", [g.op("c1/add", "BiasAdd", [g.conv2d("c1", x, g.constant("c1/kernel", k1, [3, 3, 1, 4])), g.constant("c1/bias", b1, [4])], {data_format: {s: btoa("NHWC")}})]);
  const padded = g.op("pool/pad", "Pad", [c1, g.constant("pool/paddings", [0, 0, 1, 1, 1, 1, 0, 0], [4, 2], "int32")]);
  const ints = (v: number[]) => ({list: {i: v.map(String)}});
  const pooled = g.op("pool", "MaxPool", [padded], {ksize: ints([1, 3, 3, 1]), strides: ints([1, 2, 2, 1]), padding: {s: btoa("VALID")}, data_format: {s: btoa("NHWC")}});
  const features = g.op("features", "Relu", [g.conv2d("c2", pooled, g.constant("c2/kernel", k2, [3, 3, 4, 6]))]);
  const mean = g.mean("gap", features, [1, 2]);
  const logits = g.op("logits", "Add", [g.matMul("dense", mean, g.constant("dense/kernel", dense, [6, 2])), g.constant("dense/bias", bias, [2])]);
  g.op("probabilities", "Sigmoid", [logits]);
  const {modelJson, weights} = g.toFiles();
  const card = {
    format: "cxr-workbench/bundle@1", name: "pool", labels: ["A", "B"], operatingPoints: [0.5, 0.5], resize: "crop",
    classifier: {
      path: "m/model.json", inputNode: "input", inputLayout: "NHWC", inputSize: SIZE, channels: 1, normalisation: "symmetric",
      outputNode: "probabilities", logitsNode: "logits", featureNode: "features", featureLayout: "NHWC",
      denseKernel: "dense/kernel", denseBias: "dense/bias", head: "global-average-pool"
    }
  };
  return loadBundle(memorySource({"card.json": JSON.stringify(card), "m/model.json": JSON.stringify(modelJson), "m/weights.bin": weights}));
}

/** A random interior inside a flat black border 6 pixels wide. */
function borderedImage(): Float32Array {
  const noise = randomValues(SIZE * SIZE, 14, 0.25);
  return Float32Array.from({length: SIZE * SIZE}, (_, i) => {
    const r = Math.floor(i / SIZE), c = i % SIZE;
    const inside = r >= 6 && r < SIZE - 6 && c >= 6 && c < SIZE - 6;
    return inside ? Math.min(1, Math.max(0, 0.5 + noise[i]!)) : 0;
  });
}

const TORCH = `
import json, sys, numpy as np, torch, torch.nn.functional as F
d = json.load(sys.stdin)
S = d["size"]
t = lambda v, shape: torch.tensor(np.array(v, dtype=np.float32).reshape(shape))
k1 = t(d["k1"], (3, 3, 1, 4)).permute(3, 2, 0, 1); b1 = t(d["b1"], (4,))
k2 = t(d["k2"], (3, 3, 4, 6)).permute(3, 2, 0, 1)
W = t(d["dense"], (6, 2)); b = t(d["bias"], (2,))
p = t(d["pixels"], (1, 1, S, S)).requires_grad_(True)
h = F.relu(F.conv2d(2 * p - 1, k1, b1, padding=1))
h = F.max_pool2d(F.pad(h, (1, 1, 1, 1)), 3, 2)
h = F.relu(F.conv2d(h, k2, padding=1)).mean((2, 3))
(h @ W + b).sum().backward()
print(json.dumps(p.grad.clamp(min=0).flatten().tolist()))
`;

function torchSaliency(pixels: Float32Array): number[] {
  const input = JSON.stringify({size: SIZE, k1: [...k1], b1: [...b1], k2: [...k2], dense: [...dense], bias: [...bias], pixels: [...pixels]});
  return JSON.parse(execFileSync("/usr/bin/python3", ["-c", TORCH], {input, encoding: "utf8"})) as number[];
}

describe("saliency parity with PyTorch on a black-bordered image", () => {
  it("agrees to 1e-4 of the map's maximum, on any backend; wasm's own gradient does not", async () => {
    const bundle = await pooledModel();
    const pixels = borderedImage();
    const reference = torchSaliency(pixels);
    const scale = Math.max(...reference);
    expect(scale).toBeGreaterThan(0);
    const relError = () => {
      const map = tf.tidy(() => saliencyMap(bundle.classifier, tf.tensor2d(pixels, [SIZE, SIZE])));
      const ours = map.dataSync();
      map.dispose();
      return Math.max(...reference.map((v, i) => Math.abs(v - ours[i]!))) / scale;
    };
    expect(relError()).toBeLessThan(1e-4);
    // After the first call (which keeps the flipped conv kernels, see fast-conv-gradient.ts) nothing accumulates.
    const before = tf.memory().numTensors;
    expect(relError()).toBeLessThan(1e-4);
    expect(tf.memory().numTensors).toBe(before);
    if (backend === "wasm") {
      // The check can fail: wasm's own MaxPool gradient (last maximum) is far from PyTorch here.
      setFirstMaxPoolGradient(false);
      try {
        expect(relError()).toBeGreaterThan(1e-2);
      } finally {
        setFirstMaxPoolGradient(true);
      }
    }
    bundle.dispose?.();
  });
});
