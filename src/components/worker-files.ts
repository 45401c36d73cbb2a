/**
 * The files the analysis worker needs, all served by the site itself (never a CDN): its script,
 * TF.js's wasm backend (copied into the build through import.meta.resolve) and the DICOM codecs'
 * .wasm (copied by the src/data/dicom-codec-*.wasm.ts loaders; their packages export them under
 * names without .wasm, which Framework's import.meta.resolve would parse as JavaScript). A module of
 * their own, importing nothing heavy, so a page can start the worker before its other modules load.
 */
import {FileAttachment} from "observablehq:stdlib";

export const WORKER_SCRIPT = FileAttachment("../data/analysis-worker.js");

export const WASM_FILES = {
  "tfjs-backend-wasm.wasm": import.meta.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"),
  "tfjs-backend-wasm-simd.wasm": import.meta.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm"),
  "tfjs-backend-wasm-threaded-simd.wasm": import.meta.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm")
};

export const DICOM_CODEC_WASM: Record<string, string> = {
  "openjpegwasm_decode.wasm": FileAttachment("../data/dicom-codec-openjpeg.wasm").href,
  "openjphjs.wasm": FileAttachment("../data/dicom-codec-openjph.wasm").href,
  "charlswasm_decode.wasm": FileAttachment("../data/dicom-codec-charls.wasm").href
};
