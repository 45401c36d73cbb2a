/**
 * Out-of-distribution scores in the classifier's own feature space, beside the autoencoder's:
 *
 * - `mahalanobis`: min over classes c of sqrt((f - mu_c)' P (f - mu_c)), f the globally pooled
 *   features, mu_c the class means and P the inverse of the tied (shared) covariance, all from the
 *   training split (Lee et al. 2018, without input preprocessing or layer ensembles: both need
 *   OOD examples to tune).
 * - `knn`: distance to the k-th nearest training feature, both normalised to unit length (Sun et
 *   al. 2022).
 * - `energy`: each sigmoid output read as a two-class softmax with logits (z/2, -z/2), summed over
 *   the labelled outputs: -sum_c logsumexp(z_c/2, -z_c/2) (Liu et al. 2020; the symmetric logits
 *   make a confident "no" count like a confident "yes", as a softmax over two classes does).
 * - `msp`: maximum probability of each labelled output's two-class reading, max(p, 1 - p),
 *   averaged over the outputs (Hendrycks & Gimpel 2017; one output: exactly its MSP).
 *
 * The statistics ship in the bundle (`ood-features.bin`, referenced by the card's `oodFeatures`).
 */
import * as tf from "@tensorflow/tfjs";

export {FEATURE_SCORE_HIGHER_IS_OUT, FEATURE_SCORE_NAMES, type FeatureScoreName, type FeatureScores} from "./ood-scores.js";
import {FEATURE_SCORE_NAMES, type FeatureScores} from "./ood-scores.js";

/** What `ood-features.bin` holds, decoded. */
export interface FeatureStatistics {
  /** K: channels of the pooled feature vector. */
  featureSize: number;
  /** Names of the classes whose means are kept (e.g. "no finding", "Pneumonia"). */
  classes: string[];
  /** Training images per class. */
  classCounts: number[];
  /** [C * K], row-major: one mean per class. */
  means: Float32Array;
  /** [K * K]: inverse of the shrunk tied covariance. */
  precision: Float32Array;
  /** [N * K]: unit-length training features, the kNN reference set. */
  reference: Float32Array;
  /** The k of the kNN score. */
  k: number;
  /** Anything the writer records (split, images, shrinkage, command). */
  meta: Record<string, unknown>;
}

export const FEATURE_FILE_MAGIC = "CXROODF1";

export class FeatureFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FeatureFileError";
  }
}

interface FileHeader {
  featureSize: number;
  classes: string[];
  classCounts: number[];
  referenceSize: number;
  k: number;
  meta: Record<string, unknown>;
}

/**
 * Layout: "CXROODF1", the header's byte length (uint32 LE), the header as UTF-8 JSON padded with
 * spaces to a multiple of 4, then float32 LE: means [C, K], precision [K, K], reference [N, K].
 */
