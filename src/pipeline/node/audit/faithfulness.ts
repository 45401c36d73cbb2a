/**
 * Node-only: the audit's explanation checks beyond AD and BAD (issue 11), as rows of the
 * `faithfulness`, `sanity` and `localisation` tables. Each is the pure module's result for the
 * image, unchanged (src/pipeline/faithfulness/): the audit only chooses what runs and flattens it.
 *
 * - --faithfulness: evaluateFaithfulness on the maps analyse() made (bilinear, at the input size):
 *   AD, BAD (the audit's alphas) and Increase in Confidence under each baseline, deletion and
 *   insertion areas, ROAD MoRF / LeRF and their gap.
 * - --sanity N|all: cascadingRandomisation on N images spread evenly over the audited list (it
 *   recomputes every map once per weight block: 10 blocks for DenseNet-121), so on a few images.
 * - --localisation BOXES.csv: localise() against each box of a boxed image, the map explained for
 *   the box's finding (a boxed image is also explained for its boxes' findings).
 */
import {createHash} from "node:crypto";
import {existsSync, readFileSync} from "node:fs";
import path from "node:path";
import type {Classifier} from "../../model/classifier.js";
import type {ExplanationMethod} from "../../explain/index.js";
import {BASELINE_NAMES, type BaselineName} from "../../faithfulness/baselines.js";
import {evaluateFaithfulness, HIGHER_IS_BETTER} from "../../faithfulness/evaluate-image.js";
import {boxInInput, localise, parseBoxesCsv, type Box, type BoxRow} from "../../faithfulness/localisation.js";
import {cascadingRandomisation} from "../../faithfulness/sanity.js";
import {AuditError} from "./errors.js";
import {toPosix} from "./images.js";
import type {Row} from "./parquet.js";

export const DEFAULT_CURVE_STEPS = 16;

export function validateBaselines(names: string[]): BaselineName[] {
  if (!names.length) throw new AuditError(`--baselines needs at least one of ${BASELINE_NAMES.join(", ")}`);
  const unknown = names.filter((n) => !(BASELINE_NAMES as string[]).includes(n));
  if (unknown.length) throw new AuditError(`unknown perturbation baseline${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}; choose from ${BASELINE_NAMES.join(", ")}`);
  return [...new Set(names)] as BaselineName[];
}

/** "all", or a positive integer count of images. */
export function parseSanity(text: string): number | "all" {
  if (text.trim() === "all") return "all";
  const n = Number(text);
  if (!(Number.isInteger(n) && n >= 1)) throw new AuditError(`--sanity takes a number of images or "all", got ${JSON.stringify(text)}`);
  return n;
}

/**
 * The images the sanity check runs on: `count` spread evenly over the audited list (sorted, after
 * --limit, before sharding), so every shard agrees on them and a resumed run picks the same ones.
 */
export function sanityPaths(all: string[], count: number | "all"): Set<string> {
  if (count === "all" || count >= all.length) return new Set(all);
  return new Set(Array.from({length: count}, (_, i) => all[Math.floor(((i + 0.5) * all.length) / count)]!));
}

export interface BoxTable {
  file: string;
  sha256: string;
  /** Boxes per audited path, their finding named as the bundle names it. */
  byPath: Map<string, BoxRow[]>;
  /** Rows of the file; those on audited images; those skipped because the bundle lacks their finding. */
  rows: number;
  matched: number;
  otherFindings: Map<string, number>;
}

const norm = (s: string) => s.trim().toLowerCase().replace(/[\s_-]+/g, "_");

/**
 * Reads a boxes CSV (../shared/data/cxr-nih/boxes.csv's columns). Paths are relative to the
 * images folder or, for a CSV inside it, to the CSV's own folder (the base matching more audited
 * images wins, as for labels). Clear errors: no such file, a bad row (by line), no box on an
 * audited image.
 */
