// Radiographs of cxr-nih with a radiologist's Pneumonia box (evenly spaced through boxes.csv; the
// explanation agreement's sample among them) as one pack, their rows in the header: the
// Explanation evaluation page offers them, and draws the box over their maps.
import {packFiles} from "../pipeline/node/pack.js";
import {BOXED_SET, boxedSamplePaths} from "./explanation-agreement.js";
import {DATA_ROOT} from "./paths.js";

try {
  // The label names the boxed finding, so the pages explain the finding the box marks; the set
  // names where they come from (the chooser's title), apart from the sample audit's adult images.
  const rows = boxedSamplePaths().map((p) => ({path: p, label: "Pneumonia", set: BOXED_SET}));
  process.stdout.write(packFiles(DATA_ROOT, rows.map((r) => r.path), {rows}));
} catch (error) {
  console.error(`boxed-samples.pack: ${(error as Error).message}`);
  process.exit(1);
}
