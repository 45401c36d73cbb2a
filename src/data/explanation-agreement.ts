/**
 * Behind the explanation-agreement.json data loader (and boxed-samples.pack): every explanation
 * method under every faithfulness metric over a small fixed sample, per bundle, and Kendall's tau
 * between the metrics' rankings of the methods (src/pipeline/faithfulness/). Computed once at
 * build time, in Node on the wasm backend, not per visit.
 *
 * The samples (the same files every time: evenly spaced in sorted order):
 * - nih-chestxray14: AGREEMENT_IMAGES radiographs of cxr-nih with a radiologist's Pneumonia box,
 *   explained for Pneumonia: every metric, localisation included.
 * - pediatric-pneumonia: AGREEMENT_IMAGES pneumonia images of the bundled sample set (the sample
 *   audit's): no radiologist boxes exist for them, so no localisation columns.
 *
 * Methods: saliency and the CAM family without Score-CAM (1,024 forward passes a map), SmoothGrad
 * and Integrated Gradients (16 and 32 backward passes), which would multiply the build's time;
 * HiResCAM and XGrad-CAM equal Grad-CAM with these pooled heads (explain/index.ts), so they would
 * only add ties. Environment: CXR_DATA (the data folder).
 */
import {existsSync, readFileSync} from "node:fs";
import path from "node:path";
import {analyse} from "../pipeline/analyse.js";
import {loadBundle} from "../pipeline/bundle/load.js";
import type {ExplanationMethod} from "../pipeline/explain/index.js";
import type {AgreementTable} from "../pipeline/faithfulness/agreement.js";
import {agreementFromRows, evaluateFaithfulness, type FaithfulnessRow} from "../pipeline/faithfulness/evaluate-image.js";
import {boxInInput, parseBoxesCsv, type BoxRow} from "../pipeline/faithfulness/localisation.js";
import {decodeImage} from "../pipeline/image/index.js";
import {directorySource} from "../pipeline/node/fs-source.js";
import {prepare} from "../pipeline/preprocess.js";
import {initBackend} from "../pipeline/wasm-backend.js";
import {sampleRows} from "./audit-sample.js";
import {DATA_ROOT, PROJECT_ROOT} from "./paths.js";

export const AGREEMENT_METHODS: ExplanationMethod[] = ["saliency", "cam", "gradcam", "gradcampp", "layercam", "eigencam"];
export const AGREEMENT_IMAGES = 3;
export const AGREEMENT_ALPHAS = [5, 10, 20, 40];
/** Deletion / insertion steps: 8 (not the audit's 16) to keep the build short; ROAD keeps its 9 fractions. */
export const AGREEMENT_STEPS = 8;
/** Boxed radiographs the page offers as samples (the agreement's and a few more). */
export const BOXED_SAMPLES = 8;
/** The boxed samples' `set` in their pack: what the image chooser shows before the file name. */
export const BOXED_SET = "NIH, Pneumonia box";

const BOXES_FILE = () => path.join(DATA_ROOT, "cxr-nih/boxes.csv");

function spaced<T>(rows: T[], count: number): T[] {
  if (rows.length <= count) return rows;
  return Array.from({length: count}, (_, i) => rows[Math.floor(((i + 0.5) * rows.length) / count)]!);
}

/** Every box of boxes.csv, its path relative to the data folder (as the sample packs name images). */
export function allBoxes(): BoxRow[] {
  if (!existsSync(BOXES_FILE())) throw new Error(`${BOXES_FILE()} not found: set CXR_DATA to the data folder (see ../shared/data/README.md)`);
  const {boxes, errors} = parseBoxesCsv(readFileSync(BOXES_FILE(), "utf8"));
  if (errors.length) throw new Error(`${BOXES_FILE()}: ${errors.join("; ")}`);
  return boxes.map((b) => ({...b, path: `cxr-nih/${b.path}`}));
}

/** Radiographs with a Pneumonia box, evenly spaced: the first `count` of BOXED_SAMPLES' spacing. */
export function boxedSamplePaths(count = BOXED_SAMPLES): string[] {
  const paths = [...new Set(allBoxes().filter((b) => b.finding === "Pneumonia").map((b) => b.path))].sort();
  return spaced(paths, count);
}

