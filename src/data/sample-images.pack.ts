// The images of the sample audit (see audit-sample.ts) as one pack, with their labels in the header:
// the pages analyse them live, and a path clicked in an audit table opens from here.
import {packFiles} from "../pipeline/node/pack.js";
import {sampleRows} from "./audit-sample.js";
import {DATA_ROOT} from "./paths.js";

try {
  const rows = sampleRows();
  process.stdout.write(packFiles(DATA_ROOT, rows.map((r) => r.path), {rows}));
} catch (error) {
  console.error(`sample-images.pack: ${(error as Error).message}`);
  process.exit(1);
}
