/**
 * PNG decoding via fast-png. We walk the chunk list ourselves first: fast-png reads past the end of a
 * cut-off file with a generic RangeError, and we want "truncated" and the IHDR size before any
 * pixel buffer exists.
 */
import {decode as fastPngDecode} from "fast-png";
import {readerOf, type ByteReader} from "./byte-reader.js";
import {ImageDecodeError, type DecodedImage} from "./types.js";

export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

const COLOUR_TYPES: Record<number, {name: string; samples: number}> = {
  0: {name: "greyscale", samples: 1},
  2: {name: "RGB", samples: 3},
  3: {name: "palette", samples: 1},
  4: {name: "greyscale+alpha", samples: 2},
  6: {name: "RGBA", samples: 4}
};

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colourType: number;
  interlaced: boolean;
}

const u32 = (b: Uint8Array, at: number) => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

/** Reads IHDR only (33 bytes): cheap, no allocation. */
export function readPngHeader(bytes: Uint8Array): PngHeader {
  for (let i = 0; i < Math.min(8, bytes.length); i++) {
    if (bytes[i] !== PNG_SIGNATURE[i]) throw new ImageDecodeError("corrupt", "PNG signature is damaged");
  }
  if (bytes.length < 33) throw new ImageDecodeError("truncated", `PNG file ends after ${bytes.length} bytes, inside its header`);
  const type = String.fromCharCode(bytes[12]!, bytes[13]!, bytes[14]!, bytes[15]!);
  if (type !== "IHDR" || u32(bytes, 8) !== 13) throw new ImageDecodeError("corrupt", `PNG does not start with an IHDR chunk (found "${type}")`);
  const header = {
    width: u32(bytes, 16),
    height: u32(bytes, 20),
    bitDepth: bytes[24]!,
    colourType: bytes[25]!,
    interlaced: bytes[28] === 1
  };
  if (header.width === 0 || header.height === 0 || header.width > 0x7fffffff || header.height > 0x7fffffff) {
    throw new ImageDecodeError("corrupt", `PNG header gives an impossible size ${header.width}x${header.height}`);
  }
  const allowedDepths: Record<number, number[]> = {0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]};
  if (!allowedDepths[header.colourType]?.includes(header.bitDepth)) {
    throw new ImageDecodeError("corrupt", `PNG header has an invalid colour type ${header.colourType} / bit depth ${header.bitDepth}`);
  }
  return header;
}

/** Checks that every chunk fits in the file and that IEND is reached; says "truncated" otherwise. */
export function checkChunks(file: Uint8Array | ByteReader): {hasTransparency: boolean} {
  const reader = readerOf(file);
  let at = 8;
  let sawData = false;
  let hasTransparency = false;
  while (at + 8 <= reader.length) {
    const head = reader.read(at, at + 8);
    const length = u32(head, 0);
    const type = String.fromCharCode(head[4]!, head[5]!, head[6]!, head[7]!);
    if (!/^[A-Za-z]{4}$/.test(type)) throw new ImageDecodeError("corrupt", `PNG chunk at byte ${at} has an invalid type`);
    if (at + 12 + length > reader.length) {
      throw new ImageDecodeError("truncated", `PNG file ends inside its ${type} chunk (needs ${at + 12 + length} bytes, has ${reader.length})`);
    }
    if (type === "IDAT") sawData = true;
    if (type === "tRNS") hasTransparency = true;
    if (type === "IEND") {
      if (!sawData) throw new ImageDecodeError("corrupt", "PNG has no image data (IDAT) chunk");
      return {hasTransparency};
    }
    at += 12 + length;
  }
  throw new ImageDecodeError("truncated", `PNG file ends after ${reader.length} bytes without its IEND chunk`);
}

export function decodePng(bytes: Uint8Array): DecodedImage {
  const header = readPngHeader(bytes);
  const {hasTransparency} = checkChunks(bytes);
  // fast-png's Adam7 path assumes whole bytes per pixel, so it would scramble 1/2/4-bit interlaced images.
  if (header.interlaced && header.bitDepth < 8) {
    throw new ImageDecodeError("unsupported", `interlaced (Adam7) PNG with ${header.bitDepth}-bit samples is not supported; re-save it non-interlaced or at 8 bits`);
  }
  let png;
  try {
    png = fastPngDecode(bytes, {checkCrc: true});
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const why = /EOF|past the end|outside the bounds/i.test(message + String((error as {cause?: unknown})?.cause ?? ""))
      ? "truncated"
      : "corrupt";
    throw new ImageDecodeError(why, `PNG could not be decoded: ${message}`, undefined, {cause: error});
  }
  const {width, height} = png;
  const depth = png.depth;
  const colour = COLOUR_TYPES[header.colourType]!;
  const isPalette = header.colourType === 3;
  const outChannels: 1 | 3 = colour.samples >= 3 || isPalette ? 3 : 1;
  const samples = colour.samples;
  const maxValue = (1 << depth) - 1;
  const data = new Float32Array(width * height * outChannels);
  const src = png.data;

  // Sub-byte depths arrive packed (rows byte-aligned); 8/16 bit arrive one sample per element.
  const rowSamples = width * samples;
  const bytesPerRow = Math.ceil((rowSamples * depth) / 8);
  const sampleAt =
    depth >= 8
      ? (y: number, i: number) => src[y * rowSamples + i]!
      : (y: number, i: number) => {
          const bit = i * depth;
          const byte = src[y * bytesPerRow + (bit >> 3)]!;
          return (byte >> (8 - depth - (bit & 7))) & maxValue;
        };

  const palette = png.palette;
  if (isPalette && !palette) throw new ImageDecodeError("corrupt", "palette PNG has no PLTE chunk");
  let o = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (isPalette) {
        const entry = palette![sampleAt(y, x)];
        if (!entry) throw new ImageDecodeError("corrupt", "PNG pixel refers to a palette entry that does not exist");
        data[o++] = entry[0]! / 255;
        data[o++] = entry[1]! / 255;
        data[o++] = entry[2]! / 255;
      } else {
        // Copy grey or RGB, skipping the alpha sample (the last one in grey+alpha and RGBA).
        for (let c = 0; c < outChannels; c++) data[o++] = sampleAt(y, x * samples + c) / maxValue;
      }
    }
  }
  return {
    width,
    height,
    channels: outChannels,
    data,
    format: "png",
    bitDepth: depth,
    info: {
      colourType: colour.name,
      bitDepth: depth,
      interlaced: header.interlaced,
      hadAlpha: samples === 2 || samples === 4 || hasTransparency
    }
  };
}
