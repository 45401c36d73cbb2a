/**
 * Decoding an image in a page: decodeImageAsync with the DICOM codecs' .wasm files served by the
 * site itself (copied into the build by the src/data/dicom-codec-*.wasm.ts loaders from
 * node_modules; their packages export them under names without .wasm, which Framework's
 * import.meta.resolve would parse as JavaScript), never a CDN. A codec is fetched the first time a
 * file needs it (JPEG 2000, HTJ2K, JPEG-LS); JPEG, PNG and uncompressed DICOM fetch nothing.
 */
import {FileAttachment} from "observablehq:stdlib";
import {decodeImageAsync, setDicomCodecLocator, type DecodedImage, type DecodeOptions} from "../pipeline/image/index.js";

export const DICOM_CODEC_WASM: Record<string, string> = {
  "openjpegwasm_decode.wasm": FileAttachment("../data/dicom-codec-openjpeg.wasm").href,
  "openjphjs.wasm": FileAttachment("../data/dicom-codec-openjph.wasm").href,
  "charlswasm_decode.wasm": FileAttachment("../data/dicom-codec-charls.wasm").href
};

setDicomCodecLocator((fileName) => {
  const url = DICOM_CODEC_WASM[fileName];
  if (!url) throw new Error(`no served copy of the codec file ${fileName}`);
  return url;
});

export function decodeInPage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  return decodeImageAsync(bytes, options);
}
