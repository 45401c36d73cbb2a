import * as tf from "@tensorflow/tfjs";
import {readFileSync, readdirSync} from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {analyse} from "../src/pipeline/analyse.js";
import type {Card} from "../src/pipeline/bundle/card.js";
import {loadBundle, type Bundle} from "../src/pipeline/bundle/load.js";
import type {BundleSource} from "../src/pipeline/bundle/source.js";
import {decodeImage} from "../src/pipeline/image/index.js";
import type {DecodedImage} from "../src/pipeline/image/types.js";
import {prepareSizes} from "../src/pipeline/preprocess.js";
import {classMemberships, fitFeatureStatistics, invertSymmetricPositiveDefinite} from "../src/pipeline/ood-feature-stats.js";
import {decodeFeatureStatistics, encodeFeatureStatistics, FeatureOod, type FeatureStatistics} from "../src/pipeline/ood-features.js";
import {chooseGate, fprAtTpr, scoreImage, syntheticOutlier} from "../src/pipeline/ood-evaluation.js";
import {gateDecision} from "../src/pipeline/ood-gate.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {degenerateImages} from "../scripts/ood-gate-report.js";
import {randomValues, testBundle} from "./helpers/models.js";
import {DATA_ROOT} from "./helpers/paths.js";
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {decodePack, packSource} from "../src/pipeline/bundle/pack.js";
import {packBundle} from "../src/pipeline/node/pack.js";

let images: DecodedImage[] = [];
let stats: FeatureStatistics;

const pick = (folder: string, n: number) =>
  readdirSync(path.join(DATA_ROOT, folder)).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort().slice(0, n).map((f) => path.join(DATA_ROOT, folder, f));

/** The test bundle with feature statistics (and a card that names them) added to its files. */
function withFeatures(bytes: Uint8Array | null, cardPatch?: (card: Card) => void): BundleSource {
  const {source} = testBundle({
    cardPatch: (card) => {
      card.oodFeatures = {path: "ood-features.bin"};
      card.oodGate = {
        default: "mahalanobis",
        decisions: [
          {score: "ssim", threshold: 0.5, inDistributionWhen: "above"},
          {score: "mahalanobis", threshold: 1e9, inDistributionWhen: "below"},
          {score: "msp", threshold: 0, inDistributionWhen: "above"}
        ]
      };
      cardPatch?.(card);
    }
  });
  return {
    location: source.location,
    async readBytes(p) {
      if (p === "ood-features.bin" && bytes) return bytes;
      return source.readBytes(p);
    },
    async exists(p) {
      return p === "ood-features.bin" ? bytes !== null : source.exists(p);
    }
  };
}

beforeAll(async () => {
  await initBackend();
  const files = [...pick("cxr-peds/test/PNEUMONIA", 6), ...pick("cxr-peds/test/NORMAL", 6), ...pick("cxr-nih/images256", 2), ...pick("ood/cifar10", 1), ...pick("ood/knee", 1)];
  images = files.map((f) => decodeImage(new Uint8Array(readFileSync(f)), {name: f}));
  // Real statistics: the test classifier's pooled features of twelve pediatric radiographs.
  const bundle = await loadBundle(testBundle().source);
  const K = bundle.classifier.denseKernel.shape[0]!;
  const pooled = new Float32Array(12 * K);
  images.slice(0, 12).forEach((image, i) => {
    const [pixels, small] = prepareSizes(image, [32, 16], "crop").squares;
    pooled.set(scoreImage(bundle, pixels!, small!).pooled, i * K);
    tf.dispose([pixels!, small!]);
  });
  const labels = images.slice(0, 12).map((_, i) => [i < 6 ? 1 : 0, 0, 0]);
  const {classes, memberships} = classMemberships(["Pneumonia", "Effusion", "Mass"], labels);
  stats = fitFeatureStatistics({pooled, featureSize: K, memberships, classes, referenceSize: 8, k: 3}).stats;
  bundle.dispose();
});

