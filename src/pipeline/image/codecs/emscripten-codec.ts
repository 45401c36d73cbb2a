/**
 * The shared base of the Cornerstone codec packages (OpenJPEG, OpenJPH, CharLS, libjpeg-turbo):
 * each is an Emscripten module whose decoder class has the same embind interface
 * (getEncodedBuffer, decode, getFrameInfo, getDecodedBuffer, delete). Loading is async (the .wasm
 * is fetched or read once); decoding is synchronous once loaded.
 */
import {ImageDecodeError} from "../types.js";
import type {DecodedFrame, FrameCodec, WasmLocator} from "./types.js";

interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned: boolean;
}

interface EmbindDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): FrameInfo;
  getDecodedBuffer(): Uint8Array;
  delete(): void;
}

interface EmscriptenOptions {
  locateFile?: (path: string, prefix: string) => string;
  print?: (text: string) => void;
}
type EmscriptenFactory = (options?: EmscriptenOptions) => Promise<Record<string, unknown>>;

export interface EmscriptenCodecSpec {
  library: string;
  /** The Emscripten module factory (the package's wasm glue, default export). */
  factory: unknown;
  /** The embind class that decodes. */
  decoderClass: string;
}

/** Emscripten throws numbers (C++ exception pointers) or strings; say which library failed and why. */
function codecError(library: string, error: unknown): ImageDecodeError {
  const why = error instanceof Error ? error.message : typeof error === "number" ? `native exception ${error}` : String(error);
  return new ImageDecodeError("corrupt", `compressed pixel data could not be decoded by ${library} (${why})`, undefined, {cause: error});
}

export async function loadEmscriptenCodec(spec: EmscriptenCodecSpec, locate?: WasmLocator): Promise<FrameCodec> {
  const factory = ((spec.factory as {default?: unknown}).default ?? spec.factory) as EmscriptenFactory;
  // OpenJPEG prints "[INFO] ..." lines for every frame on stdout; errors still reach printErr.
  const options: EmscriptenOptions = {print: () => {}};
  if (locate) options.locateFile = (path) => locate(path);
  const module = await factory(options);
  const Decoder = module[spec.decoderClass] as new () => EmbindDecoder;
  return {
    library: spec.library,
    decode(frame: Uint8Array): DecodedFrame {
      const decoder = new Decoder();
      try {
        decoder.getEncodedBuffer(frame.length).set(frame);
        decoder.decode();
        const info = decoder.getFrameInfo();
        // OpenJPEG returns an empty frame rather than throwing on a stream it cannot read.
        if (!info.width || !info.height || !info.componentCount) throw new Error("no image in the codestream");
        const view = decoder.getDecodedBuffer(); // a view into the wasm heap: copy before delete
        const bytes = view.slice();
        const wide = info.bitsPerSample > 8;
        const count = info.width * info.height * info.componentCount;
        if (bytes.length < count * (wide ? 2 : 1)) {
          throw new Error(`${bytes.length} bytes decoded for ${info.width}x${info.height}x${info.componentCount} samples`);
        }
        const samples = wide
          ? info.isSigned
            ? new Int16Array(bytes.buffer, 0, count)
            : new Uint16Array(bytes.buffer, 0, count)
          : info.isSigned
            ? new Int8Array(bytes.buffer, 0, count)
            : bytes.subarray(0, count);
        return {width: info.width, height: info.height, components: info.componentCount, bitsPerSample: info.bitsPerSample, signed: info.isSigned, samples};
      } catch (error) {
        throw codecError(spec.library, error);
      } finally {
        decoder.delete();
      }
    }
  };
}
