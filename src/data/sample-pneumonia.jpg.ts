// A full-resolution pediatric radiograph from the local dataset, bundled into the site at build time
// (the data itself is never committed). Set CXR_DATA to use your own data folder.
import {readFileSync, readdirSync} from "node:fs";
import path from "node:path";
import {DATA_ROOT} from "./paths.js";

const folder = path.join(DATA_ROOT, "cxr-peds/originals");
const name = readdirSync(folder, {recursive: true}).map(String).filter((f) => /pneumonia.*\.jpe?g$/i.test(f)).sort()[0];
if (!name) throw new Error(`no pneumonia image found under ${folder} (set CXR_DATA to your data folder)`);
process.stdout.write(readFileSync(path.join(folder, name)));
