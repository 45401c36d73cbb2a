/**
 * Decoding an image in a page: decodeImageAsync with the DICOM codecs' .wasm files served by the
 * site itself (worker-files.ts), never a CDN. A codec is fetched the first time a
 * file needs it (JPEG 2000, HTJ2K, JPEG-LS); JPEG, PNG and uncompressed DICOM fetch nothing.
 */
import {DICOM_CODEC_WASM} from "./worker-files.js";
import {decodeImageAsync, setDicomCodecLocator, type DecodedImage, type DecodeOptions} from "../pipeline/image/index.js";

export {DICOM_CODEC_WASM};

setDicomCodecLocator((fileName) => {
  const url = DICOM_CODEC_WASM[fileName];
  if (!url) throw new Error(`no served copy of the codec file ${fileName}`);
  return url;
});

export function decodeInPage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  return decodeImageAsync(bytes, options);
}