export function encodeFeatureStatistics(stats: FeatureStatistics): Uint8Array {
  const header: FileHeader = {
    featureSize: stats.featureSize,
    classes: stats.classes,
    classCounts: stats.classCounts,
    referenceSize: stats.reference.length / stats.featureSize,
    k: stats.k,
    meta: stats.meta
  };
  let json = JSON.stringify(header);
  const start = FEATURE_FILE_MAGIC.length + 4;
  while ((start + new TextEncoder().encode(json).byteLength) % 4) json += " ";
  const headerBytes = new TextEncoder().encode(json);
  const floats = stats.means.length + stats.precision.length + stats.reference.length;
  const out = new Uint8Array(start + headerBytes.byteLength + 4 * floats);
  out.set(new TextEncoder().encode(FEATURE_FILE_MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(FEATURE_FILE_MAGIC.length, headerBytes.byteLength, true);
  out.set(headerBytes, start);
  let at = start + headerBytes.byteLength;
  for (const array of [stats.means, stats.precision, stats.reference])
    for (let i = 0; i < array.length; i++, at += 4) view.setFloat32(at, array[i]!, true);
  return out;
}

/** Decodes and validates `ood-features.bin`, listing every problem at once. */
export function decodeFeatureStatistics(bytes: Uint8Array, where = "ood-features.bin", expectedFeatureSize?: number): FeatureStatistics {
  const start = FEATURE_FILE_MAGIC.length + 4;
  if (bytes.byteLength < start || new TextDecoder().decode(bytes.subarray(0, FEATURE_FILE_MAGIC.length)) !== FEATURE_FILE_MAGIC)
    throw new FeatureFileError(`${where} is not a feature-statistics file (it does not start with ${FEATURE_FILE_MAGIC})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(FEATURE_FILE_MAGIC.length, true);
  if (start + headerLength > bytes.byteLength) throw new FeatureFileError(`${where} is truncated: its header runs past the end of the file`);
  let header: FileHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(start, start + headerLength)));
  } catch (error) {
    throw new FeatureFileError(`${where}: the header is not valid JSON (${(error as Error).message})`);
  }
  const problems: string[] = [];
  const need = (ok: unknown, message: string) => { if (!ok) problems.push(message); };
  const K = header?.featureSize;
  need(Number.isInteger(K) && K > 0, "featureSize must be a positive integer");
  need(Array.isArray(header?.classes) && header.classes.length > 0, "classes must be a non-empty list");
  need(Array.isArray(header?.classCounts) && header.classCounts.length === header?.classes?.length, "classCounts must have one count per class");
  need(Number.isInteger(header?.referenceSize) && header.referenceSize > 0, "referenceSize must be a positive integer");
  need(Number.isInteger(header?.k) && header.k >= 1 && header.k <= header.referenceSize, `k must be an integer in [1, referenceSize]`);
  if (expectedFeatureSize !== undefined && Number.isInteger(K))
    need(K === expectedFeatureSize, `featureSize is ${K} but the classifier's pooled features have ${expectedFeatureSize} channels`);
  if (problems.length) throw new FeatureFileError(`${where}: ${problems.join("; ")}`);
  const C = header.classes.length;
  const N = header.referenceSize;
  const floats = C * K + K * K + N * K;
  const dataStart = start + headerLength;
  if (dataStart % 4) throw new FeatureFileError(`${where}: the data does not start on a 4-byte boundary`);
  if (bytes.byteLength - dataStart !== 4 * floats)
    throw new FeatureFileError(`${where}: expected ${4 * floats} bytes of float32 data (means ${C}x${K}, precision ${K}x${K}, reference ${N}x${K}), found ${bytes.byteLength - dataStart}`);
  const read = (offset: number, length: number) => {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = view.getFloat32(dataStart + 4 * (offset + i), true);
    return out;
  };
  const means = read(0, C * K);
  const precision = read(C * K, K * K);
  const reference = read(C * K + K * K, N * K);
  if (![means, precision, reference].every((a) => a.every(Number.isFinite))) throw new FeatureFileError(`${where}: the statistics hold non-finite values`);
  return {featureSize: K, classes: header.classes, classCounts: header.classCounts, means, precision, reference, k: header.k, meta: header.meta ?? {}};
}

/** The statistics as tensors on the backend, and the four scores. */
export class FeatureOod {
  readonly stats: FeatureStatistics;
  private readonly means: tf.Tensor2D;
  private readonly precision: tf.Tensor2D;
  private readonly reference: tf.Tensor2D;

  constructor(stats: FeatureStatistics) {
    this.stats = stats;
    const K = stats.featureSize;
    this.means = tf.tensor2d(stats.means, [stats.classes.length, K]);
    this.precision = tf.tensor2d(stats.precision, [K, K]);
    this.reference = tf.tensor2d(stats.reference, [stats.reference.length / K, K]);
  }

  /**
   * The four scores as one [4] tensor in FEATURE_SCORE_NAMES order, from the pooled features [1, K]
   * (or [K]) and the logits [1, C] of one image; `used` are the labelled outputs. Call inside tidy.
   */
  scoreTensor(pooled: tf.Tensor, logits: tf.Tensor, used: number[]): tf.Tensor1D {
    return tf.tidy(() => {
      const f = pooled.reshape([1, this.stats.featureSize]);
      const diff = f.sub(this.means); // [C, K]
      const squared = diff.matMul(this.precision).mul(diff).sum(1); // [C]
      const mahalanobis = squared.min().relu().sqrt();
      const unit = f.div(f.norm().add(1e-12));
      // |a - b|^2 = 2 - 2 a.b for unit vectors; the k-th largest similarity is the k-th nearest.
      const similarity = unit.matMul(this.reference, false, true).reshape([-1]);
      const kth = tf.topk(similarity, this.stats.k).values.slice([this.stats.k - 1], [1]).reshape([]);
      const knn = tf.scalar(2).sub(kth.mul(2)).relu().sqrt();
      const z = logits.reshape([-1]).gather(tf.tensor1d(used, "int32")).div(2);
      const energy = tf.logSumExp(tf.stack([z, z.neg()]), 0).sum().neg();
      const msp = tf.sigmoid(z.abs().mul(2)).mean();
      return tf.stack([mahalanobis, knn, energy, msp]) as tf.Tensor1D;
    });
  }

  /** The four scores of one image as numbers. */
  scores(pooled: tf.Tensor, logits: tf.Tensor, used: number[]): FeatureScores {
    const tensor = this.scoreTensor(pooled, logits, used);
    const values = tensor.dataSync();
    tensor.dispose();
    return Object.fromEntries(FEATURE_SCORE_NAMES.map((name, i) => [name, values[i]!])) as FeatureScores;
  }

  dispose() {
    tf.dispose([this.means, this.precision, this.reference]);
  }
}
