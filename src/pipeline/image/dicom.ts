/**
 * DICOM decoding via dicom-parser (which only finds elements; the pixel pipeline is ours):
 * stored value (BitsStored/HighBit/PixelRepresentation; compressed frames through the codecs of
 * ./codecs/) -> modality value (Rescale Slope/Intercept or Modality LUT) -> VOI (VOI LUT Sequence,
 * else Window Center/Width, else the full range of the stored values) -> [0, 1], with MONOCHROME1
 * inverted last so that 0 is always displayed black. See PS3.3 C.7.6.3, C.11.1, C.11.2.
 */
import {windowFunction} from "./voi.js";
import dicomParser from "dicom-parser";
import type {DataSet, Element} from "dicom-parser";
import {inflateSync} from "fflate";
import {chestMismatch, readDicomMetadata} from "./dicom-metadata.js";
import {codecNameFor, dicomCodecFor, type DecodedFrame, type ExpectedFrame, type FrameCodec} from "./codecs/index.js";
import {decodeJpegRowsChecked, readJpegHeader} from "./jpeg.js";
import {GreyReducer} from "./reduce.js";
import {ImageDecodeError, type DecodedImage, type DecodeOptions, type ReduceTarget} from "./types.js";

const IMPLICIT_LE = "1.2.840.10008.1.2";
const EXPLICIT_LE = "1.2.840.10008.1.2.1";
const EXPLICIT_BE = "1.2.840.10008.1.2.2";
const DEFLATED_LE = "1.2.840.10008.1.2.1.99";

/** Transfer syntax names (PS3.6 Table A-1), so an unsupported one can be named to the user. */
const TRANSFER_SYNTAXES: Record<string, string> = {
  [IMPLICIT_LE]: "Implicit VR Little Endian",
  [EXPLICIT_LE]: "Explicit VR Little Endian",
  [EXPLICIT_BE]: "Explicit VR Big Endian",
  "1.2.840.10008.1.2.1.99": "Deflated Explicit VR Little Endian",
  "1.2.840.10008.1.2.4.50": "JPEG Baseline (Process 1)",
  "1.2.840.10008.1.2.4.51": "JPEG Extended (Process 2 & 4)",
  "1.2.840.10008.1.2.4.55": "JPEG Full Progression, Non-Hierarchical (Process 10 & 12) (Retired)",
  "1.2.840.10008.1.2.4.57": "JPEG Lossless, Non-Hierarchical (Process 14)",
  "1.2.840.10008.1.2.4.70": "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14, Selection Value 1)",
  "1.2.840.10008.1.2.4.80": "JPEG-LS Lossless Image Compression",
  "1.2.840.10008.1.2.4.81": "JPEG-LS Lossy (Near-Lossless) Image Compression",
  "1.2.840.10008.1.2.4.90": "JPEG 2000 Image Compression (Lossless Only)",
  "1.2.840.10008.1.2.4.91": "JPEG 2000 Image Compression",
  "1.2.840.10008.1.2.4.92": "JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)",
  "1.2.840.10008.1.2.4.93": "JPEG 2000 Part 2 Multi-component Image Compression",
  "1.2.840.10008.1.2.4.94": "JPIP Referenced",
  "1.2.840.10008.1.2.4.95": "JPIP Referenced Deflate",
  "1.2.840.10008.1.2.4.100": "MPEG2 Main Profile / Main Level",
  "1.2.840.10008.1.2.4.101": "MPEG2 Main Profile / High Level",
  "1.2.840.10008.1.2.4.102": "MPEG-4 AVC/H.264 High Profile / Level 4.1",
  "1.2.840.10008.1.2.4.103": "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1",
  "1.2.840.10008.1.2.4.104": "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video",
  "1.2.840.10008.1.2.4.105": "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video",
  "1.2.840.10008.1.2.4.106": "MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2",
  "1.2.840.10008.1.2.4.107": "HEVC/H.265 Main Profile / Level 5.1",
  "1.2.840.10008.1.2.4.108": "HEVC/H.265 Main 10 Profile / Level 5.1",
  "1.2.840.10008.1.2.4.201": "High-Throughput JPEG 2000 Image Compression (Lossless Only)",
  "1.2.840.10008.1.2.4.202": "High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)",
  "1.2.840.10008.1.2.4.203": "High-Throughput JPEG 2000 Image Compression",
  "1.2.840.10008.1.2.5": "RLE Lossless"
};

export function transferSyntaxName(uid: string): string {
  return TRANSFER_SYNTAXES[uid] ?? "an unknown transfer syntax";
}

