import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {loadBundle, type Bundle} from "../src/pipeline/bundle/load.js";
import {analyse} from "../src/pipeline/analyse.js";
import {classProbabilities} from "../src/pipeline/evaluate.js";
import {explainTensors, upsample} from "../src/pipeline/explain/index.js";
import {
  blackScores,
  paperRowsPercent,
  perturbedViews,
  recordsFromAnalysis,
  sampleTargets,
  summariseEvaluation,
  timedRawMaps,
  upsampleHeatMap,
  type EvaluationRecord
} from "../src/pipeline/explain/study.js";
import {randomValues, testBundle} from "./helpers/models.js";

let bundle: Bundle;
const SIZE = 32;
const pixels = Float32Array.from(randomValues(SIZE * SIZE, 11, 0.3), (v) => Math.min(1, Math.max(0, 0.5 + v)));

beforeAll(async () => {
  await initBackend();
  bundle = await loadBundle(testBundle({size: SIZE}).source);
});

describe("timed raw maps and upsampling after the fact", () => {
  it("gives explainTensors' maps at their natural size, a time for each, and leaks no tensor", () => {
    // The first gradient caches the flipped conv kernels (kept on purpose); count from the second call.
    timedRawMaps(bundle.classifier, pixels, SIZE, 1, ["saliency"]);
    const before = tf.memory().numTensors;
    const {maps, timings, forwardMs} = timedRawMaps(bundle.classifier, pixels, SIZE, 1, ["saliency", "cam", "gradcam", "gradcampp", "classGradient"]);
    expect(tf.memory().numTensors).toBe(before);
    const grey = tf.tensor2d(pixels, [SIZE, SIZE]);
    const expected = explainTensors(bundle.classifier, grey, 1, ["saliency", "cam", "gradcam", "gradcampp", "classGradient"]);
    for (const [method, tensor] of Object.entries(expected)) {
      const map = maps[method as keyof typeof maps]!;
      expect([map.height, map.width]).toEqual(tensor.shape);
      const want = tensor.dataSync();
      map.data.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
      expect(timings[method as keyof typeof timings]).toBeGreaterThanOrEqual(0);
    }
    expect(maps.cam!.width).toBeLessThan(SIZE);
    expect(maps.saliency!.width).toBe(SIZE);
    expect(forwardMs).toBeGreaterThanOrEqual(0);
    tf.dispose([grey, ...Object.values(expected)]);
  });

  it("upsamples a plain map like upsample() does, bilinear and Lanczos differing", () => {
    const map = {width: 4, height: 4, data: Float32Array.from({length: 16}, (_, i) => (i * 7) % 5)};
    const before = tf.memory().numTensors;
    const bilinear = upsampleHeatMap(map, SIZE, SIZE, "bilinear");
    const lanczos = upsampleHeatMap(map, SIZE, SIZE, "lanczos");
    expect(tf.memory().numTensors).toBe(before);
    const t = tf.tensor2d(map.data, [4, 4]);
    const want = upsample(t, SIZE, SIZE, "lanczos").dataSync();
    expect([lanczos.width, lanczos.height]).toEqual([SIZE, SIZE]);
    lanczos.data.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    expect(bilinear.data.some((v, i) => Math.abs(v - lanczos.data[i]!) > 1e-3)).toBe(true);
    // A map already at the size is passed through.
    expect(upsampleHeatMap(bilinear, SIZE, SIZE, "lanczos")).toBe(bilinear);
    t.dispose();
  });
});

describe("the images each metric feeds the model", () => {
  const map = {width: SIZE, height: SIZE, data: Float32Array.from({length: SIZE * SIZE}, (_, i) => i)};

  it("multiplies by the [0, 1]-scaled map for AD, keeps the top alpha % (rest 0) for BAD, and scores them", () => {
    const before = tf.memory().numTensors;
    const [view] = perturbedViews(bundle.classifier, pixels, SIZE, [map], 0, 25);
    expect(tf.memory().numTensors).toBe(before);
    const n = SIZE * SIZE;
    // Map i / (n - 1) after scaling.
    expect(view!.multiplied[n - 1]).toBeCloseTo(pixels[n - 1]!, 5);
    expect(view!.multiplied[n / 2]).toBeCloseTo((pixels[n / 2]! * (n / 2)) / (n - 1), 5);
    const kept = view!.black.reduce((a, v, i) => a + (i >= (3 * n) / 4 ? 0 : v), 0);
    expect(kept).toBe(0);
    expect(Array.from(view!.black.slice((3 * n) / 4))).toEqual(Array.from(pixels.slice((3 * n) / 4)));
    const scores = tf.tidy(() =>
      classProbabilities(bundle.classifier, [tf.tensor2d(pixels, [SIZE, SIZE]), tf.tensor2d(view!.multiplied, [SIZE, SIZE]), tf.tensor2d(view!.black, [SIZE, SIZE])], 0)
    );
    expect(view!.original).toBeCloseTo(scores[0]!, 5);
    expect(view!.multipliedScore).toBeCloseTo(scores[1]!, 5);
    expect(view!.blackScore).toBeCloseTo(scores[2]!, 5);
  });

  it("sweeps alpha: 100 % keeps the whole image (its own score), and agrees with perturbedViews", () => {
    const [row] = blackScores(bundle.classifier, pixels, SIZE, [map], 0, [25, 100]);
    const [view] = perturbedViews(bundle.classifier, pixels, SIZE, [map], 0, 25);
    expect(row![0]).toBeCloseTo(view!.blackScore, 5);
    expect(row![1]).toBeCloseTo(view!.original, 5);
  });
});

