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
import {areaBlocks, inputBox, type Box, type ResizeMode} from "./input-box.js";
import {storedSize, type DecodedImage, type ReducedSquare, type Reduction} from "./image/types.js";

export {inputBox, type Box, type ResizeMode};

const LUMA = [0.299, 0.587, 0.114];

/** The decoded image as a grey [H, W] tensor in [0, 1]. */
export function greyTensor(image: DecodedImage): tf.Tensor2D {
  const {width, height, channels, data} = image;
  if (channels === 1) return tf.tensor2d(data, [height, width]);
  return tf.tidy(() => tf.tensor3d(data, [height, width, 3]).mul(tf.tensor1d(LUMA)).sum(2) as tf.Tensor2D);
}

/** Step 4: an area-reduced [h, w, 1] region to size x size. */
function bilinearTo(region: tf.Tensor3D, size: number): tf.Tensor2D {
  if (region.shape[0] === size && region.shape[1] === size) return region.squeeze([2]) as tf.Tensor2D;
  return tf.image.resizeBilinear(region, [size, size], false, true).squeeze([2]) as tf.Tensor2D;
}

/** Steps 2-4 above on a grey [H, W] tensor. */
export function resizeToSquare(grey: tf.Tensor2D, box: Box, size: number): tf.Tensor2D {
  return tf.tidy(() => {
    // Whole blocks only: at most k - 1 pixels are dropped at the right and bottom edges.
    const {kx, ky, width: w, height: h} = areaBlocks(box, size);
    let region = grey.slice([box.y, box.x], [h, w]).expandDims(2) as tf.Tensor3D;
    if (ky > 1 || kx > 1) region = tf.avgPool(region, [ky, kx], [ky, kx], "valid");
    return bilinearTo(region, size);
  });
}

/** The input box in the pixels of a reduced copy (rounded when its blocks are not aligned on it). */
function reducedBox(box: Box, r: Reduction, width: number, height: number): Box {
  const x = Math.min(width - 1, Math.max(0, Math.round((box.x - r.x) / r.factor)));
  const y = Math.min(height - 1, Math.max(0, Math.round((box.y - r.y) / r.factor)));
  return {x, y, width: Math.max(1, Math.min(width - x, Math.floor(box.width / r.factor))), height: Math.max(1, Math.min(height - y, Math.floor(box.height / r.factor)))};
}

/** Step 4 from the area reduction the decoder made of the full-resolution pixels (image/reduce.ts). */
function fromReducedSquare(square: ReducedSquare, size: number): tf.Tensor2D {
  return tf.tidy(() => bilinearTo(tf.tensor3d(square.data, [square.height, square.width, 1]), size));
}

export interface PreparedImage {
  /** Grey pixels [size, size] in [0, 1], as the model sees them before normalisation. */
  pixels: tf.Tensor2D;
  box: Box;
}

/**
 * Decoded image -> grey squares of each size (converted to grey once). The caller disposes them.
 * `box` is in the stored image's pixels. An image decoded reduced (`image.reduced`, too large to
 * hold) gives each square from the area reduction the decoder made for it at full resolution, the
 * same as from the full image within float rounding; a size the decoder was not told of is
 * resampled from the reduced copy instead (close, not the same).
 */
export function prepareSizes(image: DecodedImage, sizes: number[], mode: ResizeMode = "crop"): {box: Box; squares: tf.Tensor2D[]} {
  const stored = storedSize(image);
  const box = inputBox(stored.width, stored.height, mode);
  const reduced = image.reduced;
  const squares = tf.tidy(() => {
    let grey: tf.Tensor2D | undefined;
    return sizes.map((size) => {
      const exact = reduced?.squares.find((s) => s.size === size && s.mode === mode);
      if (exact) return fromReducedSquare(exact, size);
      grey ??= greyTensor(image);
      return resizeToSquare(grey, reduced ? reducedBox(box, reduced, image.width, image.height) : box, size);
    });
  });
  return {box, squares};
}

/** Decoded image -> grey square of `size` pixels. The caller disposes `pixels`. */
export function prepare(image: DecodedImage, size: number, mode: ResizeMode = "crop"): PreparedImage {
  const {box, squares} = prepareSizes(image, [size], mode);
  return {pixels: squares[0]!, box};
}