/** How to get an uncompressed copy, with the dcmtk tool that undoes that compression. */
function conversionHint(uid: string): string {
  const dcmtk = uid.startsWith("1.2.840.10008.1.2.4.8")
    ? "dcmdjpls in.dcm out.dcm"
    : uid === "1.2.840.10008.1.2.5"
      ? "dcmdrle in.dcm out.dcm"
      : uid === "1.2.840.10008.1.2.1.99"
        ? "dcmconv +te in.dcm out.dcm"
        : /^1\.2\.840\.10008\.1\.2\.4\.(5\d|6\d|70)$/.test(uid)
          ? "dcmdjpeg in.dcm out.dcm"
          : undefined;
  return dcmtk
    ? `convert the file to explicit VR little endian, e.g. with dcmtk: ${dcmtk}`
    : "convert the file to explicit VR little endian, e.g. with GDCM: gdcmconv --raw in.dcm out.dcm";
}

function unsupportedSyntax(uid: string): ImageDecodeError {
  return new ImageDecodeError("unsupported", `${transferSyntaxName(uid)} (${uid}) is not supported; ${conversionHint(uid)}`);
}

const hasDicmPrefix = (b: Uint8Array) => b.length >= 132 && b[128] === 0x44 && b[129] === 0x49 && b[130] === 0x43 && b[131] === 0x4d;

const EXPLICIT_VRS = new Set(
  "AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV".split(" ")
);

/** Whether the element at `at` is written with an explicit VR (two upper-case letters after the tag). */
function looksExplicit(b: Uint8Array, at: number): boolean {
  return b.length >= at + 6 && EXPLICIT_VRS.has(String.fromCharCode(b[at + 4]!, b[at + 5]!));
}

/**
 * DICOM with the 128-byte preamble and "DICM", or a bare data set (no preamble) that starts with a
 * plausible group 0002 or 0008 element, written with an explicit VR or an implicit length that fits.
 */
export function looksLikeDicom(b: Uint8Array): boolean {
  if (hasDicmPrefix(b)) return true;
  if (b.length < 8) return false;
  const group = b[0]! | (b[1]! << 8);
  const element = b[2]! | (b[3]! << 8);
  if ((group !== 0x0002 && group !== 0x0008) || element > 0x1fff) return false;
  if (looksExplicit(b, 0)) return true;
  const length = (b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24)) >>> 0;
  return length < 1024 && length % 2 === 0;
}

/** dicom-parser throws strings, Errors or {exception, dataSet}; make one ImageDecodeError of them. */
function wrapParserError(error: unknown): ImageDecodeError {
  if (error instanceof ImageDecodeError) return error;
  const inner = (error as {exception?: unknown})?.exception ?? error;
  const message = inner instanceof Error ? inner.message : String(inner);
  const code = /overrun|past end|overread|beyond|eof/i.test(message) ? "truncated" : "corrupt";
  const what = code === "truncated" ? "DICOM file ends before its data does" : "DICOM file could not be parsed";
  return new ImageDecodeError(code, `${what} (${message})`, undefined, {cause: error});
}

interface Parsed {
  dataSet: DataSet;
  bytes: Uint8Array;
  transferSyntax: string;
  hasPreamble: boolean;
}

function parse(input: Uint8Array, untilPixelData: boolean): Parsed {
  let bytes = input;
  const hasPreamble = hasDicmPrefix(input);
  // A bare file that still carries its meta group (0002): give it the preamble dicom-parser expects,
  // so the transfer syntax is read from the file rather than guessed.
  if (!hasPreamble && input[0] === 0x02 && input[1] === 0x00) {
    bytes = new Uint8Array(132 + input.length);
    bytes.set([0x44, 0x49, 0x43, 0x4d], 128);
    bytes.set(input, 132);
  }
  try {
    let transferSyntax: string;
    if (hasDicmPrefix(bytes)) {
      const meta = dicomParser.readPart10Header(bytes);
      transferSyntax = meta.string("x00020010") ?? "";
      if (!transferSyntax) {
        const cut = (meta as DataSet & {position: number}).position >= bytes.length;
        throw cut
          ? new ImageDecodeError("truncated", "DICOM file ends inside its meta header")
          : new ImageDecodeError("corrupt", "DICOM meta header has no Transfer Syntax UID (0002,0010)");
      }
    } else {
      transferSyntax = looksExplicit(bytes, 0) ? EXPLICIT_LE : IMPLICIT_LE;
    }
    if (transferSyntax === DEFLATED_LE && hasDicmPrefix(bytes)) {
      // The data set after the meta group is one raw deflate stream (PS3.5 A.5): inflate it (fflate,
      // synchronous in Node and the browser) and parse the result as explicit VR little endian.
      const metaEnd = (dicomParser.readPart10Header(bytes) as DataSet & {position: number}).position;
      let inflated: Uint8Array;
      try {
        inflated = inflateSync(bytes.subarray(metaEnd));
      } catch (error) {
        throw new ImageDecodeError("corrupt", `Deflated DICOM data set could not be inflated (${error instanceof Error ? error.message : String(error)})`, undefined, {cause: error});
      }
      const options: {TransferSyntaxUID: string; untilTag?: string} = {TransferSyntaxUID: EXPLICIT_LE};
      if (untilPixelData) options.untilTag = "x7fe00010";
      return {dataSet: dicomParser.parseDicom(inflated, options), bytes: inflated, transferSyntax, hasPreamble};
    }
    const options: {TransferSyntaxUID?: string; untilTag?: string} = {};
    if (!hasDicmPrefix(bytes)) options.TransferSyntaxUID = transferSyntax;
    if (untilPixelData) options.untilTag = "x7fe00010";
    const dataSet = dicomParser.parseDicom(bytes, options);
    return {dataSet, bytes, transferSyntax, hasPreamble};
  } catch (error) {
    throw wrapParserError(error);
  }
}