describe("summaries over a set of images", () => {
  const record = (image: string, method: string, original: number, multiplied: number, black: number, reference: 0 | 1, alpha = 10): EvaluationRecord => ({
    image,
    method,
    alpha,
    original,
    multiplied,
    black,
    reference,
    operatingPoint: 0.4
  });

  it("AD, BAD, Increase in Confidence and Incorrect % per method, by hand", () => {
    const records = [
      record("a", "cam", 0.8, 0.4, 0.2, 1), // AD drop .5, BAD drop .75; multiplied class 1 (ok), black class 0 (wrong)
      record("b", "cam", 0.5, 0.6, 0.5, 1), // AD 0 (rose), BAD 0; both class 1 (ok)
      record("a", "gradcam", 0.8, 0.8, 0.0, 0), // AD 0, BAD 1; multiplied class 1 (wrong), black 0 (ok)
      record("a", "cam", 0.8, 0.1, 0.1, 1, 20) // another alpha: ignored at alpha 10
    ];
    const [cam, gradcam] = summariseEvaluation(records, 10);
    expect(cam).toMatchObject({method: "cam", n: 2, alpha: 10, incorrectAd: 0, incorrectBad: 50, increaseInConfidence: 50});
    expect(cam!.averageDrop).toBeCloseTo(25, 6);
    expect(cam!.blackAverageDrop).toBeCloseTo(37.5, 6);
    expect(gradcam).toMatchObject({method: "gradcam", n: 1, averageDrop: 0, blackAverageDrop: 100, incorrectAd: 100, incorrectBad: 0});
    expect(summariseEvaluation(records, 5)).toEqual([]);
  });

  it("records from analyse() carry its score pairs, and the model's own class when the label is unknown", () => {
    const image = {width: SIZE, height: SIZE, bitDepth: 8, format: "png" as const, data: pixels, channels: 1 as const, info: {}};
    const analysis = analyse(bundle, image, {methods: ["cam", "gradcampp"], evaluateAlphas: [10, 50], predictRejected: true});
    const records = recordsFromAnalysis("x.png", analysis, null);
    expect(records.map((r) => [r.method, r.alpha])).toEqual([["cam", 10], ["cam", 50], ["gradcampp", 10], ["gradcampp", 50]]);
    const f = analysis.explanation!.finding;
    for (const r of records) {
      expect(r.original).toBe(analysis.evaluation![0]!.averageDrop.pair.original);
      expect(r.reference).toBe(f.raw >= f.operatingPoint ? 1 : 0);
      expect(r.operatingPoint).toBe(f.operatingPoint);
    }
    expect(records[1]!.black).toBe(analysis.evaluation![0]!.blackAverageDrop[1]!.pair.perturbed);
    expect(recordsFromAnalysis("x.png", analysis, 1).every((r) => r.reference === 1)).toBe(true);
  });

  it("the paper's fractions become percent; labels become targets as in the audit", () => {
    const [row] = paperRowsPercent([{dataset: "X-ray", method: "cam", ad: 0.74, bad: 0.7548, incorrectAd: 100, incorrectBad: 99.4}]);
    expect(row!.adPercent).toBeCloseTo(74, 6);
    expect(row!.badPercent).toBeCloseTo(75.48, 6);
    expect(row!.incorrectBad).toBe(99.4);
    const labels = ["Atelectasis", "Pneumonia", ""];
    expect(sampleTargets(labels, "PNEUMONIA").findings).toEqual([1]);
    expect(sampleTargets(labels, "PNEUMONIA").reference(0)).toBe(0);
    expect(sampleTargets(labels, "NORMAL").findings).toEqual([]);
    expect(sampleTargets(labels, "NORMAL").reference(1)).toBe(0);
    expect(sampleTargets(labels, "").reference(1)).toBeNull();
  });
});
