// A dedicated worker: decodes the Blob it is sent as the analysis worker does a large opened PNG
// (read in slices through FileReaderSync), and the same file read whole, and posts both back.
import {blobReader, decodeImage, decodeLargePng, type DecodeOptions} from "../../src/pipeline/image/index.js";

self.onmessage = async (event: MessageEvent<{blob: Blob; options: DecodeOptions}>) => {
  try {
    const {blob, options} = event.data;
    const reader = blobReader(blob);
    const sliced = reader ? decodeLargePng(reader, options) : null;
    const whole = decodeImage(new Uint8Array(await blob.arrayBuffer()), options);
    self.postMessage({
      hasReader: reader !== null,
      sliced: sliced && {width: sliced.width, height: sliced.height, data: Array.from(sliced.data), squares: sliced.reduced!.squares.map((q) => Array.from(q.data))},
      whole: {width: whole.width, height: whole.height, data: Array.from(whole.data), squares: whole.reduced!.squares.map((q) => Array.from(q.data))}
    });
  } catch (error) {
    self.postMessage({error: String(error)});
  }
};
