/**
 * The PyTorch exporter (training/export.py) against TF.js: a bundle exported from PyTorch must give
 * PyTorch's outputs within 1e-4. The fixture (tests/fixtures/parity, made by
 * training/make_parity_fixture.py) has random weights with non-trivial batch-norm statistics.
 */
import * as tf from "@tensorflow/tfjs";
import {readFileSync} from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {loadBundle, type Bundle} from "../src/pipeline/bundle/load.js";
import {explainTensors} from "../src/pipeline/explain/index.js";
import {directorySource} from "../src/pipeline/node/fs-source.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {REPO_ROOT} from "./helpers/paths.js";

const FIXTURE = path.join(REPO_ROOT, "tests/fixtures/parity");
interface Record_ {pixels: number[][]; [output: string]: number[][]}
const expected = JSON.parse(readFileSync(path.join(FIXTURE, "parity.json"), "utf8")) as {classifier: Record_; ood: Record_};
let bundle: Bundle;

beforeAll(async () => {
  await initBackend();
  bundle = await loadBundle(directorySource(FIXTURE));
});

const maxAbsDiff = (a: ArrayLike<number>, b: number[]) => {
  expect(a.length).toBe(b.length);
  return Math.max(...b.map((v, i) => Math.abs(v - a[i]!)));
};

describe("exported DenseNet", () => {
  it("gives PyTorch's logits and probabilities within 1e-4", () => {
    const size = bundle.card.classifier.inputSize;
    expected.classifier.pixels.forEach((pixels, i) => {
      const [logits, probabilities] = tf.tidy(() => {
        const out = bundle.classifier.forward(bundle.classifier.toInput(tf.tensor2d(pixels, [size, size])));
        return [out.logits.dataSync(), out.probabilities.dataSync()];
      });
      expect(maxAbsDiff(logits!, expected.classifier.logits![i]!)).toBeLessThan(1e-4);
      expect(maxAbsDiff(probabilities!, expected.classifier.probabilities![i]!)).toBeLessThan(1e-4);
    });
  });

  it("has a verified pooled head, and its fast CAM path matches the gradient path", () => {
    expect(bundle.warmUp.fastPath.verified).toBe(true);
    const size = bundle.card.classifier.inputSize;
    const grey = tf.tensor2d(expected.classifier.pixels[0]!, [size, size]);
    for (let c = 0; c < bundle.classifier.outputs; c++) {
      const fast = explainTensors(bundle.classifier, grey, c, ["gradcam", "gradcampp"], {path: "fast"});
      const slow = explainTensors(bundle.classifier, grey, c, ["gradcam", "gradcampp"], {path: "gradient"});
      for (const m of ["gradcam", "gradcampp"] as const) {
        const scale = Math.max(1e-6, fast[m]!.abs().max().dataSync()[0]!);
        expect(fast[m]!.sub(slow[m]!).abs().max().dataSync()[0]! / scale).toBeLessThan(1e-4);
      }
      tf.dispose([...Object.values(fast), ...Object.values(slow)]);
    }
    grey.dispose();
  });
});

describe("exported VAE", () => {
  it("gives PyTorch's latent mean and reconstruction within 1e-4", () => {
    const {inputNode, outputNode, latentNode, inputSize} = bundle.card.ood!;
    expected.ood.pixels.forEach((pixels, i) => {
      const [reconstruction, latent] = tf.tidy(() => {
        const input = tf.tensor4d(pixels, [1, inputSize, inputSize, 1]).mul(2).sub(1);
        const [r, l] = bundle.autoencoder!.model.execute({[inputNode]: input}, [outputNode, latentNode]) as tf.Tensor[];
        return [r!.dataSync(), l!.dataSync()];
      });
      expect(maxAbsDiff(latent!, expected.ood.latent![i]!)).toBeLessThan(1e-4);
      expect(maxAbsDiff(reconstruction!, expected.ood.reconstruction![i]!)).toBeLessThan(1e-4);
    });
  });
});
