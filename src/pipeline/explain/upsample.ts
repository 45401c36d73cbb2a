/**
 * Upsampling a heat map to the image: bilinear (half-pixel centres) or Lanczos-3 (the BAD paper's
 * choice). Lanczos is separable, so it is two small matrix products, R_y . M . R_x^T, with the
 * resampling matrices built here: the same arithmetic in Node and in the browser.
 */
import * as tf from "@tensorflow/tfjs";

export type UpsampleMethod = "bilinear" | "lanczos";

function lanczosKernel(x: number, a: number): number {
  if (x === 0) return 1;
  if (Math.abs(x) >= a) return 0;
  const px = Math.PI * x;
  return (a * Math.sin(px) * Math.sin(px / a)) / (px * px);
}

/**
 * [outSize, inSize] matrix mapping samples at half-pixel centres, each row summing to 1. As PIL's
 * resampler (which the BAD paper's pipeline used), taps that fall outside the image are dropped and
 * the remaining weights renormalised; clamping them to the edge instead moved small grids' values by
 * up to a quarter of the map's range. When downsampling the kernel is widened by the scale factor
 * (as PIL does) to avoid aliasing.
 */
export function lanczosMatrix(inSize: number, outSize: number, a = 3): Float32Array {
  const scale = inSize / outSize;
  const support = Math.max(1, scale);
  const matrix = new Float32Array(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    const centre = (i + 0.5) * scale - 0.5;
    const from = Math.max(0, Math.floor(centre - a * support));
    const to = Math.min(inSize - 1, Math.ceil(centre + a * support));
    let sum = 0;
    const row = new Float64Array(inSize);
    for (let j = from; j <= to; j++) {
      const weight = lanczosKernel((j - centre) / support, a);
      row[j] = weight;
      sum += weight;
    }
    for (let j = 0; j < inSize; j++) matrix[i * inSize + j] = sum !== 0 ? row[j]! / sum : 0;
  }
  return matrix;
}

/** [h, w] -> [height, width]. */
export function upsample(map: tf.Tensor2D, height: number, width: number, method: UpsampleMethod = "bilinear"): tf.Tensor2D {
  return tf.tidy((): tf.Tensor2D => {
    const [h, w] = map.shape;
    if (method === "bilinear")
      return tf.image.resizeBilinear(map.expandDims(2) as tf.Tensor3D, [height, width], false, true).squeeze([2]) as tf.Tensor2D;
    const rows = tf.tensor2d(lanczosMatrix(h, height), [height, h]);
    const columns = tf.tensor2d(lanczosMatrix(w, width), [width, w]);
    return rows.matMul(map).matMul(columns, false, true) as tf.Tensor2D;
  });
}

/** Min-max scaled to [0, 1]; a constant map becomes all zeros (it points nowhere). */
export function normaliseMap(map: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const min = map.min();
    const range = map.max().sub(min);
    const safe = tf.where(range.greater(0), range, tf.onesLike(range));
    return tf.where(range.greater(0), map.sub(min).div(safe), tf.zerosLike(map)) as tf.Tensor2D;
  });
}
