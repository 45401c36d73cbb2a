/** JPEG-LS (lossless and near-lossless) through CharLS's wasm build from the Cornerstone codecs. */
import factory from "@cornerstonejs/codec-charls/decodewasmjs";
import {loadEmscriptenCodec} from "./emscripten-codec.js";
import type {WasmLocator} from "./types.js";

export const CHARLS_WASM = "charlswasm_decode.wasm";
export const loadCharls = (locate?: WasmLocator) =>
  loadEmscriptenCodec({library: "@cornerstonejs/codec-charls (CharLS)", factory, decoderClass: "JpegLSDecoder"}, locate);
