// The 24 untouched full-resolution pediatric test radiographs (cxr-peds/originals, up to ~2,900 px,
// not square) as one pack: what the Preprocessing page needs to show crop versus stretch.
import {packFiles, folderFiles} from "../pipeline/node/pack.js";
import {DATA_ROOT} from "./paths.js";
import path from "node:path";

try {
  const folder = path.join(DATA_ROOT, "cxr-peds/originals");
  const files = folderFiles(folder).filter((f) => /\.(jpe?g|png)$/i.test(f));
  if (!files.length) throw new Error(`no images under ${folder} (set CXR_DATA to your data folder)`);
  const rows = files.map((f) => ({path: `cxr-peds/originals/${f}`, label: f.split("/")[0]!, set: ""}));
  process.stdout.write(packFiles(DATA_ROOT, rows.map((r) => r.path), {rows}));
} catch (error) {
  console.error(`peds-originals.pack: ${(error as Error).message}`);
  process.exit(1);
}