export interface BundleAgreement {
  bundle: string;
  finding: string;
  images: {path: string; box: boolean}[];
  methods: string[];
  /** Per image, as evaluateFaithfulness gives them. */
  rows: (FaithfulnessRow & {path: string})[];
  table: AgreementTable;
  seconds: number;
}

export interface ExplanationAgreement {
  made: string;
  settings: {methods: string[]; alphas: number[]; steps: number; images: number};
  bundles: BundleAgreement[];
  /** boxes.csv (paths relative to the data folder): the page draws the box of an image that has one. */
  boxes: BoxRow[];
}

async function bundleAgreement(name: string, folder: string, images: {path: string; box?: BoxRow}[], finding: string, log: (line: string) => void): Promise<BundleAgreement> {
  if (!existsSync(path.join(folder, "card.json"))) throw new Error(`${folder}/card.json does not exist: train and evaluate the bundle first (training/README.md)`);
  const start = performance.now();
  const bundle = await loadBundle(directorySource(folder));
  try {
    const size = bundle.card.classifier.inputSize;
    const rows: BundleAgreement["rows"] = [];
    for (const [k, image] of images.entries()) {
      const decoded = decodeImage(new Uint8Array(readFileSync(path.join(DATA_ROOT, image.path))), {name: image.path});
      const result = analyse(bundle, decoded, {predictRejected: true, methods: AGREEMENT_METHODS, finding});
      const prepared = prepare(decoded, size, result.resize);
      const pixels = prepared.pixels.dataSync().slice() as Float32Array;
      prepared.pixels.dispose();
      const maps = Object.fromEntries(Object.entries(result.explanation!.maps).map(([m, map]) => [m, map!.data]));
      const box = image.box ? boxInInput(image.box, decoded.width, decoded.height, result.box, size) ?? undefined : undefined;
      const own = evaluateFaithfulness(bundle.classifier, pixels, size, maps, result.explanation!.finding.index, {alphas: AGREEMENT_ALPHAS, steps: AGREEMENT_STEPS, box});
      rows.push(...own.map((r) => ({...r, path: image.path})));
      log(`${name}: ${k + 1} of ${images.length} images (${((performance.now() - start) / 1000).toFixed(0)} s)`);
    }
    return {
      bundle: name,
      finding,
      images: images.map((i) => ({path: i.path, box: Boolean(i.box)})),
      methods: AGREEMENT_METHODS,
      rows,
      table: agreementFromRows(rows),
      seconds: (performance.now() - start) / 1000
    };
  } finally {
    bundle.dispose();
  }
}

export interface AgreementOptions {
  log?: (line: string) => void;
  /** Bundle folders by the name each sample belongs to (tests give a small bundle for both). */
  folders?: {"pediatric-pneumonia": string; "nih-chestxray14": string};
  images?: number;
}

export async function explanationAgreement({log = () => {}, folders, images = AGREEMENT_IMAGES}: AgreementOptions = {}): Promise<ExplanationAgreement> {
  await initBackend({prefer: ["wasm"]});
  const folderOf = (name: "pediatric-pneumonia" | "nih-chestxray14") => folders?.[name] ?? path.join(PROJECT_ROOT, "models", name);
  const boxes = allBoxes();
  const boxed = boxedSamplePaths().slice(0, images);
  const nih = boxed.map((p) => ({path: p, box: boxes.find((b) => b.path === p && b.finding === "Pneumonia")!}));
  const peds = spaced(sampleRows().filter((r) => r.label === "PNEUMONIA"), images).map((r) => ({path: r.path}));
  return {
    made: new Date().toISOString(),
    settings: {methods: AGREEMENT_METHODS, alphas: AGREEMENT_ALPHAS, steps: AGREEMENT_STEPS, images},
    bundles: [
      await bundleAgreement("pediatric-pneumonia", folderOf("pediatric-pneumonia"), peds, "Pneumonia", log),
      await bundleAgreement("nih-chestxray14", folderOf("nih-chestxray14"), nih, "Pneumonia", log)
    ],
    boxes
  };
}