/** All values of a string element (DS, IS, CS...), split on backslashes. */
function strings(ds: DataSet, tag: string): string[] {
  const text = ds.string(tag);
  return text === undefined || text === "" ? [] : text.split("\\").map((s) => s.trim());
}
function numbers(ds: DataSet, tag: string): number[] {
  return strings(ds, tag)
    .filter((s) => s !== "")
    .map(Number)
    .filter((n) => Number.isFinite(n));
}

export interface DicomHeader {
  width: number;
  height: number;
  frames: number;
  transferSyntax: string;
}

function noImage(ds: DataSet): ImageDecodeError {
  const modality = ds.string("x00080060");
  const sopClass = ds.string("x00080016");
  const about = [modality && `Modality ${modality}`, sopClass && `SOP Class ${sopClass}`].filter(Boolean).join(", ");
  return new ImageDecodeError(
    "unsupported",
    `DICOM file contains no image: it has no Pixel Data element (7FE0,0010)${about ? ` (${about})` : ""}; it may be a report, presentation state or directory`
  );
}

function headerOf(ds: DataSet, transferSyntax: string): DicomHeader {
  const height = ds.uint16("x00280010");
  const width = ds.uint16("x00280011");
  if (height === undefined || width === undefined) {
    if (!ds.elements.x7fe00010) throw noImage(ds);
    throw new ImageDecodeError("corrupt", "DICOM image has no Rows (0028,0010) or Columns (0028,0011)");
  }
  if (!ds.elements.x7fe00010) {
    throw new ImageDecodeError(
      "corrupt",
      `DICOM file describes a ${width}x${height} image but has no Pixel Data element (7FE0,0010); it may have been cut off before its pixels`
    );
  }
  if (height === 0 || width === 0) throw new ImageDecodeError("corrupt", `DICOM image has an impossible size ${width}x${height}`);
  const frames = Math.max(1, Math.trunc(numbers(ds, "x00280008")[0] ?? 1));
  return {width, height, frames, transferSyntax};
}

/** Rows, Columns and frame count, parsing only up to the Pixel Data element. */
export function readDicomHeader(bytes: Uint8Array): DicomHeader {
  const {dataSet, transferSyntax} = parse(bytes, true);
  try {
    return headerOf(dataSet, transferSyntax); // parsing stopped at Pixel Data, which is kept in `elements`
  } catch (error) {
    throw wrapParserError(error);
  }
}

/** A LUT from a Modality or VOI LUT Sequence item: descriptor (entries, first mapped value, bits) and data. */
interface Lut {
  first: number;
  entries: number[];
  bits: number;
  explanation?: string;
}

function readLut(ds: DataSet, signedInput: boolean): Lut | undefined {
  const descriptor = ds.elements.x00283002;
  const data = ds.elements.x00283006;
  if (!descriptor || !data || descriptor.length < 6) return undefined;
  const count = ds.uint16("x00283002", 0) || 65536; // 0 means 2^16 entries
  let first = ds.uint16("x00283002", 1)!;
  // The first-mapped value is US or SS depending on the input's sign (PS3.3 C.11.2.1.1).
  if ((signedInput || descriptor.vr === "SS") && first > 0x7fff) first -= 0x10000;
  const bits = ds.uint16("x00283002", 2)!;
  const entries: number[] = [];
  if (data.length >= count * 2) {
    for (let i = 0; i < count; i++) entries.push(ds.uint16("x00283006", i)!);
  } else if (data.length >= count) {
    for (let i = 0; i < count; i++) entries.push(ds.byteArray[data.dataOffset + i]!); // 8-bit entries packed as OB
  } else {
    throw new ImageDecodeError("corrupt", `DICOM LUT Data is shorter than its descriptor's ${count} entries`);
  }
  const lut: Lut = {first, entries, bits};
  const explanation = ds.string("x00283003");
  if (explanation) lut.explanation = explanation;
  return lut;
}