export function readBoxes(file: string, root: string, findings: string[], listed: string[]): BoxTable {
  const resolved = path.resolve(file);
  if (!existsSync(resolved)) throw new AuditError(`--localisation ${file}: no such file`);
  const bytes = readFileSync(resolved);
  const {boxes, errors} = parseBoxesCsv(bytes.toString("utf8"));
  if (errors.length) throw new AuditError(`--localisation ${file}: ${errors.slice(0, 10).join("; ")}${errors.length > 10 ? `; and ${errors.length - 10} more` : ""}`);
  const known = new Set(listed);
  const csvFolder = path.dirname(resolved);
  const bases = [root];
  if (csvFolder !== root && csvFolder.startsWith(root + path.sep)) bases.unshift(csvFolder);
  const resolveFrom = (base: string, p: string) => toPosix(path.relative(root, path.resolve(base, p)));
  const matches = bases.map((base) => boxes.filter((b) => known.has(resolveFrom(base, b.path))).length);
  const base = bases[matches.indexOf(Math.max(...matches))]!;
  const byPath = new Map<string, BoxRow[]>();
  const otherFindings = new Map<string, number>();
  let matched = 0;
  for (const box of boxes) {
    const relative = resolveFrom(base, box.path);
    if (!known.has(relative)) continue;
    matched++;
    const finding = findings.find((f) => norm(f) === norm(box.finding));
    if (!finding) {
      otherFindings.set(box.finding, (otherFindings.get(box.finding) ?? 0) + 1);
      continue;
    }
    const list = byPath.get(relative) ?? [];
    if (list.some((b) => b.finding === finding)) throw new AuditError(`--localisation ${file}: ${relative} has two ${finding} boxes; give one box per image and finding`);
    list.push({...box, path: relative, finding});
    byPath.set(relative, list);
  }
  if (boxes.length && matched === 0)
    throw new AuditError(
      `--localisation ${file}: none of its ${boxes.length} boxes is on an audited image (paths are relative to ${root}` +
        `${bases.length > 1 ? ` or to ${csvFolder}` : ""}; first path: ${JSON.stringify(boxes[0]!.path)})`
    );
  return {file: resolved, sha256: createHash("sha256").update(bytes).digest("hex"), byPath, rows: boxes.length, matched, otherFindings};
}

/** One explained finding of one image: what the checks need. */
export interface ExplainedImage {
  path: string;
  finding: {index: number; label: string; raw: number};
  label: 0 | 1 | null;
  /** Each method's map at the input size (size x size), as analyse() made it. */
  maps: Partial<Record<ExplanationMethod, Float32Array>>;
  /** The grey model input. */
  pixels: Float32Array;
  size: number;
}

export function faithfulnessRows(classifier: Classifier, image: ExplainedImage, options: {baselines: BaselineName[]; alphas: number[]; steps: number}): Row[] {
  const rows = evaluateFaithfulness(classifier, image.pixels, image.size, image.maps as Record<string, Float32Array>, image.finding.index, {
    baselines: options.baselines,
    alphas: options.alphas,
    steps: options.steps
  });
  return rows.map((r) => [image.path, image.finding.label, r.method, r.metric, r.baseline, r.alpha, r.value, HIGHER_IS_BETTER[r.metric], image.finding.raw, image.label]);
}

export function sanityRows(classifier: Classifier, image: ExplainedImage, methods: ExplanationMethod[]): Row[] {
  const result = cascadingRandomisation(classifier, image.pixels, image.size, image.finding.index, methods);
  return result.steps.flatMap((step, s) =>
    methods.map((m) => [image.path, image.finding.label, m, s + 1, step.randomised.at(-1) ?? null, step.similarity[m]?.spearman ?? null, step.similarity[m]?.ssim ?? null, result.flagged.includes(m)])
  );
}

/**
 * `box` is the CSV's box; `inInput` the same box in the model input's frame (boxInInput), where
 * the maps are. The table keeps the input-frame box, the one the figures refer to.
 */
export function localisationRows(image: ExplainedImage, inInput: Box): Row[] {
  return Object.entries(image.maps).map(([method, map]) => {
    const l = localise(map!, image.size, image.size, inInput);
    return [image.path, image.finding.label, method, inInput.x, inInput.y, inInput.width, inInput.height, l.boxShare, l.pointingHit, l.energyInside, l.iou, image.finding.raw, image.label];
  });
}

export {boxInInput};
