/**
 * Image -> model input, in TF.js so Node and the browser compute the same tensor.
 *
 * The algorithm, exactly (the PyTorch training code mirrors it):
 * 1. grey = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601, as PIL's "L"), intensities in [0, 1];
 * 2. the box: "crop" takes the centred square of side min(width, height) (scale and centre-crop,
 *    Chester section 5.1); "stretch" takes the whole image and distorts its aspect ratio;
 * 3. area pre-reduction: when the box is at least twice the target, average k x k blocks with
 *    k = floor(box / size) (bilinear sampling alone would alias a 2,900-pixel image down to 224);
 * 4. bilinear resize to size x size with half-pixel centres (PyTorch's align_corners=False).
 */
import * as tf from "@tensorflow/tfjs";
import type {DecodedImage} from "./image/types.js";

export type ResizeMode = "crop" | "stretch";

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The region of a width x height image that becomes the square model input. */
export function inputBox(width: number, height: number, mode: ResizeMode): Box {
  if (mode === "stretch") return {x: 0, y: 0, width, height};
  const side = Math.min(width, height);
  return {x: Math.floor((width - side) / 2), y: Math.floor((height - side) / 2), width: side, height: side};
}

const LUMA = [0.299, 0.587, 0.114];

/** The decoded image as a grey [H, W] tensor in [0, 1]. */
export function greyTensor(image: DecodedImage): tf.Tensor2D {
  const {width, height, channels, data} = image;
  if (channels === 1) return tf.tensor2d(data, [height, width]);
  return tf.tidy(() => tf.tensor3d(data, [height, width, 3]).mul(tf.tensor1d(LUMA)).sum(2) as tf.Tensor2D);
}

/** Steps 2-4 above on a grey [H, W] tensor. */
export function resizeToSquare(grey: tf.Tensor2D, box: Box, size: number): tf.Tensor2D {
  return tf.tidy(() => {
    const ky = Math.max(1, Math.floor(box.height / size));
    const kx = Math.max(1, Math.floor(box.width / size));
    // Whole blocks only: at most k - 1 pixels are dropped at the right and bottom edges.
    const h = ky * Math.floor(box.height / ky);
    const w = kx * Math.floor(box.width / kx);
    let region = grey.slice([box.y, box.x], [h, w]).expandDims(2) as tf.Tensor3D;
    if (ky > 1 || kx > 1) region = tf.avgPool(region, [ky, kx], [ky, kx], "valid");
    if (region.shape[0] === size && region.shape[1] === size) return region.squeeze([2]) as tf.Tensor2D;
    return tf.image.resizeBilinear(region, [size, size], false, true).squeeze([2]) as tf.Tensor2D;
  });
}

export interface PreparedImage {
  /** Grey pixels [size, size] in [0, 1], as the model sees them before normalisation. */
  pixels: tf.Tensor2D;
  box: Box;
}

/** Decoded image -> grey squares of each size (converted to grey once). The caller disposes them. */
export function prepareSizes(image: DecodedImage, sizes: number[], mode: ResizeMode = "crop"): {box: Box; squares: tf.Tensor2D[]} {
  const box = inputBox(image.width, image.height, mode);
  const squares = tf.tidy(() => {
    const grey = greyTensor(image);
    return sizes.map((size) => resizeToSquare(grey, box, size));
  });
  return {box, squares};
}

/** Decoded image -> grey square of `size` pixels. The caller disposes `pixels`. */
export function prepare(image: DecodedImage, size: number, mode: ResizeMode = "crop"): PreparedImage {
  const {box, squares} = prepareSizes(image, [size], mode);
  return {pixels: squares[0]!, box};
}
