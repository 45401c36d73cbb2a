/**
 * 8-bit JPEG baseline and extended inside DICOM through jpeg-js (pure JS, synchronous), the same
 * decoder as plain .jpg files, so a JPEG and its DICOM give the same pixels.
 */
import {decodeJpegSamples} from "../jpeg.js";
import type {DecodedFrame, ExpectedFrame, FrameCodec} from "./types.js";

export const jpegJs: FrameCodec = {
  library: "jpeg-js",
  decode(frame: Uint8Array, expected: ExpectedFrame): DecodedFrame {
    // The Photometric Interpretation says whether 3 components are YCbCr or RGB.
    const jpeg = decodeJpegSamples(frame, {colorTransform: expected.photometric.startsWith("YBR")});
    return {width: jpeg.width, height: jpeg.height, components: jpeg.components, bitsPerSample: 8, signed: false, samples: jpeg.samples};
  }
};
