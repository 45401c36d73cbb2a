/** JPEG 2000 (Part 1, lossless and lossy) through OpenJPEG's wasm build from the Cornerstone codecs. */
import factory from "@cornerstonejs/codec-openjpeg/decodewasmjs";
import {loadEmscriptenCodec} from "./emscripten-codec.js";
import type {WasmLocator} from "./types.js";

export const OPENJPEG_WASM = "openjpegwasm_decode.wasm";
export const loadOpenJpeg = (locate?: WasmLocator) =>
  loadEmscriptenCodec({library: "@cornerstonejs/codec-openjpeg (OpenJPEG)", factory, decoderClass: "J2KDecoder"}, locate);
