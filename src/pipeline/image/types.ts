/** What every decoder returns: pixels as intensities in [0, 1], the same in Node and the browser. */
import type {Box, ResizeMode} from "../input-box.js";

export type ImageFormat = "png" | "jpeg" | "dicom";

export interface DecodedImage {
  width: number;
  height: number;
  /** Samples per pixel in `data`: 1 (grey) or 3 (RGB). Alpha is dropped, palettes are expanded. */
  channels: 1 | 3;
  /**
   * Row-major, channel-interleaved intensities in [0, 1]. For DICOM these are the values after
   * rescale slope/intercept and the VOI window/LUT, with MONOCHROME1 already inverted, so 0 is
   * always black as displayed.
   */
  data: Float32Array;
  format: ImageFormat;
  /** Bits per sample of the stored image (8 or 16 for PNG, 8 for JPEG, BitsStored for DICOM). */
  bitDepth: number;
  /** Facts worth showing a user: colour type, transfer syntax, photometric interpretation, window used. */
  info: Record<string, string | number | boolean>;
  /**
   * Present when the image was too large to hold at full resolution (DecodeOptions.maxDecodeBytes):
   * then `data` is a grey (channels 1) reduced copy of `width` x `height` pixels, made while
   * decoding, and this says how it relates to the stored image (whose size it gives).
   */
  reduced?: Reduction;
}

/** What a caller will prepare from the image (preprocess.ts): the square sizes and the resize mode. */
export interface ReduceTarget {
  sizes: number[];
  mode: ResizeMode;
}

/** The exact area reduction of one model input's box (preprocess.ts step 3), made while decoding. */
export interface ReducedSquare {
  size: number;
  mode: ResizeMode;
  /** The input box in the stored image's pixels, and its blocks (input-box.ts areaBlocks). */
  box: Box;
  kx: number;
  ky: number;
  /** The block means, row-major: what avgPool gives from the full-resolution grey image. */
  width: number;
  height: number;
  data: Float32Array;
}

export interface Reduction {
  /** The stored image's size. */
  width: number;
  height: number;
  /** Each pixel of the reduced copy is the mean of a factor x factor block of the stored image's grey, the blocks starting at (x, y). */
  factor: number;
  x: number;
  y: number;
  /** One per size of DecodeOptions.reduceFor (none without it). */
  squares: ReducedSquare[];
}

/** The stored image's size, whether it was decoded at full resolution or reduced. */
export function storedSize(image: Pick<DecodedImage, "width" | "height" | "reduced">): {width: number; height: number} {
  return image.reduced ? {width: image.reduced.width, height: image.reduced.height} : {width: image.width, height: image.height};
}

/** Why an image could not be read. Each code is a distinct, user-explainable condition. */
export type ImageErrorCode =
  | "empty" // zero bytes
  | "unknown-format" // not PNG, JPEG or DICOM (e.g. a text file renamed .png)
  | "truncated" // the file ends before its data does
  | "corrupt" // structurally invalid data
  | "too-large" // the header claims more pixels than the limit, or the decode would need more memory than its budget even reduced
  | "unsupported"; // a valid file using a feature we do not decode (named in the message)

export class ImageDecodeError extends Error {
  readonly code: ImageErrorCode;
  readonly fileName: string | undefined;
  constructor(code: ImageErrorCode, message: string, fileName?: string, options?: {cause?: unknown}) {
    super(fileName ? `${fileName}: ${message}` : message, options);
    this.name = "ImageDecodeError";
    this.code = code;
    this.fileName = fileName;
  }
}

export interface DecodeOptions {
  /** Shown in error messages. */
  name?: string;
  /** Refuse images with more pixels than this before allocating anything. Default 30000 x 30000. */
  maxPixels?: number;
  /**
   * The memory, in bytes, a decode may hold (estimated from the header before allocating,
   * budget.ts). An image whose full-resolution decode would take more is decoded reduced (grey,
   * row by row into block means: `DecodedImage.reduced`); one whose reduced decode would still take
   * more (a progressive JPEG's coefficients, a compressed DICOM frame) is refused. Default 128 MiB.
   */
  maxDecodeBytes?: number;
  /**
   * When the image is decoded reduced: the squares the caller will prepare, so that each gets its
   * exact area reduction from the full-resolution pixels (preprocess.ts then gives what it would
   * have given from the full image). Without it the squares are resampled from the reduced copy.
   */
  reduceFor?: ReduceTarget;
  /** Decode reduced even when a full-resolution decode would fit the budget (for a caller that never needs full resolution, and for tests). */
  reduce?: boolean;
  /**
   * DICOM without a VOI LUT or window: "full-range" (default, PS3.3 C.11.2: the range the stored
   * values can take, after rescale) or "min-max" (this image's own range, chosen explicitly).
   */
  voi?: "full-range" | "min-max";
  /**
   * false: skip the file's own VOI LUT and window (as if it had none), so `voi` decides; for a
   * viewer that windows the modality values itself. Default true (what the models see).
   */
  fileVoi?: boolean;
}

/** 900 megapixels: decoding that many pixels, even streamed, takes minutes; beyond it an image is refused. */
export const DEFAULT_MAX_PIXELS = 30000 * 30000;
export const DEFAULT_MAX_DECODE_BYTES = 128 * 2 ** 20;