const lookUp = (lut: Lut, x: number) => lut.entries[Math.min(lut.entries.length - 1, Math.max(0, Math.round(x) - lut.first))]!;

/** Reads the first frame's stored values: handles BitsAllocated, HighBit/BitsStored masking and sign. */
function storedValueReader(
  bytes: Uint8Array,
  offset: number,
  bitsAllocated: number,
  bitsStored: number,
  highBit: number,
  signed: boolean,
  littleEndian: boolean
): (i: number) => number {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset);
  // 8-bit samples in an OW element are 16-bit words, so big endian swaps each pair of bytes.
  const raw =
    bitsAllocated === 8
      ? littleEndian
        ? (i: number) => view.getUint8(i)
        : (i: number) => view.getUint8(i ^ 1)
      : bitsAllocated === 16
        ? (i: number) => view.getUint16(i * 2, littleEndian)
        : (i: number) => view.getUint32(i * 4, littleEndian);
  const shift = highBit + 1 - bitsStored;
  const range = 2 ** bitsStored;
  // Bits outside BitsStored may hold overlays or garbage: mask them; then sign-extend if signed.
  return (i) => {
    const v = Math.floor(raw(i) / 2 ** shift) % range;
    return signed && v >= range / 2 ? v - range : v;
  };
}

/** The transfer syntax UID of a DICOM file, from its meta header (or guessed for a bare data set). */
export function readDicomTransferSyntax(bytes: Uint8Array): string {
  return parse(bytes, true).transferSyntax;
}

export function decodeDicom(input: Uint8Array, options: Pick<DecodeOptions, "voi" | "fileVoi"> = {}): DecodedImage {
  const parsed = parse(input, false);
  try {
    return decodeParsed(parsed, options);
  } catch (error) {
    throw wrapParserError(error);
  }
}

/**
 * The first frame decoded reduced (reduce.ts), for images too large to hold: the same values as
 * decodeDicom, handed row by row in grey to the reducer, never as a full-size float image. An
 * uncompressed frame is read where it lies in the file; a compressed one is decoded to its samples
 * first (JPEG baseline/extended row by row, into 8-bit samples), then reduced.
 */
export function decodeDicomReduced(input: Uint8Array, options: Pick<DecodeOptions, "voi" | "fileVoi" | "reduceFor"> = {}): DecodedImage {
  const parsed = parse(input, false);
  try {
    return decodeParsed(parsed, options, true);
  } catch (error) {
    throw wrapParserError(error);
  }
}

const isNative = (uid: string) => uid === IMPLICIT_LE || uid === EXPLICIT_LE || uid === EXPLICIT_BE || uid === DEFLATED_LE;

/** Bytes per sample of the decoded frame and the decoder's own copy, by how the frame is stored. */
function frameBytes(ds: DataSet, transferSyntax: string, width: number, height: number): {full: number; reduced: number; why: string} {
  const spp = ds.uint16("x00280002") ?? 1;
  const bytesPerSample = Math.ceil((ds.uint16("x00280100") ?? 16) / 8);
  const pixels = width * height * spp;
  const out = pixels * 4; // the Float32 image of a full decode
  if (isNative(transferSyntax)) {
    // Read where they lie; a deflated data set is inflated whole first.
    const inflated = transferSyntax === DEFLATED_LE ? pixels * bytesPerSample : 0;
    return {full: out + inflated, reduced: inflated, why: inflated ? "the inflated data set" : "rows and block sums"};
  }
  // jpeg-js (full) holds int32 blocks (about 6 bytes per sample); our row decoder, the 8-bit samples.
  const jpeg = codecNameFor(transferSyntax) === "jpeg-js";
  const decoded = jpeg ? pixels * 7 : pixels * bytesPerSample * 2; // samples, and a wasm codec's own copy
  return {full: out + decoded, reduced: jpeg ? pixels : decoded, why: "the decoded frame's samples"};
}

/** Rows, columns and samples per pixel, from the header (budget.ts). */
export function dicomGeometry(bytes: Uint8Array): {width: number; height: number; samplesPerPixel: number} {
  const {dataSet, transferSyntax} = parse(bytes, true);
  const {width, height} = headerOf(dataSet, transferSyntax);
  return {width, height, samplesPerPixel: dataSet.uint16("x00280002") === 3 ? 3 : 1};
}

/** Memory of a full-resolution decode (budget.ts), from the header. */
export function dicomFullBytes(bytes: Uint8Array): number {
  const {dataSet, transferSyntax} = parse(bytes, true);
  const {width, height} = headerOf(dataSet, transferSyntax);
  return frameBytes(dataSet, transferSyntax, width, height).full;
}

