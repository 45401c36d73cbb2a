/**
 * JPEG decoding via jpeg-js. We walk the marker segments ourselves first because jpeg-js, in its
 * tolerant mode, happily decodes a cut-off file into a half-grey picture; a medical image missing
 * its lower half must be refused as "truncated" instead.
 */
import jpegJs from "jpeg-js";
import {decodeJpegRows, type JpegRowsOptions} from "./jpeg-stream.js";
import {GreyReducer, LUMA_8} from "./reduce.js";
import {ImageDecodeError, type DecodedImage, type ReduceTarget} from "./types.js";

/** Frame types (SOFn markers), named as in ITU T.81 so unsupported ones can be explained. */
const PROCESSES: Record<number, string> = {
  0xc0: "baseline",
  0xc1: "extended sequential",
  0xc2: "progressive",
  0xc3: "lossless",
  0xc5: "differential sequential",
  0xc6: "differential progressive",
  0xc7: "differential lossless",
  0xc9: "extended sequential, arithmetic-coded",
  0xca: "progressive, arithmetic-coded",
  0xcb: "lossless, arithmetic-coded",
  0xcd: "differential sequential, arithmetic-coded",
  0xce: "differential progressive, arithmetic-coded",
  0xcf: "differential lossless, arithmetic-coded"
};

export interface JpegHeader {
  width: number;
  height: number;
  components: number;
  precision: number;
  /** e.g. "baseline", "progressive"; see PROCESSES. */
  process: string;
  marker: number;
  /** Transform flag of an Adobe APP14 segment: 0 = none (RGB/CMYK), 1 = YCbCr, 2 = YCCK. */
  adobeTransform?: number;
}

const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;
const truncated = (bytes: Uint8Array, where: string) =>
  new ImageDecodeError("truncated", `JPEG file ends ${where} (after ${bytes.length} bytes, before its end-of-image marker)`);

/**
 * Walks the marker segments. With `untilFrame` it stops at the frame header (cheap, for size checks);
 * otherwise it goes on to the end-of-image marker so a cut-off file is detected.
 */
function scanJpeg(bytes: Uint8Array, untilFrame: boolean): JpegHeader {
  if (bytes.length < 2 || bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new ImageDecodeError("corrupt", "JPEG does not start with FF D8");
  let frame: JpegHeader | undefined;
  let adobeTransform: number | undefined;
  let at = 2;
  for (;;) {
    if (at >= bytes.length) throw truncated(bytes, "between segments");
    if (bytes[at] !== 0xff) throw new ImageDecodeError("corrupt", `JPEG has no marker where one is expected (byte ${at})`);
    while (at < bytes.length && bytes[at] === 0xff) at++; // fill bytes
    if (at >= bytes.length) throw truncated(bytes, "inside a marker");
    const marker = bytes[at++]!;
    if (marker === 0xd9) break; // EOI
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue; // stand-alone markers
    if (at + 2 > bytes.length) throw truncated(bytes, "inside a segment header");
    const length = u16(bytes, at);
    if (length < 2) throw new ImageDecodeError("corrupt", `JPEG segment FF${marker.toString(16).toUpperCase()} has an invalid length`);
    if (at + length > bytes.length) throw truncated(bytes, `inside its FF${marker.toString(16).toUpperCase()} segment`);
    if (PROCESSES[marker] !== undefined && length >= 8) {
      frame = {
        precision: bytes[at + 2]!,
        height: u16(bytes, at + 3),
        width: u16(bytes, at + 5),
        components: bytes[at + 7]!,
        process: PROCESSES[marker]!,
        marker
      };
      if (adobeTransform !== undefined) frame.adobeTransform = adobeTransform;
      if (untilFrame) return frame;
    }
    if (marker === 0xee && length >= 14 && String.fromCharCode(...bytes.subarray(at + 2, at + 7)) === "Adobe") {
      adobeTransform = bytes[at + 13]!;
      if (frame) frame.adobeTransform = adobeTransform;
    }
    at += length;
    if (marker === 0xda) {
      if (!frame) throw new ImageDecodeError("corrupt", "JPEG scan starts before the frame header");
      // Entropy-coded data: skip to the next real marker (FF00 is a stuffed byte, FFD0-D7 are restarts).
      for (;;) {
        if (at + 1 >= bytes.length) throw truncated(bytes, "inside its compressed image data");
        if (bytes[at] !== 0xff) {
          at++;
          continue;
        }
        const next = bytes[at + 1]!;
        if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) at += next === 0xff ? 1 : 2;
        else break;
      }
    }
  }
  if (!frame) throw new ImageDecodeError("corrupt", "JPEG has no frame header (SOF segment)");
  return frame;
}

/** Size and kind from the frame header only: no pixel work, no allocation. */
export function readJpegHeader(bytes: Uint8Array): JpegHeader {
  return scanJpeg(bytes, true);
}

export interface JpegSamples {
  width: number;
  height: number;
  /** 1 for greyscale, 3 for colour (YCbCr, RGB, CMYK and YCCK all end up as RGB). */
  components: 1 | 3;
  samples: Uint8Array;
  header: JpegHeader;
  colourModel: string;
}

