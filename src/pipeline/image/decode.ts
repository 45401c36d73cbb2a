/**
 * One entry point for every image: sniff the format from the bytes (never the file name), check the
 * size the header claims before any pixel buffer exists, then decode: at full resolution when that
 * fits the memory budget, else reduced while decoding (reduce.ts), else refuse. Every failure
 * leaves as an ImageDecodeError, third-party exceptions included.
 */
import {loadDicomCodec} from "./codecs/index.js";
import {decodeDicom, decodeDicomReduced, looksLikeDicom, readDicomHeader, readDicomTransferSyntax} from "./dicom.js";
import {decodeJpeg, decodeJpegReduced, readJpegHeader} from "./jpeg.js";
import {decodePng, PNG_SIGNATURE, readPngHeader} from "./png.js";
import {decodePngReduced} from "./png-stream.js";
import {decodeMemoryBytes, reducedDecodeBytes} from "./budget.js";
import type {ByteReader} from "./byte-reader.js";
import {DEFAULT_MAX_DECODE_BYTES, DEFAULT_MAX_PIXELS, ImageDecodeError, type DecodedImage, type DecodeOptions, type ImageFormat} from "./types.js";

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

const startsWith = (bytes: Uint8Array, prefix: ArrayLike<number>) => {
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
};

/** The format from magic bytes, or an "unknown-format" error saying what the bytes look like. */
export function sniffFormat(bytes: Uint8Array): ImageFormat {
  if (bytes.length === 0) throw new ImageDecodeError("empty", "the file is empty (0 bytes)");
  // A file shorter than its own signature is a cut-off file of that format, not an unknown one.
  if (startsWith(bytes, PNG_SIGNATURE.subarray(0, Math.min(8, bytes.length)))) {
    if (bytes.length >= 8) return "png";
    throw new ImageDecodeError("truncated", `PNG file ends after ${bytes.length} bytes, inside its signature`);
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    if (bytes.length >= 3 && bytes[2] === 0xff) return "jpeg";
    if (bytes.length < 3) throw new ImageDecodeError("truncated", `JPEG file ends after ${bytes.length} bytes`);
  }
  if (looksLikeDicom(bytes)) return "dicom";
  throw new ImageDecodeError("unknown-format", `not a PNG, JPEG or DICOM file: ${describeBytes(bytes)}`);
}

/** A short, human description of what a file that is not an image starts with. */
function describeBytes(bytes: Uint8Array): string {
  const ascii = (from: number, n: number) => String.fromCharCode(...bytes.subarray(from, from + n));
  const known: [boolean, string][] = [
    [ascii(0, 4) === "GIF8", "it is a GIF image"],
    [ascii(0, 2) === "BM", "it looks like a BMP image"],
    [ascii(0, 4) === "II*\0" || ascii(0, 4) === "MM\0*", "it is a TIFF image"],
    [ascii(0, 4) === "RIFF" && ascii(8, 4) === "WEBP", "it is a WebP image"],
    [ascii(4, 4) === "ftyp", `it is an ISO media file (${ascii(8, 4).trim()}: HEIC, AVIF or MP4)`],
    [ascii(0, 5) === "%PDF-", "it is a PDF document"],
    [ascii(0, 4) === "PK\x03\x04", "it is a ZIP archive"],
    [bytes[0] === 0x1f && bytes[1] === 0x8b, "it is gzip-compressed"]
  ];
  const hit = known.find(([is]) => is);
  if (hit) return hit[1];
  const head = bytes.subarray(0, 64);
  if (head.every((b) => b === 0)) {
    return bytes.length < 132
      ? `it holds only ${bytes.length} bytes, starting with zeros (a DICOM file cut off inside its 128-byte preamble looks like this)`
      : "it starts with zero bytes and has no DICOM \"DICM\" marker at byte 128";
  }
  const isText = head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 0x20 && b < 0x7f) || b >= 0x80);
  if (isText) {
    const text = new TextDecoder("utf-8", {fatal: false}).decode(head).replace(/\s+/g, " ").trim();
    return `it starts with text ("${text.length > 40 ? `${text.slice(0, 40)}…` : text}")`;
  }
  const hex = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  return `it starts with the bytes ${hex}`;
}

function headerOf(bytes: Uint8Array, format: ImageFormat): ImageHeader {
  const {width, height} = format === "png" ? readPngHeader(bytes) : format === "jpeg" ? readJpegHeader(bytes) : readDicomHeader(bytes);
  return {format, width, height};
}

