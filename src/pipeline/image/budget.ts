/**
 * The memory a decode will take, from the header alone, so an image that would exhaust memory is
 * refused before any pixel buffer exists. The pixel limit alone is not enough: an 8000 x 8000 JPEG
 * of 2.5 MB is under it, yet jpeg-js keeps every DCT block as int32 (about 21 bytes per pixel for
 * colour), and a 16-bit RGBA PNG of 8192 x 8191 inflates to 537 MB before one float is written.
 */
import {readDicomHeader} from "./dicom.js";
import {readJpegHeader} from "./jpeg.js";
import {readPngHeader} from "./png.js";
import type {ImageFormat} from "./types.js";

const PNG_SAMPLES: Record<number, number> = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4};

/** Bytes the decoder and its float output hold at once, at their peak (an upper estimate). */
export function decodeMemoryBytes(format: ImageFormat, bytes: Uint8Array): number {
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
  const {width, height} = readDicomHeader(bytes);
  // Up to 16-bit samples (RGB at most 3 per pixel) as stored, as numbers after rescale/VOI, as Float32.
  return width * height * 3 * (2 + 4 + 4);
}