/** What a JPEG must be for our decoders, and how its components are to be read. */
function checkJpeg(bytes: Uint8Array, options: {colorTransform?: boolean}): {header: JpegHeader; ycbcr: boolean; colourModel: string} {
  const header = scanJpeg(bytes, false);
  const {width, height, components, precision, process} = header;
  if (header.marker > 0xc2) {
    throw new ImageDecodeError("unsupported", `JPEG ${process} coding is not supported (only baseline, extended sequential and progressive)`);
  }
  if (precision !== 8) throw new ImageDecodeError("unsupported", `${precision}-bit JPEG is not supported (only 8-bit)`);
  if (height === 0 || width === 0) throw new ImageDecodeError("unsupported", "JPEG whose height is given later in a DNL marker is not supported");
  if (components !== 1 && components !== 3 && components !== 4) {
    throw new ImageDecodeError("unsupported", `JPEG with ${components} colour components is not supported`);
  }
  if (components === 4 && header.adobeTransform === undefined) {
    throw new ImageDecodeError("unsupported", "4-component JPEG without an Adobe marker: its colour space (CMYK or YCCK) is ambiguous");
  }
  // 3 components are YCbCr unless an Adobe marker (transform 0) or the caller says RGB; jpeg-js
  // itself ignores Adobe transform 0 for 3 components, so we always tell it.
  const ycbcr = options.colorTransform ?? header.adobeTransform !== 0;
  const colourModel =
    components === 1 ? "greyscale" : components === 3 ? (ycbcr ? "YCbCr" : "RGB") : header.adobeTransform === 2 ? "YCCK" : "CMYK";
  return {header, ycbcr, colourModel};
}

/**
 * Decodes to 8-bit samples. `colorTransform` overrides the YCbCr->RGB guess for 3-component data
 * (DICOM says in its Photometric Interpretation whether the components are RGB or YCbCr).
 */
export function decodeJpegSamples(bytes: Uint8Array, options: {colorTransform?: boolean} = {}): JpegSamples {
  const {header, ycbcr, colourModel} = checkJpeg(bytes, options);
  const {width, height, components} = header;

  // jpeg-js keeps 8x8 blocks of int32 per component (4 bytes/sample, padded to whole MCUs) plus
  // component lines, a copy and the RGB output: budget that, for this image, with some slack.
  const padded = (Math.ceil(width / 32) * 32) * (Math.ceil(height / 32) * 32);
  const maxMemoryUsageInMB = Math.ceil((padded * (components * 6 + 3)) / 2 ** 20) + 32;
  let decoded;
  try {
    decoded = jpegJs.decode(bytes, {
      useTArray: true, // Uint8Array output: no Buffer, so it runs in the browser
      formatAsRGBA: false,
      maxResolutionInMP: Math.ceil((width * height) / 1e6) + 1, // our own limit was checked before
      maxMemoryUsageInMB,
      ...(components === 3 ? {colorTransform: ycbcr} : {})
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ImageDecodeError("corrupt", `JPEG could not be decoded: ${message}`, undefined, {cause: error});
  }
  let samples = decoded.data;
  if (components === 1) {
    // jpeg-js always writes RGB; keep one of the three identical samples.
    const grey = new Uint8Array(width * height);
    for (let i = 0; i < grey.length; i++) grey[i] = samples[i * 3]!;
    samples = grey;
  }
  return {width, height, components: components === 1 ? 1 : 3, samples, header, colourModel};
}

export function decodeJpeg(bytes: Uint8Array): DecodedImage {
  const {width, height, components, samples, header, colourModel} = decodeJpegSamples(bytes);
  const data = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) data[i] = samples[i]! / 255;
  return {
    width,
    height,
    channels: components,
    data,
    format: "jpeg",
    bitDepth: 8,
    info: {process: header.process, components: header.components, colourModel}
  };
}

/**
 * The rows of a JPEG as 8-bit samples (1 grey or 3 RGB per pixel), a band at a time, through
 * jpeg-stream.ts: the same samples as decodeJpegSamples without holding the image. `samples` is
 * reused between calls.
 */
export function decodeJpegRowsChecked(
  bytes: Uint8Array,
  options: {colorTransform?: boolean},
  onRow: (y: number, samples: Uint8Array) => void
): {width: number; height: number; components: 1 | 3; header: JpegHeader; colourModel: string} {
  const {header, ycbcr, colourModel} = checkJpeg(bytes, options);
  const stream: JpegRowsOptions = {colorTransform: ycbcr};
  if (header.adobeTransform !== undefined) stream.adobeTransform = header.adobeTransform;
  const {components} = decodeJpegRows(bytes, stream, onRow);
  return {width: header.width, height: header.height, components, header, colourModel};
}

/** A JPEG too large to hold, decoded reduced (reduce.ts): grey rows into block means. */
export function decodeJpegReduced(bytes: Uint8Array, target?: ReduceTarget): DecodedImage {
  const {width, height} = readJpegHeader(bytes);
  // Made at the first row, after the file has been checked: a lying header allocates nothing.
  let reducer: GreyReducer | undefined;
  const grey = new Float64Array(width);
  const {header, colourModel} = decodeJpegRowsChecked(bytes, {}, (y, samples) => {
    reducer ??= new GreyReducer(width, height, target);
    if (samples.length === width) for (let x = 0; x < width; x++) grey[x] = samples[x]! / 255;
    else for (let x = 0, o = 0; x < width; x++, o += 3) grey[x] = LUMA_8[samples[o]!]! + LUMA_8[256 + samples[o + 1]!]! + LUMA_8[512 + samples[o + 2]!]!;
    reducer.addRow(y, grey);
  });
  if (!reducer) throw new ImageDecodeError("corrupt", "JPEG has no image rows");
  const reduced = reducer.finish();
  return {
    width: reduced.width,
    height: reduced.height,
    channels: 1,
    data: reduced.data,
    format: "jpeg",
    bitDepth: 8,
    info: {process: header.process, components: header.components, colourModel, reducedBy: reduced.reduced.factor},
    reduced: reduced.reduced
  };
}