/** Rethrows anything as an ImageDecodeError carrying the file name. */
function asDecodeError(error: unknown, name: string | undefined, format?: ImageFormat): ImageDecodeError {
  if (error instanceof ImageDecodeError) {
    return error.fileName === name ? error : new ImageDecodeError(error.code, error.message, name, {cause: error.cause});
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ImageDecodeError("corrupt", `${format ? `${format.toUpperCase()} ` : ""}image could not be decoded: ${message}`, name, {cause: error});
}

/** Format and size from the header only: cheap, allocates no pixels. */
export function readImageHeader(bytes: Uint8Array, options: Pick<DecodeOptions, "name"> = {}): ImageHeader {
  let format: ImageFormat | undefined;
  try {
    format = sniffFormat(bytes);
    return headerOf(bytes, format);
  } catch (error) {
    throw asDecodeError(error, options.name, format);
  }
}

/**
 * Whether an image is decoded at full resolution or reduced (too large to hold), or refused as
 * too large, from its header: `bytes` may be the whole file, or (for PNG) its first bytes only.
 */
function decodePlan(bytes: Uint8Array, format: ImageFormat, options: DecodeOptions): "full" | "reduced" {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const {width, height} = headerOf(bytes, format);
  if (width * height > maxPixels) {
    throw new ImageDecodeError(
      "too-large",
      `${format.toUpperCase()} header claims ${width}x${height} = ${(width * height / 1e6).toFixed(1)} megapixels, more than the limit of ${(maxPixels / 1e6).toFixed(1)} (decoding that many pixels would take minutes even reduced)`
    );
  }
  const maxBytes = options.maxDecodeBytes ?? DEFAULT_MAX_DECODE_BYTES;
  if (!options.reduce && decodeMemoryBytes(format, bytes) <= maxBytes) return "full";
  // Too large to hold: decoded row by row into block means, in grey (reduce.ts).
  const reduced = reducedDecodeBytes(format, bytes, options.reduceFor);
  if (reduced.bytes > maxBytes) {
    const mb = (n: number) => `${Math.round(n / 2 ** 20)} MB`;
    throw new ImageDecodeError(
      "too-large",
      `${format.toUpperCase()} of ${width}x${height} would take about ${mb(reduced.bytes)} of memory to decode even reduced (${reduced.why}), more than the limit of ${mb(maxBytes)}; ` +
        (format === "jpeg" ? "save it as a baseline JPEG, or smaller, and open it again" : "save it smaller (e.g. 4096 pixels on its longer side) or uncompressed, and open it again")
    );
  }
  return "reduced";
}

export function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): DecodedImage {
  let format: ImageFormat | undefined;
  try {
    format = sniffFormat(bytes);
    if (decodePlan(bytes, format, options) === "full") {
      return format === "png" ? decodePng(bytes) : format === "jpeg" ? decodeJpeg(bytes) : decodeDicom(bytes, options);
    }
    return format === "png" ? decodePngReduced(bytes, options.reduceFor) : format === "jpeg" ? decodeJpegReduced(bytes, options.reduceFor) : decodeDicomReduced(bytes, options);
  } catch (error) {
    throw asDecodeError(error, options.name, format);
  }
}

/** Bytes of a file's start that hold any PNG's header (its IHDR chunk comes first). */
const PNG_HEAD_BYTES = 64;

/**
 * A PNG too large to hold, decoded reduced from a file read through `reader` (byte-reader.ts) in
 * slices, never whole; errors as decodeImage's. Null for anything else (another format, or a PNG
 * decoded at full size): the caller reads that file whole and gives it to decodeImage(Async).
 */
export function decodeLargePng(reader: ByteReader, options: DecodeOptions = {}): DecodedImage | null {
  const head = reader.read(0, Math.min(reader.length, PNG_HEAD_BYTES));
  let format: ImageFormat | undefined;
  try {
    format = sniffFormat(head);
    if (format !== "png" || decodePlan(head, format, options) === "full") return null;
    return decodePngReduced(reader, options.reduceFor);
  } catch (error) {
    throw asDecodeError(error, options.name, format);
  }
}

/**
 * decodeImage, after loading the decoder a compressed DICOM needs (the wasm codecs load once, on
 * first need). Errors are decodeImage's.
 */
export async function decodeImageAsync(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  let transferSyntax: string | undefined;
  try {
    if (sniffFormat(bytes) === "dicom") transferSyntax = readDicomTransferSyntax(bytes);
  } catch {
    // decodeImage below reports the problem with its own message.
  }
  if (transferSyntax) {
    try {
      await loadDicomCodec(transferSyntax);
    } catch (error) {
      throw asDecodeError(error, options.name, "dicom");
    }
  }
  return decodeImage(bytes, options);
}
