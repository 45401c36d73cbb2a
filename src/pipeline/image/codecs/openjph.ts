/** High-Throughput JPEG 2000 (HTJ2K, Part 15) through OpenJPH's wasm build from the Cornerstone codecs. */
import factory from "@cornerstonejs/codec-openjph/wasmjs";
import {loadEmscriptenCodec} from "./emscripten-codec.js";
import type {WasmLocator} from "./types.js";

export const OPENJPH_WASM = "openjphjs.wasm";
export const loadOpenJph = (locate?: WasmLocator) =>
  loadEmscriptenCodec({library: "@cornerstonejs/codec-openjph (OpenJPH)", factory, decoderClass: "HTJ2KDecoder"}, locate);
