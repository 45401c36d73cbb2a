/**
 * Which decoder handles which compressed transfer syntax, and loading them. The wasm codecs load
 * once, on first need (`loadDicomCodec`); after that decoding is synchronous, so `decodeImage`
 * stays synchronous and `decodeImageAsync` loads what a file needs first.
 */
import {ImageDecodeError} from "../types.js";
import {CHARLS_WASM, loadCharls} from "./charls.js";
import {jpegJs} from "./jpeg-js.js";
import {jpegLossless} from "./jpeg-lossless.js";
import {loadOpenJpeg, OPENJPEG_WASM} from "./openjpeg.js";
import {loadOpenJph, OPENJPH_WASM} from "./openjph.js";
import {rle} from "./rle.js";
import type {FrameCodec, WasmLocator} from "./types.js";

export type {DecodedFrame, ExpectedFrame, FrameCodec, WasmLocator} from "./types.js";

export type CodecName = "jpeg-js" | "jpeg-lossless" | "charls" | "openjpeg" | "openjph" | "rle";

/** The .wasm file each wasm codec's glue asks for: what a site copies into its build. */
export const CODEC_WASM_FILES = [CHARLS_WASM, OPENJPEG_WASM, OPENJPH_WASM] as const;

/** Compressed transfer syntaxes (PS3.6 Table A-1) and their decoder. */
const CODEC_OF_SYNTAX: Record<string, CodecName> = {
  // 8-bit DCT JPEG through jpeg-js, the decoder of plain .jpg files, so that a JPEG and the DICOM
  // that encapsulates it give the same pixels and the same predictions (libjpeg-turbo differs by one
  // grey level in places); 12-bit JPEG Extended is refused with its syntax named.
  "1.2.840.10008.1.2.4.50": "jpeg-js", // JPEG Baseline (Process 1)
  "1.2.840.10008.1.2.4.51": "jpeg-js", // JPEG Extended (Process 2 & 4)
  "1.2.840.10008.1.2.4.57": "jpeg-lossless", // JPEG Lossless (Process 14)
  "1.2.840.10008.1.2.4.70": "jpeg-lossless", // JPEG Lossless, first-order prediction
  "1.2.840.10008.1.2.4.80": "charls", // JPEG-LS lossless
  "1.2.840.10008.1.2.4.81": "charls", // JPEG-LS near-lossless
  "1.2.840.10008.1.2.4.90": "openjpeg", // JPEG 2000 lossless
  "1.2.840.10008.1.2.4.91": "openjpeg", // JPEG 2000
  "1.2.840.10008.1.2.4.201": "openjph", // HTJ2K lossless
  "1.2.840.10008.1.2.4.202": "openjph", // HTJ2K lossless RPCL
  "1.2.840.10008.1.2.4.203": "openjph", // HTJ2K
  "1.2.840.10008.1.2.5": "rle" // RLE Lossless
};

export const codecNameFor = (transferSyntax: string): CodecName | undefined => CODEC_OF_SYNTAX[transferSyntax];

const loaded = new Map<CodecName, FrameCodec>([
  ["jpeg-js", jpegJs],
  ["jpeg-lossless", jpegLossless],
  ["rle", rle]
]);
const loading = new Map<CodecName, Promise<FrameCodec>>();
let locator: WasmLocator | undefined;

/** In a browser: where the codecs' .wasm files are served (see src/components/dicom-codecs.ts). */
export function setDicomCodecLocator(locate: WasmLocator | undefined): void {
  locator = locate;
}

const LOADERS: Partial<Record<CodecName, (locate?: WasmLocator) => Promise<FrameCodec>>> = {
  charls: loadCharls,
  openjpeg: loadOpenJpeg,
  openjph: loadOpenJph
};

/** Loads (once) the codec of a transfer syntax; resolves at once for uncompressed or pure-JS ones. */
export async function loadDicomCodec(transferSyntax: string): Promise<void> {
  const name = codecNameFor(transferSyntax);
  if (!name || loaded.has(name)) return;
  let pending = loading.get(name);
  if (!pending) {
    pending = LOADERS[name]!(locator).then(
      (codec) => {
        loaded.set(name, codec);
        return codec;
      },
      (error: unknown) => {
        loading.delete(name); // a failed fetch may succeed later
        throw new ImageDecodeError("unsupported", `the ${name} decoder could not be loaded (${error instanceof Error ? error.message : String(error)})`, undefined, {cause: error});
      }
    );
    loading.set(name, pending);
  }
  await pending;
}

/** Loads every codec: for a page or process that wants no wait on its first compressed file. */
export async function loadAllDicomCodecs(): Promise<void> {
  await Promise.all(Object.keys(CODEC_OF_SYNTAX).map(loadDicomCodec));
}

/** The loaded codec for a syntax; undefined when none exists; throws when it exists but is not loaded. */
export function dicomCodecFor(transferSyntax: string): FrameCodec | undefined {
  const name = codecNameFor(transferSyntax);
  if (!name) return undefined;
  const codec = loaded.get(name);
  if (!codec) {
    throw new ImageDecodeError(
      "unsupported",
      `the ${name} decoder for this transfer syntax is not loaded yet: use decodeImageAsync, or await loadDicomCodec(transferSyntax) before decodeImage`
    );
  }
  return codec;
}
