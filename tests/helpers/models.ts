/**
 * Small models with known weights, built by the tests themselves (until trained bundles exist), and
 * packed as in-memory bundles so they go through the real loader.
 */
import {mulberry32} from "../../src/pipeline/metrics.js";
import {GraphBuilder} from "../../src/pipeline/model/graph-builder.js";
import type {Card} from "../../src/pipeline/bundle/card.js";
import {memorySource, type BundleSource} from "../../src/pipeline/bundle/source.js";

export function seededNormal(seed: number): () => number {
  const random = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export function randomValues(n: number, seed: number, scale = 1): Float32Array {
  const normal = seededNormal(seed);
  return Float32Array.from({length: n}, () => normal() * scale);
}

export interface ClassifierOptions {
  size?: number;
  /** Feature channels K. */
  channels?: number;
  labels?: string[];
  seed?: number;
  /** "gap": logits = mean(features) . W + b. "max": a max-pool head (not a GAP head). */
  head?: "gap" | "max";
}

/**
 * input [1, S, S, 1] -> conv 3x3 (8) -> relu -> conv 3x3 stride 2 (K) -> relu = features
 * -> global mean (or max) -> dense [K, C] + b = logits -> sigmoid.
 */
export function buildClassifier(g: GraphBuilder, options: ClassifierOptions = {}) {
  const {size = 32, channels = 6, labels = ["Pneumonia", "Effusion", "Mass"], seed = 1, head = "gap"} = options;
  const x = g.placeholder("input", [1, size, size, 1]);
  const k1 = g.constant("conv1/kernel", randomValues(9 * 8, seed, 0.6), [3, 3, 1, 8]);
  const b1 = g.constant("conv1/bias", randomValues(8, seed + 1, 0.1), [8]);
  const c1 = g.op("conv1/relu", "Relu", [g.op("conv1/add", "BiasAdd", [g.conv2d("conv1", x, k1), b1], {data_format: {s: btoa("NHWC")}})]);
  const k2 = g.constant("conv2/kernel", randomValues(9 * 8 * channels, seed + 2, 0.3), [3, 3, 8, channels]);
  const features = g.op("features", "Relu", [g.conv2d("conv2", c1, k2, 2)]);
  const pooled = head === "gap" ? g.mean("pool", features, [1, 2]) : g.op("pool", "Max", [features, g.constant("pool/axes", [1, 2], [2], "int32")], {keep_dims: {b: false}, Tidx: {type: "DT_INT32"}});
  const kernel = g.constant("dense/kernel", randomValues(channels * labels.length, seed + 3, 1), [channels, labels.length]);
  const bias = g.constant("dense/bias", randomValues(labels.length, seed + 4, 0.2), [labels.length]);
  const logits = g.op("logits", "Add", [g.matMul("dense", pooled, kernel), bias]);
  g.op("probabilities", "Sigmoid", [logits]);
  return {size, labels};
}

/** input [1, S, S, 1] -> reconstruction = tanh(conv 3x3) ; latent = avgpool 4x4 . W_e. */
export function buildAutoencoder(g: GraphBuilder, size = 16, seed = 7) {
  const x = g.placeholder("input", [1, size, size, 1]);
  const kernel = Float32Array.from(randomValues(9, seed, 0.05));
  kernel[4] = 1.2; // mostly identity: in-range images reconstruct well
  g.op("reconstruction", "Tanh", [g.conv2d("decode", x, g.constant("decode/kernel", kernel, [3, 3, 1, 1]))]);
  const cells = (size / 4) ** 2;
  const pooled = g.reshape("encode/flat", g.avgPool("encode/pool", x, 4), [1, cells]);
  g.matMul("latent", pooled, g.constant("encode/kernel", randomValues(cells * 4, seed + 1, 0.5), [cells, 4]));
}

export interface TestBundleOptions extends ClassifierOptions {
  withOod?: boolean;
  oodSize?: number;
  normalisation?: Card["classifier"]["normalisation"];
  cardPatch?: (card: Card) => void;
}

/** A complete bundle (card.json + two graph models) in memory. */
export function testBundle(options: TestBundleOptions = {}): {source: BundleSource; card: Card} {
  const classifierGraph = new GraphBuilder();
  const {size, labels} = buildClassifier(classifierGraph, options);
  const files: Record<string, Uint8Array | string> = {};
  const classifier = classifierGraph.toFiles();
  files["classifier/model.json"] = JSON.stringify(classifier.modelJson);
  files["classifier/weights.bin"] = classifier.weights;
  const oodSize = options.oodSize ?? 16;
  const card: Card = {
    format: "cxr-workbench/bundle@1",
    name: "test-bundle",
    labels,
    operatingPoints: labels.map((_, i) => 0.3 + 0.1 * i),
    resize: "crop",
    classifier: {
      path: "classifier/model.json",
      inputNode: "input",
      inputLayout: "NHWC",
      inputSize: size,
      channels: 1,
      normalisation: options.normalisation ?? "symmetric",
      outputNode: "probabilities",
      logitsNode: "logits",
      featureNode: "features",
      featureLayout: "NHWC",
      denseKernel: "dense/kernel",
      denseBias: "dense/bias",
      head: options.head === "max" ? "other" : "global-average-pool"
    }
  };
  if (options.withOod !== false) {
    const aeGraph = new GraphBuilder();
    buildAutoencoder(aeGraph, oodSize);
    const ae = aeGraph.toFiles();
    files["ood/model.json"] = JSON.stringify(ae.modelJson);
    files["ood/weights.bin"] = ae.weights;
    card.ood = {
      path: "ood/model.json",
      inputNode: "input",
      inputLayout: "NHWC",
      inputSize: oodSize,
      normalisation: "symmetric",
      outputNode: "reconstruction",
      latentNode: "latent",
      decision: {score: "ssim", threshold: 0.5, inDistributionWhen: "above"}
    };
  }
  options.cardPatch?.(card);
  files["card.json"] = JSON.stringify(card);
  return {source: memorySource(files, "memory:test-bundle"), card};
}
