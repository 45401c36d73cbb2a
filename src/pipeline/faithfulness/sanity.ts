/**
 * The model-randomisation sanity check (Adebayo et al. 2018), cascading: the classifier's weights are
 * replaced by random ones block by block from the head down (dense, then the last norm, then each
 * dense block and transition in reverse), each map recomputed after each step, and compared with the
 * map of the trained model by Spearman's rank correlation and SSIM (both maps upsampled to the image
 * and min-max scaled). A map that still resembles the original once the whole model is random does
 * not depend on what the model learned: it is flagged.
 *
 * Blocks are the weights' first name segment (our bundles: conv0, denseblock1..4, transition1..3,
 * norm5, dense), in the reverse of the graph's weight order. Random weights are N(0, s^2) with s
 * the original tensor's standard deviation (seeded). The weights are swapped inside the loaded graph
 * and restored afterwards, so no model is reloaded.
 */
import * as tf from "@tensorflow/tfjs";
import {explainTensors, type ExplanationMethod} from "../explain/index.js";
import {normaliseMap, upsample} from "../explain/upsample.js";
import type {Classifier} from "../model/classifier.js";
import {ssim} from "../ssim.js";
import {seededNormalFn} from "./random.js";
import {spearman} from "./rank-correlation.js";

export interface WeightBlock {
  block: string;
  weights: string[];
}

/** The classifier's float weights grouped into blocks, head first. */
export function weightBlocks(classifier: Classifier): WeightBlock[] {
  const blocks: WeightBlock[] = [];
  for (const [name, tensors] of Object.entries(classifier.model.weights)) {
    if (tensors[0]?.dtype !== "float32") continue;
    const block = name.split("/")[0]!;
    const last = blocks[blocks.length - 1];
    if (last?.block === block) last.weights.push(name);
    else blocks.push({block, weights: [name]});
  }
  return blocks.reverse();
}

/**
 * Runs `fn` on a view of the classifier whose named weights are random, then restores them. The
 * view shares everything else (its dense kernel is the randomised one where the dense layer is).
 */
export function withRandomWeights<T>(classifier: Classifier, names: string[], seed: number, fn: (view: Classifier) => T): T {
  const weights = classifier.model.weights;
  const originals = new Map<string, tf.Tensor[]>();
  const replacements: tf.Tensor[] = [];
  const normal = seededNormalFn(seed);
  try {
    for (const name of names) {
      const tensors = weights[name];
      if (!tensors?.length) throw new Error(`the classifier has no weight "${name}"`);
      originals.set(name, tensors);
      const values = tensors[0]!.dataSync();
      let mean = 0;
      for (let i = 0; i < values.length; i++) mean += values[i]! / values.length;
      let variance = 0;
      for (let i = 0; i < values.length; i++) variance += (values[i]! - mean) ** 2 / values.length;
      const sd = Math.sqrt(variance) || 0.05;
      const random = tf.tensor(Float32Array.from({length: values.length}, () => normal() * sd), tensors[0]!.shape, "float32");
      replacements.push(random);
      weights[name] = [random];
    }
    const dense = weights[classifier.spec.denseKernel]![0] as tf.Tensor2D;
    const view = Object.create(classifier, {denseKernel: {value: dense}}) as Classifier;
    return fn(view);
  } finally {
    for (const [name, tensors] of originals) weights[name] = tensors;
    tf.dispose(replacements);
  }
}

export interface SanityStep {
  /** Blocks randomised so far, head first ("" for the trained model's own step). */
  randomised: string[];
  /** Per method: rank correlation and SSIM with the trained model's map. */
  similarity: Partial<Record<ExplanationMethod, {spearman: number; ssim: number}>>;
}

export interface SanityResult {
  steps: SanityStep[];
  /** Methods whose map after the last step (the whole model random) still correlates above the threshold. */
  flagged: ExplanationMethod[];
  threshold: number;
}

/** Maps upsampled to the image and min-max scaled, as plain arrays. */
function comparableMaps(classifier: Classifier, grey: tf.Tensor2D, classIndex: number, methods: ExplanationMethod[]): Map<ExplanationMethod, Float32Array> {
  const [height, width] = grey.shape;
  const out = new Map<ExplanationMethod, Float32Array>();
  tf.tidy(() => {
    const maps = explainTensors(classifier, grey, classIndex, methods, {path: "gradient"});
    for (const m of methods) out.set(m, normaliseMap(upsample(maps[m]!, height, width, "bilinear")).dataSync() as Float32Array);
  });
  return out;
}

/**
 * The cascading randomisation of one image's maps. `threshold` is the Spearman correlation above
 * which a map is flagged as insensitive to the model (default 0.5).
 */
export function cascadingRandomisation(
  classifier: Classifier,
  pixels: Float32Array,
  size: number,
  classIndex: number,
  methods: ExplanationMethod[],
  options: {seed?: number; threshold?: number; blocks?: WeightBlock[]; onStep?: (done: number, total: number, block: string) => void} = {}
): SanityResult {
  const {seed = 1, threshold = 0.5} = options;
  const blocks = options.blocks ?? weightBlocks(classifier);
  const grey = tf.tensor2d(pixels, [size, size]);
  try {
    const original = comparableMaps(classifier, grey, classIndex, methods);
    const steps: SanityStep[] = [];
    for (let s = 1; s <= blocks.length; s++) {
      const chosen = blocks.slice(0, s);
      const randomMaps = withRandomWeights(classifier, chosen.flatMap((b) => b.weights), seed + s, (view) => comparableMaps(view, grey, classIndex, methods));
      const similarity: SanityStep["similarity"] = {};
      for (const m of methods) {
        const a = original.get(m)!;
        const b = randomMaps.get(m)!;
        const structural = tf.tidy(() => ssim(tf.tensor2d(a, [size, size]), tf.tensor2d(b, [size, size])).dataSync()[0]!);
        similarity[m] = {spearman: spearman(a, b), ssim: structural};
      }
      steps.push({randomised: chosen.map((b) => b.block), similarity});
      options.onStep?.(s, blocks.length, chosen[s - 1]!.block);
    }
    const last = steps[steps.length - 1];
    const flagged = last ? methods.filter((m) => (last.similarity[m]?.spearman ?? NaN) > threshold) : [];
    return {steps, flagged, threshold};
  } finally {
    grey.dispose();
  }
}
