// Shared by the dicom-codec-*.wasm.ts loaders: prints a DICOM codec's .wasm from node_modules, so
// the site serves it itself (its package exports the file under a name without .wasm, which
// Framework's import.meta.resolve would treat as JavaScript).
import {readFileSync} from "node:fs";
import {createRequire} from "node:module";

export function writeCodecWasm(specifier: string): void {
  process.stdout.write(readFileSync(createRequire(import.meta.url).resolve(specifier)));
}
