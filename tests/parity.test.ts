/**
 * The PyTorch exporter (training/export.py) against TF.js: every exported bundle must give PyTorch's
 * outputs within 1e-4 (the Chester paper checked its conversion to 1e-5). The exporter writes
 * classifier-parity.json and ood-parity.json (inputs and PyTorch's outputs) next to each bundle:
 * the trained bundles in models/, and tests/fixtures/parity (random weights with non-trivial
 * batch-norm statistics, made by training/make_parity_fixture.py).
 *
 * The exporter itself is exact (float32 weights: logits agree to ~1e-7). Bundles ship float16 weights
 * (half the size): training/export.py's float16_exact rounds the model in PyTorch before export and
 * the fixture holds that rounded model's outputs, so the same 1e-4 holds for every output, logits and
 * latent codes included (the rounding's own effect is recorded in each part's training.json).
 */
import * as tf from "@tensorflow/tfjs";
import {existsSync, readFileSync, readdirSync} from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {loadBundle, type Bundle} from "../src/pipeline/bundle/load.js";
import {directorySource} from "../src/pipeline/node/fs-source.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {fastVersusGradientError} from "./helpers/explain.js";
import {REPO_ROOT} from "./helpers/paths.js";

const MODELS = path.join(REPO_ROOT, "models");
const BUNDLES = [
  path.join(REPO_ROOT, "tests/fixtures/parity"),
  ...(existsSync(MODELS) ? readdirSync(MODELS).map((d) => path.join(MODELS, d)).filter((d) => existsSync(path.join(d, "card.json"))) : [])
];
type Fixture = {pixels: number[][]} & Record<string, number[][]>;
const fixture = (folder: string, part: string) => JSON.parse(readFileSync(path.join(folder, `${part}-parity.json`), "utf8")) as Fixture;

const maxAbsDiff = (a: ArrayLike<number>, b: number[]) => {
  expect(a.length).toBe(b.length);
  return Math.max(...b.map((v, i) => Math.abs(v - a[i]!)));
};

beforeAll(async () => {
  await initBackend();
});

describe.each(BUNDLES.map((folder) => [path.relative(REPO_ROOT, folder), folder]))("%s", (_, folder) => {
  let bundle: Bundle;
  beforeAll(async () => {
    bundle = await loadBundle(directorySource(folder));
  });

  it("classifier: PyTorch's logits and probabilities within 1e-4", () => {
    const expected = fixture(folder, "classifier");
    const size = bundle.card.classifier.inputSize;
    expected.pixels.forEach((pixels, i) => {
      const [logits, probabilities] = tf.tidy(() => {
        const out = bundle.classifier.forward(bundle.classifier.toInput(tf.tensor2d(pixels, [size, size])));
        return [out.logits.dataSync(), out.probabilities.dataSync()];
      });
      expect(maxAbsDiff(logits!, expected.logits![i]!)).toBeLessThan(1e-4);
      expect(maxAbsDiff(probabilities!, expected.probabilities![i]!)).toBeLessThan(1e-4);
    });
  });

  it("classifier: verified pooled head; the fast CAM path matches the gradient path within 1e-4", () => {
    expect(bundle.warmUp.fastPath.verified).toBe(true);
    const size = bundle.card.classifier.inputSize;
    const grey = tf.tensor2d(fixture(folder, "classifier").pixels[0]!, [size, size]);
    for (let c = 0; c < bundle.classifier.outputs; c++) {
      expect(fastVersusGradientError(bundle.classifier, grey, c)).toBeLessThan(1e-4);
    }
    grey.dispose();
  });

  it("OOD autoencoder: PyTorch's reconstruction and latent code within 1e-4", () => {
    const expected = fixture(folder, "ood");
    const {inputNode, outputNode, latentNode, inputSize} = bundle.card.ood!;
    expected.pixels.forEach((pixels, i) => {
      const [reconstruction, latent] = tf.tidy(() => {
        const input = tf.tensor4d(pixels, [1, inputSize, inputSize, 1]).mul(2).sub(1); // "symmetric"
        const [r, l] = bundle.autoencoder!.model.execute({[inputNode]: input}, [outputNode, latentNode]) as tf.Tensor[];
        return [r!.dataSync(), l!.dataSync()];
      });
      expect(maxAbsDiff(latent!, expected.latent![i]!)).toBeLessThan(1e-4);
      expect(maxAbsDiff(reconstruction!, expected.reconstruction![i]!)).toBeLessThan(1e-4);
    });
  });
});
