// A 1024x1024 NIH ChestX-ray14 radiograph from the local dataset, bundled at build time (never committed).
import {readFileSync, readdirSync} from "node:fs";
import path from "node:path";
import {DATA_ROOT} from "./paths.js";

const folder = path.join(DATA_ROOT, "cxr-nih/originals");
const name = readdirSync(folder).filter((f) => f.endsWith(".png")).sort()[0];
if (!name) throw new Error(`no PNG found under ${folder} (set CXR_DATA to your data folder)`);
process.stdout.write(readFileSync(path.join(folder, name)));
