/**
 * The geometry of the model input, without TF.js: which region of an image becomes the square and
 * the whole blocks its area reduction averages. Shared by preprocess.ts (on tensors) and by the
 * reducing decoders of image/reduce.ts (on rows as they are decoded), so that the two cannot drift.
 */

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

/**
 * The area reduction of `box` towards `size`: blocks of kx x ky pixels (k = floor(box / size), at
 * least 1), over the whole blocks only (at most k - 1 pixels are dropped at the right and bottom).
 * `width` x `height` is the region averaged, in pixels of the image; the result has
 * width / kx x height / ky pixels, then resampled bilinearly to size x size.
 */
export function areaBlocks(box: Box, size: number): {kx: number; ky: number; width: number; height: number} {
  const ky = Math.max(1, Math.floor(box.height / size));
  const kx = Math.max(1, Math.floor(box.width / size));
  return {kx, ky, width: kx * Math.floor(box.width / kx), height: ky * Math.floor(box.height / ky)};
}
