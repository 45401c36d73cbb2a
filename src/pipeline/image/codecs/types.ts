/** What a compressed-frame decoder returns and how codecs are found; shared by every codec file. */

/** One decoded frame: samples interleaved by pixel (component-interleaved), row-major. */
export interface DecodedFrame {
  width: number;
  height: number;
  components: number;
  /** Precision of the samples as the codestream declares it (8, 12, 16...). */
  bitsPerSample: number;
  signed: boolean;
  samples: Uint8Array | Int8Array | Uint16Array | Int16Array;
}

export interface ExpectedFrame {
  width: number;
  height: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  signed: boolean;
  photometric: string;
}

export interface FrameCodec {
  /** The npm package (or "ours") that decodes, shown to the user and recorded in the audit. */
  library: string;
  /** `expected` is what the DICOM header says; codecs whose stream does not carry it (RLE) need it. */
  decode(frame: Uint8Array, expected: ExpectedFrame): DecodedFrame;
}

/**
 * Where a browser finds a codec's .wasm file (a URL for the file name the Emscripten glue asks for).
 * Node needs none: the glue reads the file next to itself in node_modules.
 */
export type WasmLocator = (fileName: string) => string;
