/**
 * Bundled by esbuild for tests/browser-dicom-codecs.test.ts: decodes DICOM files in Chromium with
 * the codecs' .wasm files fetched from the test server, and installs `window.dicomCodecs`.
 */
import {decodeImageAsync, setDicomCodecLocator} from "../../src/pipeline/image/index.js";

export interface BrowserDecoded {
  width: number;
  height: number;
  codec: string | null;
  transferSyntaxUID: string;
  /** The decoded intensities x 65535, rounded: exact for every bit depth up to 16. */
  levels: number[];
}

async function decodeUrl(url: string, wasmFolder: string): Promise<BrowserDecoded> {
  setDicomCodecLocator((file) => `${wasmFolder}${file}`);
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const image = await decodeImageAsync(bytes, {name: url});
  return {
    width: image.width,
    height: image.height,
    codec: (image.info.codec as string | undefined) ?? null,
    transferSyntaxUID: String(image.info.transferSyntaxUID),
    levels: Array.from(image.data, (v) => Math.round(v * 65535))
  };
}

declare global {
  interface Window {
    dicomCodecs?: {decodeUrl: typeof decodeUrl};
  }
}

if (typeof window !== "undefined") window.dicomCodecs = {decodeUrl};
