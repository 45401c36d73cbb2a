import * as tf from "@tensorflow/tfjs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {loadBundle} from "../src/pipeline/bundle/load.js";
import {saliencyMap} from "../src/pipeline/explain/index.js";
import {setFastConvInputGradient} from "../src/pipeline/model/fast-conv-gradient.js";
import {directorySource} from "../src/pipeline/node/fs-source.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {randomValues} from "./helpers/models.js";
import {REPO_ROOT} from "./helpers/paths.js";

beforeAll(async () => {
  await initBackend();
});
afterAll(() => setFastConvInputGradient(true));

/** d(sum(conv(x) * r))/dx with TF.js's own gradient and with ours. */
function bothGradients(xShape: [number, number, number, number], kShape: [number, number, number, number], stride: number, pad: "same" | "valid") {
  const x = tf.tensor4d(randomValues(xShape.reduce((a, b) => a * b), 1), xShape);
  const k = tf.tensor4d(randomValues(kShape.reduce((a, b) => a * b), 2), kShape);
  const weigh = tf.tidy(() => tf.conv2d(x, k, stride, pad)).shape;
  const r = tf.tensor(randomValues(weigh.reduce((a, b) => a * b), 3), weigh);
  const f = (input: tf.Tensor) => tf.conv2d(input as tf.Tensor4D, k, stride, pad).mul(r).sum();
  setFastConvInputGradient(false);
  const reference = tf.grad(f)(x);
  setFastConvInputGradient(true);
  const fast = tf.grad(f)(x);
  const error = fast.sub(reference).abs().max().dataSync()[0]! / reference.abs().max().dataSync()[0]!;
  tf.dispose([x, k, r, reference, fast]);
  return error;
}

describe("fast Conv2D input gradient", () => {
  it.each([
    [[1, 9, 9, 4], [3, 3, 4, 5], 1, "same"],
    [[2, 8, 7, 3], [3, 3, 3, 2], 1, "valid"],
    [[1, 6, 6, 8], [1, 1, 8, 4], 1, "valid"],
    [[1, 6, 6, 8], [1, 1, 8, 4], 1, "same"],
    [[1, 12, 12, 1], [7, 7, 1, 3], 1, "same"],
    // Strided: the phase form (one conv for the s x s phases, then depthToSpace).
    [[1, 12, 12, 2], [3, 3, 2, 2], 2, "same"],
    [[1, 13, 11, 2], [3, 3, 2, 2], 2, "same"],
    [[1, 14, 14, 3], [7, 7, 3, 4], 2, "valid"], // a DenseNet stem after its explicit padding
    [[2, 15, 12, 3], [7, 7, 3, 4], 2, "same"],
    [[1, 11, 11, 2], [2, 2, 2, 3], 2, "valid"],
    [[1, 16, 16, 2], [5, 5, 2, 2], 3, "same"],
    [[1, 17, 16, 1], [4, 4, 1, 2], 3, "valid"],
    [[1, 10, 10, 2], [2, 2, 2, 3], 1, "same"] // even kernel, stride 1: TF.js's own gradient
  ] as const)("equals TF.js's gradient for x %j, kernel %j, stride %i, %s", (x, k, stride, pad) => {
    expect(bothGradients([...x], [...k], stride, pad)).toBeLessThan(1e-5);
  });

  it("uses no Conv2DBackpropInput for strided convolutions either", async () => {
    const x = tf.tensor4d(randomValues(2 * 15 * 12 * 3, 4), [2, 15, 12, 3]);
    const k = tf.tensor4d(randomValues(7 * 7 * 3 * 4, 5), [7, 7, 3, 4]);
    const info = await tf.profile(() => tf.grad((input: tf.Tensor) => tf.conv2d(input as tf.Tensor4D, k, 2, "same").sum())(x));
    expect(info.kernelNames).not.toContain("Conv2DBackpropInput");
    expect(info.kernelNames).toContain("DepthToSpace");
    tf.dispose([x, k, info.result as tf.Tensor]);
  });

  it("gives the same saliency through an exported DenseNet, without leaking", async () => {
    // A real exported DenseNet (random weights): dense blocks of 1x1 and 3x3 stride-1 convolutions
    // behind a strided, explicitly padded 7x7 stem (the phase form).
    const bundle = await loadBundle(directorySource(path.join(REPO_ROOT, "tests/fixtures/parity")));
    const grey = tf.tidy(() => tf.linspace(0, 1, 32).reshape([32, 1]).mul(tf.linspace(1, 0, 32).reshape([1, 32])) as tf.Tensor2D);
    setFastConvInputGradient(false);
    let start = performance.now();
    const reference = saliencyMap(bundle.classifier, grey);
    const slowMs = performance.now() - start;
    setFastConvInputGradient(true);
    // The first call keeps the flipped kernels of the model's stride-1 convolutions; later calls
    // leave only their result behind, and disposing the bundle releases the kept kernels.
    const first = saliencyMap(bundle.classifier, grey);
    const before = tf.memory().numTensors;
    start = performance.now();
    const fast = saliencyMap(bundle.classifier, grey);
    const fastMs = performance.now() - start;
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(Array.from(fast.dataSync())).toEqual(Array.from(first.dataSync()));
    first.dispose();
    const error = fast.sub(reference).abs().max().dataSync()[0]! / reference.abs().max().dataSync()[0]!;
    console.log(`saliency: TF.js gradient ${slowMs.toFixed(0)} ms, fast ${fastMs.toFixed(0)} ms, relative error ${error.toExponential(2)}`);
    expect(error).toBeLessThan(1e-4);
    tf.dispose([grey, reference, fast]);
    const withModel = tf.memory().numTensors;
    const weights = Object.values(bundle.classifier.model.weights).flat().length + (bundle.autoencoder ? Object.values(bundle.autoencoder.model.weights).flat().length : 0);
    bundle.dispose();
    // Only the kept kernels beyond the model's own weights (and its two normalisation constants) go too.
    expect(withModel - tf.memory().numTensors).toBeGreaterThan(weights + 2);
  });
});
