/** JPEG lossless (Process 14, any predictor) through jpeg-lossless-decoder-js, the decoder Cornerstone uses. */
import {Decoder} from "jpeg-lossless-decoder-js";
import {ImageDecodeError} from "../types.js";
import type {DecodedFrame, ExpectedFrame, FrameCodec} from "./types.js";

const LIBRARY = "jpeg-lossless-decoder-js";

export const jpegLossless: FrameCodec = {
  library: LIBRARY,
  decode(frame: Uint8Array, expected: ExpectedFrame): DecodedFrame {
    const decoder = new Decoder() as Decoder & {xDim: number; yDim: number; numComp: number; precision: number};
    let samples: Uint8Array | Uint16Array;
    try {
      // The decoder reads through a DataView of the buffer from `offset`; give it exactly the frame.
      const own = frame.byteOffset === 0 && frame.byteLength === frame.buffer.byteLength ? frame : frame.slice();
      samples = decoder.decode(own.buffer as ArrayBuffer, 0, own.byteLength) as Uint8Array | Uint16Array;
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new ImageDecodeError("corrupt", `JPEG lossless pixel data could not be decoded by ${LIBRARY} (${why})`, undefined, {cause: error});
    }
    // Signed data is stored as two's complement in the precision's bits (PS3.5 A.4.1): sign-extend.
    if (expected.signed && samples instanceof Uint16Array) {
      const signed = new Int16Array(samples.length);
      const range = 2 ** decoder.precision;
      for (let i = 0; i < samples.length; i++) signed[i] = samples[i]! >= range / 2 ? samples[i]! - range : samples[i]!;
      return {width: decoder.xDim, height: decoder.yDim, components: decoder.numComp, bitsPerSample: decoder.precision, signed: true, samples: signed};
    }
    return {width: decoder.xDim, height: decoder.yDim, components: decoder.numComp, bitsPerSample: decoder.precision, signed: false, samples};
  }
};
