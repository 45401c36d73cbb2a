// The Cornerstone codec packages ship Emscripten glue without type declarations.
declare module "@cornerstonejs/codec-openjpeg/decodewasmjs" {
  const factory: unknown;
  export default factory;
}
declare module "@cornerstonejs/codec-openjph/wasmjs" {
  const factory: unknown;
  export default factory;
}
declare module "@cornerstonejs/codec-charls/decodewasmjs" {
  const factory: unknown;
  export default factory;
}
declare module "@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs" {
  const factory: unknown;
  export default factory;
}
// jpeg-lossless-decoder-js names a declaration file it does not ship.
declare module "jpeg-lossless-decoder-js" {
  export class Decoder {
    decode(buffer: ArrayBuffer, offset?: number, length?: number, numBytes?: number): Uint8Array | Uint16Array;
  }
}
