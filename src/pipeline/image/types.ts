/** What every decoder returns: pixels as intensities in [0, 1], the same in Node and the browser. */
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
}

/** Why an image could not be read. Each code is a distinct, user-explainable condition. */
export type ImageErrorCode =
  | "empty" // zero bytes
  | "unknown-format" // not PNG, JPEG or DICOM (e.g. a text file renamed .png)
  | "truncated" // the file ends before its data does
  | "corrupt" // structurally invalid data
  | "too-large" // the header claims more pixels than the limit
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
  /** Refuse images with more pixels than this before allocating them. Default 64 megapixels. */
  maxPixels?: number;
  /**
   * Refuse images whose decoding would hold more memory than this, in bytes, estimated from the
   * header before allocating (budget.ts). Default 512 MiB.
   */
  maxDecodeBytes?: number;
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

export const DEFAULT_MAX_PIXELS = 64 * 1024 * 1024;
export const DEFAULT_MAX_DECODE_BYTES = 512 * 2 ** 20;
