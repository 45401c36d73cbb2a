/**
 * A check of its own before any model sees the image: blank, near-constant (a flat grey, a smooth
 * ramp, a 1 x 1 image scaled up) and pure-noise images are refused with a verdict that says which.
 * An autoencoder reconstructs a flat image well (SSIM 0.99 for white), and a classifier says
 * something confident about anything, so neither can be trusted to refuse these.
 *
 * Three measures on the grey image prepared at 64 x 64 from the original, as the models' inputs are
 * (so they do not depend on the model's size; an image smaller than that is scaled up first):
 * - `contrast`: standard deviation of the intensities ([0, 1] scale);
 * - `detail`: mean |pixel - mean of its 3 x 3 neighbourhood|: zero for flat images and ramps;
 * - `correlation`: correlation of horizontally and vertically adjacent pixels (mean of the two):
 *   near 1 for photographs and radiographs, near 0 for noise.
 * The limits sit well below what any training or validation image of either bundle shows (measured
 * by `npm run ood-stats`, recorded in the card).
 */
import * as tf from "@tensorflow/tfjs";

export type ImageCheckCode = "too-small" | "near-constant" | "no-structure" | "noise";

export interface ImageCheckLimits {
  /** Smallest side in pixels of the original image. */
  minSide: number;
  minContrast: number;
  minDetail: number;
  minCorrelation: number;
}

export const DEFAULT_IMAGE_CHECK_LIMITS: ImageCheckLimits = {minSide: 8, minContrast: 0.02, minDetail: 0.002, minCorrelation: 0.3};

export interface ImageMeasures {
  contrast: number;
  detail: number;
  correlation: number;
}

export interface ImageCheck {
  ok: boolean;
  /** Why the image was refused (null when ok). */
  code: ImageCheckCode | null;
  message: string | null;
  measures: ImageMeasures;
}

export const CHECK_SIZE = 64;

/** The three measures of a grey [H, W] image in [0, 1], as one [3] tensor. Call inside tidy or dispose. */
export function imageMeasureTensor(grey: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const x = grey.shape[0] === CHECK_SIZE && grey.shape[1] === CHECK_SIZE ? grey
      : (tf.image.resizeBilinear(grey.expandDims(2) as tf.Tensor3D, [CHECK_SIZE, CHECK_SIZE], false, true).squeeze([2]) as tf.Tensor2D);
    const contrast = tf.moments(x).variance.sqrt();
    const local = tf.avgPool(x.reshape([1, CHECK_SIZE, CHECK_SIZE, 1]) as tf.Tensor4D, 3, 1, "valid").reshape([CHECK_SIZE - 2, CHECK_SIZE - 2]);
    const detail = x.slice([1, 1], [CHECK_SIZE - 2, CHECK_SIZE - 2]).sub(local).abs().mean();
    const correlation = (a: tf.Tensor, b: tf.Tensor) => {
      const da = a.sub(a.mean());
      const db = b.sub(b.mean());
      const denominator = da.square().sum().mul(db.square().sum()).sqrt();
      // A constant image has no correlation to speak of: 0, and the contrast check names it.
      return tf.where(denominator.greater(1e-12), da.mul(db).sum().div(denominator.maximum(1e-12)), tf.scalar(0));
    };
    const horizontal = correlation(x.slice([0, 0], [CHECK_SIZE, CHECK_SIZE - 1]), x.slice([0, 1], [CHECK_SIZE, CHECK_SIZE - 1]));
    const vertical = correlation(x.slice([0, 0], [CHECK_SIZE - 1, CHECK_SIZE]), x.slice([1, 0], [CHECK_SIZE - 1, CHECK_SIZE]));
    return tf.stack([contrast, detail, horizontal.add(vertical).div(2)]) as tf.Tensor1D;
  });
}

export function measureImage(grey: tf.Tensor2D): ImageMeasures {
  const tensor = imageMeasureTensor(grey);
  const [contrast, detail, correlation] = tensor.dataSync();
  tensor.dispose();
  return {contrast: contrast!, detail: detail!, correlation: correlation!};
}

/** The verdict for measures of an image of the given original size. */
export function judgeImage(
  measures: ImageMeasures,
  size: {width: number; height: number},
  limits: ImageCheckLimits = DEFAULT_IMAGE_CHECK_LIMITS
): ImageCheck {
  const refuse = (code: ImageCheckCode, message: string): ImageCheck => ({ok: false, code, message, measures});
  const side = Math.min(size.width, size.height);
  if (side < limits.minSide)
    return refuse("too-small", `the image is ${size.width} x ${size.height} pixels: too small to be a radiograph (at least ${limits.minSide} pixels a side)`);
  if (!(measures.contrast >= limits.minContrast))
    return refuse("near-constant", `the image is blank or nearly constant (intensity standard deviation ${measures.contrast.toFixed(4)}, below ${limits.minContrast})`);
  if (!(measures.detail >= limits.minDetail))
    return refuse("no-structure", `the image has no structure, only a smooth gradient (local detail ${measures.detail.toFixed(5)}, below ${limits.minDetail})`);
  if (!(measures.correlation >= limits.minCorrelation))
    return refuse("noise", `the image looks like noise: neighbouring pixels are unrelated (correlation ${measures.correlation.toFixed(3)}, below ${limits.minCorrelation})`);
  return {ok: true, code: null, message: null, measures};
}

export function checkImage(grey: tf.Tensor2D, size: {width: number; height: number}, limits?: ImageCheckLimits): ImageCheck {
  return judgeImage(measureImage(grey), size, limits);
}