/** Memory of decodeDicomReduced (budget.ts), from the header. */
export function dicomReducedBytes(bytes: Uint8Array, target?: ReduceTarget): {bytes: number; why: string} {
  const {dataSet, transferSyntax} = parse(bytes, true);
  const {width, height} = headerOf(dataSet, transferSyntax);
  const {reduced, why} = frameBytes(dataSet, transferSyntax, width, height);
  return {bytes: reduced + 8 * width + GreyReducer.bytes(width, height, target), why};
}

function decodeParsed(
  {dataSet: ds, bytes, transferSyntax, hasPreamble}: Parsed,
  options: Pick<DecodeOptions, "voi" | "fileVoi" | "reduceFor">,
  reduce = false
): DecodedImage {
  const native = transferSyntax === IMPLICIT_LE || transferSyntax === EXPLICIT_LE || transferSyntax === EXPLICIT_BE || transferSyntax === DEFLATED_LE;
  const codec = native ? undefined : dicomCodecFor(transferSyntax);
  if (!native && !codec) throw unsupportedSyntax(transferSyntax);
  if (ds.elements.x7fe00008 || ds.elements.x7fe00009) {
    throw new ImageDecodeError("unsupported", "DICOM Float / Double Float Pixel Data is not supported");
  }
  const {width, height, frames} = headerOf(ds, transferSyntax); // also refuses files without Pixel Data
  const pixelElement = ds.elements.x7fe00010!;
  const samplesPerPixel = ds.uint16("x00280002") ?? 1;
  const photometric = (ds.string("x00280004") ?? (samplesPerPixel === 3 ? "RGB" : "MONOCHROME2")).toUpperCase();
  const bitsAllocated = ds.uint16("x00280100") ?? 16;
  const bitsStored = ds.uint16("x00280101") ?? bitsAllocated;
  const highBit = ds.uint16("x00280102") ?? bitsStored - 1;
  const signed = ds.uint16("x00280103") === 1;
  const planar = ds.uint16("x00280006") ?? 0;
  const pixels = width * height;

  const info: DecodedImage["info"] = {
    transferSyntax: transferSyntaxName(transferSyntax),
    transferSyntaxUID: transferSyntax,
    photometricInterpretation: photometric,
    samplesPerPixel,
    bitsAllocated,
    bitsStored,
    pixelRepresentation: signed ? "signed" : "unsigned",
    frames,
    hasPreamble
  };
  const modality = ds.string("x00080060")?.trim();
  if (modality) info.modality = modality;
  Object.assign(info, readDicomMetadata(ds));
  const mismatch = chestMismatch(info);
  if (mismatch) info.anatomyWarning = mismatch;
  if (frames > 1) info.framesNote = "only the first frame is shown";

  if (![8, 16, 32].includes(bitsAllocated)) {
    throw new ImageDecodeError("unsupported", `DICOM with Bits Allocated ${bitsAllocated} is not supported (8, 16 or 32)`);
  }
  if (bitsStored < 1 || bitsStored > bitsAllocated || highBit >= bitsAllocated || highBit + 1 < bitsStored) {
    throw new ImageDecodeError("corrupt", `DICOM has inconsistent Bits Stored ${bitsStored} / High Bit ${highBit} / Bits Allocated ${bitsAllocated}`);
  }
  if (samplesPerPixel !== 1 && samplesPerPixel !== 3) {
    throw new ImageDecodeError("unsupported", `DICOM with ${samplesPerPixel} samples per pixel (${photometric}) is not supported`);
  }
  const isColour = samplesPerPixel === 3;
  const colourKinds = native ? ["RGB", "YBR_FULL", "YBR_FULL_422"] : ["RGB", "YBR_FULL", "YBR_FULL_422", "YBR_PARTIAL_420", "YBR_RCT", "YBR_ICT"];
  if (isColour ? !colourKinds.includes(photometric) : !["MONOCHROME1", "MONOCHROME2"].includes(photometric)) {
    throw new ImageDecodeError("unsupported", `DICOM Photometric Interpretation ${photometric} with ${samplesPerPixel} samples per pixel is not supported`);
  }

  // 1. Get a reader of the first frame's stored values: sample s of pixel p.
  let stored: (p: number, s: number) => number;
  let frame: DecodedFrame | undefined;
  if (native) {
    if (photometric === "YBR_FULL_422") {
      throw new ImageDecodeError("unsupported", "uncompressed YBR_FULL_422 (chroma-subsampled) DICOM is not supported");
    }
    const frameBytes = (pixels * samplesPerPixel * bitsAllocated) / 8;
    if (pixelElement.hadUndefinedLength) {
      throw new ImageDecodeError("corrupt", "DICOM Pixel Data is encapsulated although the transfer syntax is uncompressed");
    }
    // A file cut short (the element claims more bytes than remain) versus an element too short for its image.
    const inFile = bytes.length - pixelElement.dataOffset;
    if (inFile < Math.min(frameBytes, pixelElement.length)) {
      throw new ImageDecodeError("truncated", `DICOM file ends inside its Pixel Data (${Math.max(0, inFile)} of ${pixelElement.length} bytes present)`);
    }
    if (pixelElement.length < frameBytes) {
      throw new ImageDecodeError("corrupt", `DICOM Pixel Data holds ${pixelElement.length} bytes, but one ${width}x${height} frame needs ${frameBytes}`);
    }
    const littleEndian = transferSyntax !== EXPLICIT_BE || (bitsAllocated === 8 && pixelElement.vr === "OB");
    const read = storedValueReader(bytes, pixelElement.dataOffset, bitsAllocated, bitsStored, highBit, signed, littleEndian);
    if (isColour) info.planarConfiguration = planar;
    stored = !isColour ? (p) => read(p) : planar === 1 ? (p, s) => read(s * pixels + p) : (p, s) => read(p * 3 + s);
  } else {
    const expected = {width, height, samplesPerPixel, bitsAllocated, signed, photometric};
    const compressed = firstFrame(ds, pixelElement, frames, bytes, transferSyntax);
    // Reduced: a JPEG frame row by row into its 8-bit samples, not through jpeg-js's int32 blocks.
    frame = reduce && codec!.library === "jpeg-js" ? jpegFrameByRows(compressed, expected, transferSyntax) : decodeFrame(codec!, compressed, expected, transferSyntax);
    const samples = frame.samples;
    // A codec that returns unsigned bit patterns of signed data (JPEG-LS, lossless JPEG): sign-extend.
    const range = 2 ** bitsStored;
    const extend = signed && !frame.signed;
    stored = isColour
      ? (p, s) => samples[p * 3 + s]!
      : extend
        ? (p) => (samples[p]! >= range / 2 ? samples[p]! - range : samples[p]!)
        : (p) => samples[p]!;
    info.codec = codec!.library;
    info.codedBitsPerSample = frame.bitsPerSample;
  }

  // Reduced: each row in grey into the reducer (the same values as below, then preprocess.ts's BT.601).
  const reducer = reduce ? new GreyReducer(width, height, options.reduceFor) : undefined;
  const row = reducer ? new Float64Array(width) : undefined;
  const reducedImage = (bitDepth: number): DecodedImage => {
    const r = reducer!.finish();
    info.reducedBy = r.reduced.factor;
    return {width: r.width, height: r.height, channels: 1, data: r.data, format: "dicom", bitDepth, info, reduced: r.reduced};
  };
  const data = reducer ? new Float32Array(0) : new Float32Array(pixels * samplesPerPixel);
  if (isColour) {
    // Colour images carry no VOI transform: scale the stored range; YBR_FULL is converted to RGB
    // (the JPEG-family codecs have already converted YBR; RLE keeps the samples as stored).
    const max = 2 ** (frame ? frame.bitsPerSample : bitsStored) - 1;
    const ybr = (native || transferSyntax === "1.2.840.10008.1.2.5") && photometric === "YBR_FULL";
    const clamp01 = (v: number) => Math.min(1, Math.max(0, v / max));
    for (let p = 0; p < pixels; p++) {
      const a = stored(p, 0), b = stored(p, 1), c = stored(p, 2);
      const rgb = ybr ? ybrToRgb(a, b, c, max) : [a, b, c];
      if (row) {
        const x = p % width;
        row[x] = 0.299 * clamp01(rgb[0]!) + 0.587 * clamp01(rgb[1]!) + 0.114 * clamp01(rgb[2]!);
        if (x === width - 1) reducer!.addRow((p - x) / width, row);
      } else for (let s = 0; s < 3; s++) data[p * 3 + s] = clamp01(rgb[s]!);
    }
    info.voi = "none (colour)";
    if (reducer) return reducedImage(frame ? frame.bitsPerSample : bitsStored);
    return {width, height, channels: 3, data, format: "dicom", bitDepth: frame ? frame.bitsPerSample : bitsStored, info};
  }

  // 2. Modality transform: a Modality LUT Sequence if present, else Rescale Slope/Intercept.
  const modalityLutItem = ds.elements.x00283000?.items?.[0]?.dataSet;
  const modalityLut = modalityLutItem && readLut(modalityLutItem, signed);
  let toModality: (v: number) => number;
  if (modalityLut) {
    toModality = (v) => lookUp(modalityLut, v);
    info.modalityTransform = `Modality LUT${modalityLut.explanation ? ` (${modalityLut.explanation})` : ""}`;
  } else {
    const slope = numbers(ds, "x00281053")[0] ?? 1;
    const intercept = numbers(ds, "x00281052")[0] ?? 0;
    toModality = slope === 1 && intercept === 0 ? (v) => v : (v) => v * slope + intercept;
    info.rescaleSlope = slope;
    info.rescaleIntercept = intercept;
  }

  // 3. VOI transform to [0, 1]. A VOI LUT Sequence wins over Window Center/Width when both are
  //    present (the standard leaves the choice to the application; pydicom does the same).
  const useFileVoi = options.fileVoi !== false;
  const voiLutItem = useFileVoi ? ds.elements.x00283010?.items?.[0]?.dataSet : undefined;
  // Its first-mapped value is signed when the modality values can be negative.
  const negativeInput = signed || (!modalityLut && (info.rescaleIntercept as number) < 0);
  const voiLut = voiLutItem && readLut(voiLutItem, negativeInput);
  const centers = useFileVoi ? numbers(ds, "x00281050") : [];
  const widths = useFileVoi ? numbers(ds, "x00281051") : [];
  const fn = (ds.string("x00281056") ?? "LINEAR").toUpperCase();
  let voi: (x: number) => number;
  if (voiLut) {
    const top = 2 ** voiLut.bits - 1;
    voi = (x) => lookUp(voiLut, x) / top;
    info.voi = `VOI LUT${voiLut.explanation ? ` (${voiLut.explanation})` : ""}`;
    info.voiLutEntries = voiLut.entries.length;
    info.voiLutFirst = voiLut.first;
    if (centers.length) info.windowIgnored = "a VOI LUT Sequence is present as well as Window Center/Width; the LUT was applied";
  } else if (centers.length && widths.length && widths[0]! >= (fn === "LINEAR" ? 1 : Number.MIN_VALUE)) {
    voi = windowFunction(centers[0]!, widths[0]!, fn);
    info.voi = `window (${fn})`;
    info.windowCenter = centers[0]!;
    info.windowWidth = widths[0]!;
    info.windowFunction = fn;
    if (centers.length > 1) info.windowsAvailable = centers.length;
    const explanation = strings(ds, "x00281055")[0];
    if (explanation) info.windowExplanation = explanation;
  } else if (options.voi === "min-max") {
    // Chosen by the caller: stretch this frame's own value range (differs from image to image).
    let min = Infinity;
    let max = -Infinity;
    for (let p = 0; p < pixels; p++) {
      const x = toModality(stored(p, 0));
      if (x < min) min = x;
      if (x > max) max = x;
    }
    voi = max > min ? (x) => (x - min) / (max - min) : () => 0;
    info.voi = "min-max";
    info.windowCenter = (min + max) / 2;
    info.windowWidth = max - min;
  } else {
    // No VOI in the file (or an invalid window width): the full range the stored values can take
    // (Bits Stored, signed or not), through the modality transform, so the same pixels map alike in
    // every file and an 8-bit DICOM of a JPEG shows (and predicts) exactly as the JPEG does.
    const lowStored = signed ? -(2 ** (bitsStored - 1)) : 0;
    const highStored = signed ? 2 ** (bitsStored - 1) - 1 : 2 ** bitsStored - 1;
    const [min, max] = modalityLut
      ? [0, 2 ** modalityLut.bits - 1]
      : [toModality(lowStored), toModality(highStored)].sort((a, b) => a - b) as [number, number];
    voi = max > min ? (x) => Math.min(1, Math.max(0, (x - min) / (max - min))) : () => 0;
    info.voi = `full range (${bitsStored} bits stored${modalityLut ? ", modality LUT" : (info.rescaleSlope !== 1 || info.rescaleIntercept !== 0) ? ", rescaled" : ""})`;
    info.windowCenter = (min + max) / 2;
    info.windowWidth = max - min;
  }

  // 4. MONOCHROME1 means high values are displayed dark: invert after the VOI (PS3.3 C.7.6.3.1.2).
  const invert = photometric === "MONOCHROME1";
  if (invert) info.inverted = true;
  if (row) {
    for (let y = 0, p = 0; y < height; y++) {
      for (let x = 0; x < width; x++, p++) {
        const v = voi(toModality(stored(p, 0)));
        row[x] = invert ? 1 - v : v;
      }
      reducer!.addRow(y, row);
    }
    return reducedImage(bitsStored);
  }
  for (let p = 0; p < pixels; p++) {
    const y = voi(toModality(stored(p, 0)));
    data[p] = invert ? 1 - y : y;
  }
  return {width, height, channels: 1, data, format: "dicom", bitDepth: bitsStored, info};
}

