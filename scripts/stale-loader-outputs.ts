/**
 * Framework re-runs a data loader only when its cached output is older than the loader file; it
 * does not know that `bundle-*.pack`, `audit-tables.pack` and `explanation-agreement.json` are made from `models/`, or that
 * `analysis-worker.js` is bundled from `src/`. This removes such cached outputs when their inputs
 * are newer (run before `npm start` and `npm run build`), so the site never serves an old model
 * beside its new card, or an old worker beside new pages.
 */
import {existsSync, readdirSync, rmSync, statSync} from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cache = path.join(root, "src/.observablehq/cache/data");

/** Newest modification time of the model files of a bundle folder (card and graphs; 0 if absent), or of a file. */
function newest(folder: string): number {
  if (!existsSync(folder)) return 0;
  if (statSync(folder).isFile()) return statSync(folder).mtimeMs;
  return readdirSync(folder, {recursive: true, withFileTypes: true})
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    // The README and the evaluation tables are not in the packs.
    .filter((file) => !/(README\.md|\.csv|-training\.json|-parity\.json)$/.test(file))
    .reduce((latest, file) => Math.max(latest, statSync(file).mtimeMs), 0);
}

const auditModel = process.env.CXR_AUDIT_MODEL ? path.resolve(process.env.CXR_AUDIT_MODEL) : path.join(root, "models/pediatric-pneumonia");
const inputs: Record<string, string[]> = {"audit-tables.pack": [auditModel]};
if (existsSync(path.join(root, "models")))
  for (const name of readdirSync(path.join(root, "models"))) inputs[`bundle-${name}.pack`] = [path.join(root, "models", name)];

// The explanation agreement scores the shipped bundles' maps with the faithfulness modules.
inputs["explanation-agreement.json"] = [path.join(root, "models/pediatric-pneumonia"), path.join(root, "models/nih-chestxray14"), path.join(root, "src/pipeline/faithfulness"), path.join(root, "src/pipeline/explain"), path.join(root, "src/data/explanation-agreement.ts")];
// The analysis worker is bundled from the pipeline's sources: any change to them makes it again.
inputs["analysis-worker.js"] = [path.join(root, "src/workers"), path.join(root, "src/pipeline"), path.join(root, "src/components")];

for (const [output, folders] of Object.entries(inputs)) {
  const file = path.join(cache, output);
  if (!existsSync(file)) continue;
  if (folders.some((folder) => newest(folder) > statSync(file).mtimeMs)) {
    rmSync(file);
    console.log(`${output}: its inputs changed since it was made; it will be made again`);
  }
}