describe("feature statistics", () => {
  it("fits class means from the memberships, a precision that inverts the covariance, and a unit-length reference set", () => {
    expect(stats.classes).toEqual(["no finding", "Pneumonia"]);
    expect(stats.classCounts).toEqual([6, 6]);
    const K = stats.featureSize;
    expect(stats.reference.length).toBe(8 * K);
    for (let i = 0; i < 8; i++) {
      const norm = Math.hypot(...stats.reference.subarray(i * K, (i + 1) * K));
      expect(norm).toBeCloseTo(1, 5);
    }
    expect(stats.meta.shrinkage).toBeGreaterThanOrEqual(0);
    expect(stats.meta.shrinkage).toBeLessThanOrEqual(1);
  });

  it("inverts a symmetric positive-definite matrix (Cholesky, float64)", () => {
    const K = 7;
    const A = randomValues(K * K, 3);
    const M = new Float64Array(K * K); // A A' + I
    for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) {
      let s = i === j ? 1 : 0;
      for (let p = 0; p < K; p++) s += A[i * K + p]! * A[j * K + p]!;
      M[i * K + j] = s;
    }
    const P = invertSymmetricPositiveDefinite(M, K);
    for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) {
      let s = 0;
      for (let p = 0; p < K; p++) s += M[i * K + p]! * P[p * K + j]!;
      expect(s).toBeCloseTo(i === j ? 1 : 0, 4);
    }
    expect(() => invertSymmetricPositiveDefinite([1, 2, 2, 1], 2)).toThrow(/not positive definite/);
  });

  it("round-trips through ood-features.bin and refuses a broken file with a specific message", () => {
    const bytes = encodeFeatureStatistics(stats);
    const back = decodeFeatureStatistics(bytes, "x.bin", stats.featureSize);
    expect(back.classes).toEqual(stats.classes);
    expect(Array.from(back.precision)).toEqual(Array.from(stats.precision));
    expect(Array.from(back.reference)).toEqual(Array.from(stats.reference));
    expect(() => decodeFeatureStatistics(new TextEncoder().encode("hello world, not a file"))).toThrow(/does not start with CXROODF1/);
    expect(() => decodeFeatureStatistics(bytes.subarray(0, bytes.byteLength - 4), "x.bin")).toThrow(/expected \d+ bytes of float32 data/);
    expect(() => decodeFeatureStatistics(bytes, "x.bin", stats.featureSize + 1)).toThrow(/featureSize is 6 but the classifier's pooled features have 7 channels/);
  });
});

describe("feature-space scores", () => {
  it("match a direct computation of Mahalanobis, kNN, energy and MSP", () => {
    const features = new FeatureOod(stats);
    const K = stats.featureSize;
    const f = Float32Array.from({length: K}, (_, j) => 0.3 + 0.1 * j);
    const logits = [1.5, -2, 0.25];
    const scores = features.scores(tf.tensor2d(f, [1, K]), tf.tensor2d(logits, [1, 3]), [0, 1, 2]);
    // Mahalanobis: min over classes of sqrt(d' P d).
    const maha = Math.min(...stats.classes.map((_, c) => {
      const d = Array.from(f, (v, j) => v - stats.means[c * K + j]!);
      let s = 0;
      for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) s += d[i]! * stats.precision[i * K + j]! * d[j]!;
      return Math.sqrt(Math.max(0, s));
    }));
    expect(scores.mahalanobis).toBeCloseTo(maha, 3);
    // kNN: the k-th smallest distance between unit vectors.
    const norm = Math.hypot(...f);
    const distances = Array.from({length: stats.reference.length / K}, (_, r) =>
      Math.hypot(...Array.from(f, (v, j) => v / norm - stats.reference[r * K + j]!))).sort((a, b) => a - b);
    expect(scores.knn).toBeCloseTo(distances[stats.k - 1]!, 4);
    // Each output a two-class softmax over (z/2, -z/2).
    const energy = -logits.reduce((a, z) => a + Math.log(Math.exp(z / 2) + Math.exp(-z / 2)), 0);
    expect(scores.energy).toBeCloseTo(energy, 4);
    const msp = logits.reduce((a, z) => a + Math.max(1 / (1 + Math.exp(-z)), 1 - 1 / (1 + Math.exp(-z))), 0) / 3;
    expect(scores.msp).toBeCloseTo(msp, 5);
    // Only the labelled outputs count.
    expect(features.scores(tf.tensor2d(f, [1, K]), tf.tensor2d(logits, [1, 3]), [0]).msp).toBeCloseTo(1 / (1 + Math.exp(-1.5)), 5);
    features.dispose();
  });

  it("FPR at 95 % TPR counts the OOD images the 95 %-acceptance threshold lets in", () => {
    const inside = Array.from({length: 100}, (_, i) => i); // higher is out
    expect(fprAtTpr(inside, [200, 300, 1, 2], true)).toBe(0.5);
    expect(fprAtTpr(inside, [500, 600], true)).toBe(0);
  });

  it("chooses the default gate by AUROC against synthetic outliers of validation images", () => {
    const validation = [{a: 1}, {a: 2}, {a: 3}].map((r) => ({mahalanobis: r.a, msp: 0.9}));
    const choice = chooseGate(["mahalanobis", "msp"], validation, {inverted: [{mahalanobis: 10, msp: 0.9}], jigsaw: [{mahalanobis: 0, msp: 0.9}]});
    expect(choice.candidates.find((c) => c.score === "mahalanobis")!.auroc).toEqual({inverted: 1, jigsaw: 0});
    expect(choice.default).toBe("mahalanobis");
    // A tie on AUROC goes to the score whose outliers lie further past the threshold.
    const spread = Array.from({length: 20}, (_, i) => ({l1: i, knn: i}));
    const tie = chooseGate(["l1", "knn"], spread, {inverted: [{l1: 25, knn: 60}], jigsaw: [{l1: 30, knn: 70}]});
    expect(tie.candidates.map((c) => c.meanAuroc)).toEqual([1, 1]);
    expect(tie.default).toBe("knn");
  });

  it("makes the synthetic outliers without leaking tensors", () => {
    const grey = tf.tensor2d(Float32Array.from({length: 64}, (_, i) => i / 63), [8, 8]);
    const before = tf.memory().numTensors;
    const inverted = syntheticOutlier(grey, "inverted");
    const flipped = syntheticOutlier(grey, "upside-down");
    const jigsaw = syntheticOutlier(grey, "jigsaw");
    expect(inverted.dataSync()[0]).toBeCloseTo(1, 6);
    expect(flipped.dataSync()[0]).toBeCloseTo(56 / 63, 6);
    expect(Array.from(jigsaw.dataSync()).sort()).toEqual(Array.from(grey.dataSync()).sort());
    expect(Array.from(jigsaw.dataSync())).not.toEqual(Array.from(grey.dataSync()));
    tf.dispose([inverted, flipped, jigsaw]);
    expect(tf.memory().numTensors).toBe(before);
    grey.dispose();
  });
});

