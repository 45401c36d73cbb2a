/**
 * Reading PNG, JPEG and DICOM into [0, 1] intensities; pure code, the same in Node and the browser.
 * Only decodeImage applies the pixel limit, so the per-format decoders are deliberately not exported.
 */
export {decodeImage, decodeImageAsync, decodeLargePng, readImageHeader, sniffFormat, type ImageHeader} from "./decode.js";
export {blobReader, memoryReader, type ByteReader} from "./byte-reader.js";
export {CODEC_WASM_FILES, loadAllDicomCodecs, loadDicomCodec, setDicomCodecLocator} from "./codecs/index.js";
export {transferSyntaxName} from "./dicom.js";
export {windowFunction} from "./voi.js";
export {
  DEFAULT_MAX_DECODE_BYTES,
  DEFAULT_MAX_PIXELS,
  ImageDecodeError,
  storedSize,
  type DecodedImage,
  type DecodeOptions,
  type ImageErrorCode,
  type ImageFormat,
  type ReducedSquare,
  type ReduceTarget,
  type Reduction
} from "./types.js";
export {REDUCED_MAX_SIDE} from "./reduce.js";
