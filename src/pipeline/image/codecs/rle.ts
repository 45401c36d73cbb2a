/**
 * DICOM RLE Lossless (PS3.5 Annex G). No maintained npm package decodes it on its own (Cornerstone
 * keeps its decoder inside its image loader), and the format is a 64-byte header of segment offsets
 * plus PackBits per byte plane, so it is decoded here.
 */
import {ImageDecodeError} from "../types.js";
import type {DecodedFrame, ExpectedFrame, FrameCodec} from "./types.js";

const corrupt = (why: string) => new ImageDecodeError("corrupt", `RLE pixel data is corrupt: ${why}`);

/** PackBits one segment into `out` at `start`, every `stride` bytes, `count` values. */
function unpackSegment(src: Uint8Array, from: number, to: number, out: Uint8Array, start: number, stride: number, count: number) {
  let i = from;
  let n = 0;
  while (i < to && n < count) {
    const header = src[i++]!;
    if (header < 128) {
      const length = header + 1; // copy the next header + 1 bytes literally
      if (i + length > to) throw corrupt("a literal run goes past its segment");
      for (let k = 0; k < length && n < count; k++) out[start + stride * n++] = src[i + k]!;
      i += length;
    } else if (header > 128) {
      const length = 257 - header; // repeat the next byte 257 - header times
      if (i >= to) throw corrupt("a replicate run has no byte");
      const value = src[i++]!;
      for (let k = 0; k < length && n < count; k++) out[start + stride * n++] = value;
    } // 128: no operation
  }
  if (n < count) throw corrupt(`a segment holds ${n} of ${count} bytes`);
}

export const rle: FrameCodec = {
  library: "ours (PS3.5 Annex G)",
  decode(frame: Uint8Array, expected: ExpectedFrame): DecodedFrame {
    const {width, height, samplesPerPixel, bitsAllocated, signed} = expected;
    if (frame.length < 64) throw corrupt("the frame is shorter than its 64-byte header");
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const segments = view.getUint32(0, true);
    const bytesPerSample = bitsAllocated / 8;
    if (segments !== samplesPerPixel * bytesPerSample) {
      throw corrupt(`${segments} segments for ${samplesPerPixel} sample(s) of ${bitsAllocated} bits (expected ${samplesPerPixel * bytesPerSample})`);
    }
    const pixels = width * height;
    // Decode into little-endian interleaved bytes: segment order is sample by sample, most
    // significant byte first (G.2), so segment (s, b) fills byte (bytesPerSample - 1 - b) of sample s.
    const out = new Uint8Array(pixels * samplesPerPixel * bytesPerSample);
    for (let seg = 0; seg < segments; seg++) {
      const from = view.getUint32(4 + seg * 4, true);
      const to = seg + 1 < segments ? view.getUint32(8 + seg * 4, true) : frame.length;
      if (from < 64 || to > frame.length || from > to) throw corrupt(`segment ${seg + 1} has offsets ${from}-${to} outside the frame`);
      const sample = Math.floor(seg / bytesPerSample);
      const byte = bytesPerSample - 1 - (seg % bytesPerSample);
      unpackSegment(frame, from, to, out, sample * bytesPerSample + byte, samplesPerPixel * bytesPerSample, pixels);
    }
    const count = pixels * samplesPerPixel;
    const samples =
      bitsAllocated === 8
        ? signed ? new Int8Array(out.buffer) : out
        : bitsAllocated === 16
          ? signed ? new Int16Array(out.buffer, 0, count) : new Uint16Array(out.buffer, 0, count)
          : undefined;
    if (!samples) throw new ImageDecodeError("unsupported", `RLE with Bits Allocated ${bitsAllocated} is not supported (8 or 16)`);
    return {width, height, components: samplesPerPixel, bitsPerSample: bitsAllocated, signed, samples};
  }
};