/** A JPEG frame (the jpeg-js syntaxes) through the row decoder: the same 8-bit samples, without jpeg-js's blocks. */
function jpegFrameByRows(compressed: Uint8Array, expected: ExpectedFrame, transferSyntax: string): DecodedFrame {
  try {
    // The sizes first, so that a frame larger than the header says allocates nothing.
    const header = readJpegHeader(compressed);
    const components = header.components === 1 ? 1 : 3;
    if (header.width !== expected.width || header.height !== expected.height || components !== expected.samplesPerPixel) {
      throw new ImageDecodeError(
        "corrupt",
        `DICOM says ${expected.width}x${expected.height}x${expected.samplesPerPixel} but its ${transferSyntaxName(transferSyntax)} (${transferSyntax}) data holds ${header.width}x${header.height}x${components}`
      );
    }
    const samples = new Uint8Array(header.width * header.height * components);
    decodeJpegRowsChecked(compressed, {colorTransform: expected.photometric.startsWith("YBR")}, (y, row) => samples.set(row, y * row.length));
    return {width: header.width, height: header.height, components, bitsPerSample: 8, signed: false, samples};
  } catch (error) {
    if (error instanceof ImageDecodeError && !/^DICOM says/.test(error.message)) {
      const hint = error.code === "unsupported" ? `; ${conversionHint(transferSyntax)}` : "";
      throw new ImageDecodeError(error.code, `${transferSyntaxName(transferSyntax)} (${transferSyntax}): ${error.message}${hint}`, undefined, {cause: error.cause});
    }
    throw error;
  }
}

