// The HTJ2K (OpenJPH) decoder's wasm, served by the site (src/components/worker-files.ts).
import {writeCodecWasm} from "./codec-wasm.js";

writeCodecWasm("@cornerstonejs/codec-openjph/wasm");