describe("bundles with feature statistics", () => {
  it("the loader validates the file the card names: missing, broken, or the wrong size", async () => {
    await expect(loadBundle(withFeatures(null))).rejects.toThrow(/ood-features\.bin is missing \(the card's oodFeatures names it\)/);
    await expect(loadBundle(withFeatures(new Uint8Array(16)))).rejects.toThrow(/not a feature-statistics file/);
    const wrong = encodeFeatureStatistics({...stats, featureSize: 3, means: new Float32Array(6), precision: new Float32Array(9), reference: new Float32Array(3 * 8)});
    await expect(loadBundle(withFeatures(wrong))).rejects.toThrow(/featureSize is 3 but the classifier's pooled features have 6 channels/);
    await expect(loadBundle(withFeatures(encodeFeatureStatistics(stats), (c) => { c.oodGate!.default = "knn"; }))).rejects.toThrow(/oodGate.default "knn" has no decision/);
  });

  it("analyse() reports the feature scores and rules by the card's default gate, or the one chosen", async () => {
    const bundle: Bundle = await loadBundle(withFeatures(encodeFeatureStatistics(stats)));
    expect(gateDecision(bundle.card)!.score).toBe("mahalanobis");
    const result = analyse(bundle, images[12]!, {methods: []});
    expect(Object.keys(result.gate.featureScores!)).toEqual(["mahalanobis", "knn", "energy", "msp"]);
    expect(result.gate.decision!.score).toBe("mahalanobis");
    expect(result.ood!.decision.score).toBe("mahalanobis");
    expect(result.gate.inDistribution).toBe(true);
    expect(result.ood!.featureScores).toEqual(result.gate.featureScores);
    // The same image through the pipeline's own scoring (the evaluation's path) gives the same scores.
    const [pixels, small] = prepareSizes(images[12]!, [32, 16], "crop").squares;
    const direct = scoreImage(bundle, pixels!, small!);
    tf.dispose([pixels!, small!]);
    for (const [name, value] of Object.entries(result.gate.featureScores!)) expect(direct.scores[name as "knn"]).toBeCloseTo(value, 5);
    expect(direct.scores.ssim).toBeCloseTo(result.ood!.scores.ssim, 5);
    // msp > 0 passes everything; a threshold of 1 rejects everything.
    expect(analyse(bundle, images[12]!, {methods: [], gate: "msp"}).gate.inDistribution).toBe(true);
    expect(() => analyse(bundle, images[12]!, {gate: "knn"})).toThrow(/no OOD gate on "knn"; it has: ssim, mahalanobis, msp/);
    bundle.dispose();
    const strict = await loadBundle(withFeatures(encodeFeatureStatistics(stats), (c) => { c.oodGate!.decisions[1]!.threshold = 0; }));
    const rejected = analyse(strict, images[13]!);
    expect(rejected.gate.inDistribution).toBe(false);
    expect(rejected.ood!.inDistribution).toBe(false);
    expect(rejected.predictions).toBeNull();
    expect(rejected.gate.featureScores!.mahalanobis).toBeGreaterThan(0);
    strict.dispose();
  });

  it("refuses blank, near-constant and noise images before prediction, with the reason", async () => {
    const bundle = await loadBundle(withFeatures(encodeFeatureStatistics(stats), (c) => { c.oodGate!.default = "msp"; }));
    const verdicts = degenerateImages(64).map(({name, image}) => ({name, analysis: analyse(bundle, image)}));
    for (const {name, analysis} of verdicts) {
      expect(analysis.gate.check.ok, name).toBe(false);
      expect(analysis.gate.inDistribution, name).toBe(false);
      expect(analysis.ood!.inDistribution, name).toBe(false);
      expect(analysis.predictions, name).toBeNull();
      // Refused before the classifier ran.
      expect(analysis.gate.featureScores, name).toBeNull();
      expect(analysis.timings.predict, name).toBeUndefined();
    }
    expect(Object.fromEntries(verdicts.map(({name, analysis}) => [name, analysis.gate.check.code]))).toEqual({
      white: "near-constant",
      black: "near-constant",
      grey: "near-constant",
      "1 x 1 grey": "too-small",
      "horizontal ramp": "no-structure",
      "diagonal ramp": "no-structure",
      "grey with faint noise (std 0.005)": "near-constant",
      "uniform noise": "noise",
      "Gaussian noise (mean 0.5, std 0.2)": "noise",
      "salt and pepper": "noise"
    });
    expect(verdicts[0]!.analysis.gate.check.message).toMatch(/blank or nearly constant/);
    // Asked to predict anyway, it does, and says so.
    const anyway = analyse(bundle, verdicts[0]!.analysis.width === 64 ? degenerateImages(64)[0]!.image : images[0]!, {predictRejected: true, methods: []});
    expect(anyway.predictedDespiteRejection).toBe(true);
    expect(anyway.predictions).toHaveLength(3);
    // Every real image here passes the check: radiographs of both populations, a knee, a photograph.
    for (const image of images) expect(analyse(bundle, image, {methods: []}).gate.check.ok).toBe(true);
    bundle.dispose();
  });

  it("travels in the site's pack: the statistics file goes with card.json and the graphs", async () => {
    const source = withFeatures(encodeFeatureStatistics(stats));
    const folder = mkdtempSync(path.join(tmpdir(), "oodf-pack-"));
    try {
      for (const file of ["card.json", "classifier/model.json", "classifier/weights.bin", "ood/model.json", "ood/weights.bin", "ood-features.bin"]) {
        mkdirSync(path.dirname(path.join(folder, file)), {recursive: true});
        writeFileSync(path.join(folder, file), await source.readBytes(file));
      }
      writeFileSync(path.join(folder, "README.md"), "not packed");
      const pack = decodePack(packBundle(folder));
      expect([...pack.files.keys()].sort()).toEqual(["card.json", "classifier/model.json", "classifier/weights.bin", "ood-features.bin", "ood/model.json", "ood/weights.bin"]);
      const bundle = await loadBundle(packSource(pack, "pack"));
      expect(bundle.features?.stats.classes).toEqual(stats.classes);
      bundle.dispose();
    } finally {
      rmSync(folder, {recursive: true, force: true});
    }
  });

  it("holds no tensor between analyses", async () => {
    const bundle = await loadBundle(withFeatures(encodeFeatureStatistics(stats)));
    analyse(bundle, images[0]!, {methods: ["cam"]});
    const before = tf.memory().numTensors;
    for (let i = 0; i < 6; i++) {
      analyse(bundle, images[i % images.length]!, {methods: ["cam", "gradcam"], evaluateAlphas: [10]});
      analyse(bundle, degenerateImages(32)[i]!.image);
    }
    expect(tf.memory().numTensors).toBe(before);
    const loaded = tf.memory().numTensors;
    bundle.dispose();
    expect(tf.memory().numTensors).toBeLessThan(loaded);
  });
});