function ybrToRgb(y: number, cb: number, cr: number, max: number): number[] {
  const half = (max + 1) / 2; // PS3.3 C.7.6.3.1.2 YBR_FULL, scaled for the bit depth
  return [y + 1.402 * (cr - half), y - 0.344136 * (cb - half) - 0.714136 * (cr - half), y + 1.772 * (cb - half)];
}

/** A codec's frame, checked against what the header says. */
function decodeFrame(codec: FrameCodec, bytes: Uint8Array, expected: ExpectedFrame, transferSyntax: string): DecodedFrame {
  let frame: DecodedFrame;
  try {
    frame = codec.decode(bytes, expected);
  } catch (error) {
    // Name the transfer syntax, so "which of my files is it" has an answer.
    if (error instanceof ImageDecodeError) {
      const hint = error.code === "unsupported" ? `; ${conversionHint(transferSyntax)}` : "";
      throw new ImageDecodeError(error.code, `${transferSyntaxName(transferSyntax)} (${transferSyntax}): ${error.message}${hint}`, undefined, {cause: error.cause});
    }
    throw error;
  }
  if (frame.width !== expected.width || frame.height !== expected.height || frame.components !== expected.samplesPerPixel) {
    throw new ImageDecodeError(
      "corrupt",
      `DICOM says ${expected.width}x${expected.height}x${expected.samplesPerPixel} but its ${transferSyntaxName(transferSyntax)} (${transferSyntax}) data holds ${frame.width}x${frame.height}x${frame.components}`
    );
  }
  return frame;
}

