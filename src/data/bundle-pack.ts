/** Shared by the bundle-*.pack.ts data loaders: a bundle of models/ as one pack on stdout. */
import {existsSync} from "node:fs";
import path from "node:path";
import {packBundle} from "../pipeline/node/pack.js";
import {PROJECT_ROOT} from "./paths.js";

export function printBundlePack(name: string): void {
  const folder = path.join(PROJECT_ROOT, "models", name);
  if (!existsSync(path.join(folder, "card.json"))) {
    console.error(`bundle-${name}.pack: ${folder}/card.json does not exist (train and evaluate it: see training/README.md)`);
    process.exit(1);
  }
  process.stdout.write(packBundle(folder));
}
