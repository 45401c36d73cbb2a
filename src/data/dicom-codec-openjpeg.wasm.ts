// The JPEG 2000 (OpenJPEG) decoder's wasm, served by the site (src/components/worker-files.ts).
import {writeCodecWasm} from "./codec-wasm.js";

writeCodecWasm("@cornerstonejs/codec-openjpeg/decodewasm");