/**
 * The compressed bytes of frame 1: all fragments for one frame; for several frames, the Basic Offset
 * Table when present, else one fragment for RLE (one per frame by rule), else fragments up to the
 * first end-of-image marker (FFD9 ends JPEG, JPEG-LS and JPEG 2000 codestreams alike).
 */
function firstFrame(ds: DataSet, element: Element, frames: number, bytes: Uint8Array, transferSyntax: string): Uint8Array {
  const fragments = [...(element.fragments ?? [])];
  if (!element.encapsulatedPixelData || fragments.length === 0) {
    throw new ImageDecodeError("corrupt", "DICOM declares a compressed transfer syntax but its Pixel Data is not encapsulated");
  }
  if (ds.warnings.some((w) => /missing sequence delimiter/.test(w))) {
    throw new ImageDecodeError("truncated", "DICOM file ends inside its compressed Pixel Data");
  }
  if (frames > 1 && (element.basicOffsetTable?.length ?? 0) > 1) {
    try {
      return dicomParser.readEncapsulatedImageFrame(ds, element, 0);
    } catch (error) {
      throw wrapParserError(error);
    }
  }
  if (frames > 1 && transferSyntax === "1.2.840.10008.1.2.5") fragments.splice(1);
  const parts: Uint8Array[] = [];
  for (const fragment of fragments) {
    if (fragment.position + fragment.length > bytes.length) {
      throw new ImageDecodeError("truncated", "DICOM file ends inside its compressed Pixel Data");
    }
    const part = bytes.subarray(fragment.position, fragment.position + fragment.length);
    parts.push(part);
    if (frames > 1 && endsWithEoi(part)) break;
  }
  if (parts.length === 1) return parts[0]!;
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return joined;
}

function endsWithEoi(part: Uint8Array): boolean {
  let end = part.length;
  while (end > 0 && part[end - 1] === 0) end--; // fragments are padded to even length
  return end >= 2 && part[end - 2] === 0xff && part[end - 1] === 0xd9;
}
