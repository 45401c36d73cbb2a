/**
 * Eigen-CAM (Muhammad & Yeasin 2020): the features' first principal component, the projection of the
 * centred [h w, K] activations on their first right singular vector; class-agnostic and
 * gradient-free. The singular vector's sign is arbitrary (pytorch-grad-cam leaves it so); here it is
 * chosen so the map correlates positively with the summed activations, then ReLU as in
 * pytorch-grad-cam. The top eigenvector comes from the small [h w, h w] Gram matrix by power
 * iteration, so the cost does not grow with K.
 */
import * as tf from "@tensorflow/tfjs";
import type {CamMethod} from "./base.js";

/** First principal component scores of rows of X ([n, k], centred per column), n values. */
export function firstComponentScores(x: Float32Array, n: number, k: number): Float64Array {
  const mean = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) mean[j] += x[i * k + j]! / n;
  const gram = new Float64Array(n * n);
  for (let a = 0; a < n; a++)
    for (let b = a; b < n; b++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += (x[a * k + j]! - mean[j]!) * (x[b * k + j]! - mean[j]!);
      gram[a * n + b] = s;
      gram[b * n + a] = s;
    }
  // Power iteration on G = X X^T from a fixed start; the scores X v = G u / sqrt(u' G u).
  let u = Float64Array.from({length: n}, (_, i) => 1 + i / n);
  let gu = new Float64Array(n);
  for (let iteration = 0; iteration < 500; iteration++) {
    gu = new Float64Array(n);
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) gu[a] += gram[a * n + b]! * u[b]!;
    const norm = Math.hypot(...gu);
    if (norm === 0) return new Float64Array(n);
    const next = gu.map((v) => v / norm);
    const change = Math.max(...next.map((v, i) => Math.abs(v - u[i]!)));
    u = next;
    if (change < 1e-12) break;
  }
  gu = new Float64Array(n);
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) gu[a] += gram[a * n + b]! * u[b]!;
  const lambda = u.reduce((s, v, i) => s + v * gu[i]!, 0);
  return lambda > 0 ? gu.map((v) => v / Math.sqrt(lambda)) : new Float64Array(n);
}

export const EIGEN_CAM: CamMethod = {
  name: "eigencam",
  label: "Eigen-CAM",
  usesGradients: false,
  relu: true,
  customMap: ({features}) => {
    const [h, w, k] = features.shape;
    const data = features.dataSync() as Float32Array;
    const scores = firstComponentScores(data, h * w, k);
    const total = new Float64Array(h * w);
    for (let i = 0; i < h * w; i++) for (let j = 0; j < k; j++) total[i] += data[i * k + j]!;
    const totalMean = total.reduce((s, v) => s + v, 0) / (h * w);
    const agreement = scores.reduce((s, v, i) => s + v * (total[i]! - totalMean), 0);
    return tf.tensor2d(Float32Array.from(scores, (v) => (agreement < 0 ? -v : v)), [h, w]);
  }
};
