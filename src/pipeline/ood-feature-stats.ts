/**
 * Fits the feature-space OOD statistics (see ood-features.ts) from the pooled features of the
 * training split: class-conditional means, the tied covariance shrunk toward a scaled identity by
 * Ledoit & Wolf's (2004) formula (1,024 channels from a few thousand images is an ill-conditioned
 * estimate), its inverse, and the kNN reference set.
 */
import * as tf from "@tensorflow/tfjs";
import type {FeatureStatistics} from "./ood-features.js";

export interface FitInput {
  /** [n * K] row-major pooled features, one row per training image. */
  pooled: Float32Array;
  featureSize: number;
  /** Per image: the indices (into `classes`) of the classes it belongs to (at least one). */
  memberships: number[][];
  classes: string[];
  /** At most this many training images form the kNN reference set (evenly spaced). */
  referenceSize?: number;
  k?: number;
  meta?: Record<string, unknown>;
}

export interface FitResult {
  stats: FeatureStatistics;
  /** Ledoit-Wolf shrinkage intensity in [0, 1] (0: the sample covariance unchanged). */
  shrinkage: number;
}

/**
 * Classes for a multi-label bundle: "no finding" (no positive label) and one per finding with at
 * least `minimum` positive training images. A single-output bundle gets its two classes this way.
 */
export function classMemberships(labels: string[], rows: number[][], minimum = 2): {classes: string[]; memberships: number[][]} {
  const kept = labels.map((label, c) => ({label, c})).filter(({label, c}) => label.trim() && rows.filter((r) => r[c] === 1).length >= minimum);
  const classes = ["no finding", ...kept.map((k) => k.label)];
  const memberships = rows.map((r) => {
    const positive = kept.flatMap((k, i) => (r[k.c] === 1 ? [i + 1] : []));
    return positive.length ? positive : [0];
  });
  return {classes, memberships};
}

export function fitFeatureStatistics(input: FitInput): FitResult {
  const {pooled, featureSize: K, memberships, classes} = input;
  const n = memberships.length;
  if (pooled.length !== n * K) throw new RangeError(`pooled has ${pooled.length} values, expected ${n} images x ${K} channels`);
  if (!n) throw new RangeError("no training features to fit");
  const C = classes.length;
  const sums = new Float64Array(C * K);
  const counts = new Array<number>(C).fill(0);
  memberships.forEach((member, i) => {
    if (!member.length) throw new RangeError(`image ${i} belongs to no class`);
    for (const c of member) {
      counts[c]!++;
      for (let j = 0; j < K; j++) sums[c * K + j]! += pooled[i * K + j]!;
    }
  });
  const empty = classes.filter((_, c) => !counts[c]);
  if (empty.length) throw new RangeError(`no training image for class(es) ${empty.join(", ")}`);
  const means = Float32Array.from(sums, (s, i) => s / counts[Math.floor(i / K)]!);

  // Residuals to each class an image belongs to: the within-class scatter, shared by all classes.
  const rows = memberships.reduce((a, m) => a + m.length, 0);
  const residuals = new Float32Array(rows * K);
  let r = 0;
  memberships.forEach((member, i) => {
    for (const c of member) {
      for (let j = 0; j < K; j++) residuals[r * K + j] = pooled[i * K + j]! - means[c * K + j]!;
      r++;
    }
  });
  const {covariance, shrinkage} = tf.tidy(() => {
    const X = tf.tensor2d(residuals, [rows, K]);
    const S = X.matMul(X, true, false).div(rows) as tf.Tensor2D;
    const mu = S.mul(tf.eye(K)).sum().div(K);
    const target = tf.eye(K).mul(mu);
    const d2 = S.sub(target).square().sum();
    const sNorm2 = S.square().sum();
    // b2 = (1/m^2) sum_i ||x_i x_i' - S||^2 = (1/m^2) sum_i (|x_i|^4 - 2 x_i' S x_i + ||S||^2)
    const norms2 = X.square().sum(1);
    const quad = X.matMul(S).mul(X).sum(1);
    const b2 = norms2.square().sub(quad.mul(2)).add(sNorm2).sum().div(rows * rows);
    const shrinkage = tf.minimum(b2, d2).div(d2);
    const covariance = target.mul(shrinkage).add(S.mul(tf.scalar(1).sub(shrinkage)));
    return {covariance: covariance.dataSync() as Float32Array, shrinkage: shrinkage.dataSync()[0]!};
  });
  const precision = invertSymmetricPositiveDefinite(covariance, K);

  const referenceCount = Math.min(n, input.referenceSize ?? 2048);
  const reference = new Float32Array(referenceCount * K);
  for (let i = 0; i < referenceCount; i++) {
    const source = Math.floor((i * n) / referenceCount);
    let norm = 0;
    for (let j = 0; j < K; j++) norm += pooled[source * K + j]! ** 2;
    norm = Math.sqrt(norm) + 1e-12;
    for (let j = 0; j < K; j++) reference[i * K + j] = pooled[source * K + j]! / norm;
  }
  const k = Math.min(input.k ?? 10, referenceCount);
  return {
    stats: {featureSize: K, classes, classCounts: counts, means, precision, reference, k, meta: {...input.meta, shrinkage, trainingImages: n}},
    shrinkage
  };
}

/** Inverse of a symmetric positive-definite [K, K] matrix by Cholesky, in float64. */
export function invertSymmetricPositiveDefinite(matrix: ArrayLike<number>, K: number): Float32Array {
  const L = new Float64Array(K * K);
  for (let i = 0; i < K; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = matrix[i * K + j]!;
      for (let p = 0; p < j; p++) sum -= L[i * K + p]! * L[j * K + p]!;
      if (i === j) {
        if (!(sum > 0)) throw new RangeError(`the covariance is not positive definite (pivot ${i}: ${sum})`);
        L[i * K + i] = Math.sqrt(sum);
      } else L[i * K + j] = sum / L[j * K + j]!;
    }
  }
  // M = L^-1 (lower triangular), by forward substitution column by column.
  const M = new Float64Array(K * K);
  for (let c = 0; c < K; c++) {
    M[c * K + c] = 1 / L[c * K + c]!;
    for (let i = c + 1; i < K; i++) {
      let sum = 0;
      for (let p = c; p < i; p++) sum -= L[i * K + p]! * M[p * K + c]!;
      M[i * K + c] = sum / L[i * K + i]!;
    }
  }
  // P = M' M.
  const P = new Float32Array(K * K);
  for (let i = 0; i < K; i++) {
    for (let j = i; j < K; j++) {
      let sum = 0;
      for (let p = j; p < K; p++) sum += M[p * K + i]! * M[p * K + j]!;
      P[i * K + j] = sum;
      P[j * K + i] = sum;
    }
  }
  return P;
}
