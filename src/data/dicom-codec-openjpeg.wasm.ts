// The JPEG 2000 (OpenJPEG) decoder's wasm, served by the site (src/components/image-decoder.ts).
import {writeCodecWasm} from "./codec-wasm.js";

writeCodecWasm("@cornerstonejs/codec-openjpeg/decodewasm");
