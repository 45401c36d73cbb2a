/**
 * Structural similarity (Wang et al. 2004) of two grey images in [0, 1] (data range L = 1).
 * Two variants: the standard one (11x11 Gaussian window, sigma 1.5, valid positions only, as
 * skimage with gaussian_weights=True) and Chester's app (8x8 non-overlapping windows).
 */
import * as tf from "@tensorflow/tfjs";

export const SSIM_K1 = 0.01;
export const SSIM_K2 = 0.03;

function gaussianKernel(size: number, sigma: number): Float32Array {
  const half = (size - 1) / 2;
  const values = Float32Array.from({length: size}, (_, i) => Math.exp(-((i - half) ** 2) / (2 * sigma * sigma)));
  const sum = values.reduce((a, b) => a + b, 0);
  return values.map((v) => v / sum);
}

/** Per-window SSIM values from local means, variances and covariance (any window shape). */
function ssimFromMoments(
  mx: tf.Tensor, my: tf.Tensor, mxx: tf.Tensor, myy: tf.Tensor, mxy: tf.Tensor
): tf.Tensor {
  const c1 = SSIM_K1 ** 2;
  const c2 = SSIM_K2 ** 2;
  const vx = mxx.sub(mx.square());
  const vy = myy.sub(my.square());
  const cov = mxy.sub(mx.mul(my));
  const numerator = mx.mul(my).mul(2).add(c1).mul(cov.mul(2).add(c2));
  const denominator = mx.square().add(my.square()).add(c1).mul(vx.add(vy).add(c2));
  return numerator.div(denominator);
}

/** Standard SSIM map [H-10, W-10] of two [H, W] images. */
export function ssimMap(x: tf.Tensor2D, y: tf.Tensor2D, windowSize = 11, sigma = 1.5): tf.Tensor2D {
  checkShapes(x, y, windowSize);
  return tf.tidy(() => {
    const g = gaussianKernel(windowSize, sigma);
    const column = tf.tensor4d(g, [windowSize, 1, 1, 1]);
    const row = tf.tensor4d(g, [1, windowSize, 1, 1]);
    // Separable Gaussian filter over the five moments at once, stacked as a batch.
    const stack = tf.stack([x, y, x.square(), y.square(), x.mul(y)]).expandDims(3) as tf.Tensor4D;
    const filtered = tf.conv2d(tf.conv2d(stack, column, 1, "valid"), row, 1, "valid");
    const [mx, my, mxx, myy, mxy] = tf.unstack(filtered.squeeze([3]));
    return ssimFromMoments(mx!, my!, mxx!, myy!, mxy!) as tf.Tensor2D;
  });
}

/** Mean standard SSIM, as a scalar tensor. */
export function ssim(x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => ssimMap(x, y).mean());
}

/** Chester's variant: SSIM on non-overlapping 8x8 windows (plain means), averaged. */
export function ssimBlocks(x: tf.Tensor2D, y: tf.Tensor2D, block = 8): tf.Scalar {
  checkShapes(x, y, block);
  return tf.tidy(() => {
    const stack = tf.stack([x, y, x.square(), y.square(), x.mul(y)]).expandDims(3) as tf.Tensor4D;
    const pooled = tf.avgPool(stack, block, block, "valid").squeeze([3]);
    const [mx, my, mxx, myy, mxy] = tf.unstack(pooled);
    return ssimFromMoments(mx!, my!, mxx!, myy!, mxy!).mean();
  });
}

/** A window larger than the image would make an empty (or, on wasm, invalid) convolution. */
function checkShapes(x: tf.Tensor2D, y: tf.Tensor2D, window: number) {
  if (x.shape[0] !== y.shape[0] || x.shape[1] !== y.shape[1])
    throw new Error(`SSIM needs two images of the same size, got ${x.shape} and ${y.shape}`);
  if (x.shape[0] < window || x.shape[1] < window)
    throw new Error(`SSIM with a ${window}x${window} window needs an image at least that large, got ${x.shape[0]}x${x.shape[1]}`);
}
