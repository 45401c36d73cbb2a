/**
 * The memory a decode will take, from the header alone, so that the decoder is chosen (and an image
 * refused) before any pixel buffer exists. The pixel count alone is not enough: an 8000 x 8000 JPEG
 * of 2.5 MB holds every DCT block as int32 in jpeg-js (about 21 bytes per pixel for colour), and a
 * 16-bit RGBA PNG of 8192 x 8191 inflates to 537 MB before one float is written. An image whose
 * full-resolution decode is over the budget is decoded reduced (reduce.ts), which holds far less:
 * reducedDecodeBytes.
 */
import {dicomFullBytes, dicomGeometry, dicomReducedBytes} from "./dicom.js";
import {readJpegHeader} from "./jpeg.js";
import {jpegStreamInfo} from "./jpeg-stream.js";
import {readPngHeader} from "./png.js";
import {pngReducedBytes} from "./png-stream.js";
import {GreyReducer} from "./reduce.js";
import type {ImageFormat, ReduceTarget} from "./types.js";

const PNG_SAMPLES: Record<number, number> = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4};

/**
 * The tensors preprocess.ts makes from a full-resolution image: the grey image and its crop (and
 * for colour the RGB image and its weighted copy), all float32, on a wasm heap that never shrinks.
 */
const preprocessBytes = (width: number, height: number, channels: number) => width * height * 4 * (channels === 1 ? 2 : 8);

/**
 * Bytes a full-resolution decode holds at its peak, with the tensors preprocessing then makes from
 * it (an upper estimate): what decides between a full and a reduced decode. At the default budget
 * (128 MiB) the audit peaks near 575 MB; the largest radiograph of the data (2444 x 2155, 111 MB
 * here) took 555 MB, a 3000 x 3000 one (184 MB) 642 MB, which is why it is decoded reduced.
 */
export function decodeMemoryBytes(format: ImageFormat, bytes: Uint8Array): number {
  return decoderBytes(format, bytes) + preprocessBytes(...outputOf(format, bytes));
}

function outputOf(format: ImageFormat, bytes: Uint8Array): [number, number, number] {
  if (format === "png") {
    const {width, height, colourType} = readPngHeader(bytes);
    return [width, height, colourType === 2 || colourType === 3 || colourType === 6 ? 3 : 1];
  }
  if (format === "jpeg") {
    const {width, height, components} = readJpegHeader(bytes);
    return [width, height, components === 1 ? 1 : 3];
  }
  const {width, height, samplesPerPixel} = dicomGeometry(bytes);
  return [width, height, samplesPerPixel];
}

/** Bytes the decoder and its float output hold at once, at their peak. */
function decoderBytes(format: ImageFormat, bytes: Uint8Array): number {
  if (format === "png") {
    const {width, height, bitDepth, colourType} = readPngHeader(bytes);
    const samples = PNG_SAMPLES[colourType] ?? 4;
    const rowBytes = Math.ceil((width * samples * bitDepth) / 8);
    const inflated = height * (rowBytes + 1); // zlib output, one filter byte per row
    const unpacked = bitDepth > 8 ? width * height * samples * 2 : height * rowBytes; // fast-png's pixel array
    const out = width * height * (samples >= 3 || colourType === 3 ? 3 : 1) * 4; // Float32 grey or RGB
    return inflated + unpacked + out;
  }
  if (format === "jpeg") {
    const {width, height, components} = readJpegHeader(bytes);
    // jpeg-js: int32 DCT blocks per component plus component lines and a copy, padded to whole MCUs;
    // then its RGB bytes and our Float32 output.
    const padded = Math.ceil(width / 32) * 32 * (Math.ceil(height / 32) * 32);
    return padded * (components * 6 + 3) + width * height * (components === 1 ? 1 : 3) * 4;
  }
  // The Float32 image, and a compressed frame's decoded samples (or a deflated data set, inflated).
  return dicomFullBytes(bytes);
}

/**
 * Bytes a reduced decode holds at its peak, besides the file: for PNG and a baseline JPEG a few rows
 * and the reducer; for a progressive (or multi-scan) JPEG every DCT coefficient as int16; for a
 * compressed DICOM frame its decoded samples. `why` says what dominates, for a refusal's message.
 */
export function reducedDecodeBytes(format: ImageFormat, bytes: Uint8Array, target?: ReduceTarget): {bytes: number; why: string} {
  if (format === "png") {
    const {width, height, bitDepth, colourType} = readPngHeader(bytes);
    const rowBytes = Math.ceil((width * (PNG_SAMPLES[colourType] ?? 4) * bitDepth) / 8);
    return {bytes: pngReducedBytes(width, height, rowBytes, target), why: "rows and block sums"};
  }
  if (format === "jpeg") {
    const info = jpegStreamInfo(bytes);
    const why = info.streamed ? "one row of blocks and block sums" : `every DCT coefficient, which a ${info.progressive ? "progressive" : "multi-scan"} JPEG needs until its last scan`;
    return {bytes: info.bytes + GreyReducer.bytes(info.width, info.height, target), why};
  }
  return dicomReducedBytes(bytes, target);
}
