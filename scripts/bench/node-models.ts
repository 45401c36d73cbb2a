/** Node side of the benchmark: where its models and its image come from. */
import {cpSync, existsSync, readFileSync, rmSync, statSync, writeFileSync} from "node:fs";
import path from "node:path";
import type {DecodedImage} from "../../src/pipeline/image/types.js";
import {decodeImage} from "../../src/pipeline/image/index.js";
import {directorySource} from "../../src/pipeline/node/fs-source.js";
import {CHESTER_MODELS, chesterFixture, DATA_ROOT, REPO_ROOT} from "../../tests/helpers/paths.js";
import type {ModelSpec} from "./measure.js";

/** The shipped bundles, the same bundles with their earlier 128 px classifiers (speed only), Chester's graph. */
export const MODEL_KEYS = ["pediatric-pneumonia", "nih-chestxray14", "pediatric-pneumonia-128", "nih-chestxray14-128", "chester"] as const;
export type ModelKey = (typeof MODEL_KEYS)[number];
/** The bundles the targets are about (the shipped ones). */
export const SHIPPED_KEYS = ["pediatric-pneumonia", "nih-chestxray14"] as const satisfies readonly ModelKey[];

const inputSize = (folder: string) => (JSON.parse(readFileSync(path.join(folder, "card.json"), "utf8")) as {classifier: {inputSize: number}}).classifier.inputSize;

export const MODEL_LABELS: Record<ModelKey, string> = {
  "pediatric-pneumonia": `pediatric-pneumonia (ours, ${inputSize(path.join(REPO_ROOT, "models/pediatric-pneumonia"))} px)`,
  "nih-chestxray14": `nih-chestxray14 (ours, ${inputSize(path.join(REPO_ROOT, "models/nih-chestxray14"))} px)`,
  "pediatric-pneumonia-128": "pediatric-pneumonia, earlier 128 px classifier",
  "nih-chestxray14-128": "nih-chestxray14, earlier 128 px classifier",
  chester: "Chester (its graph, 224 px)"
};

/**
 * The shipped bundle with its earlier 128 px classifier (training/init/<bundle>-128px, what the 224 px
 * one was fine-tuned from) in place of its own: the same autoencoder and statistics, so the two
 * columns differ by the classifier's input size only. For speed and memory: its card's operating
 * points are the 224 px classifier's.
 */
function earlierBundle(bundle: string): string {
  const shipped = path.join(REPO_ROOT, "models", bundle);
  const classifier = path.join(REPO_ROOT, "training/init", `${bundle}-128px`, "classifier");
  if (!existsSync(classifier)) throw new Error(`no earlier 128 px classifier at ${classifier}`);
  const folder = path.join(REPO_ROOT, "tests/.tmp/bench-bundles", `${bundle}-128px`);
  // Made once per change of its sources (every child process of the benchmark asks for it).
  const stamp = JSON.stringify([path.join(shipped, "card.json"), path.join(classifier, "weights.bin")].map((f) => [statSync(f).size, statSync(f).mtimeMs]));
  const stampFile = path.join(folder, ".made-from");
  if (existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp) return folder;
  rmSync(folder, {recursive: true, force: true});
  // What a bundle load reads: not the evaluation's per-image figures.
  cpSync(shipped, folder, {recursive: true, filter: (source) => !/[\\/](classifier|evaluation)$/.test(source)});
  cpSync(classifier, path.join(folder, "classifier"), {recursive: true});
  const card = JSON.parse(readFileSync(path.join(folder, "card.json"), "utf8")) as {classifier: {inputSize: number}};
  card.classifier.inputSize = 128;
  writeFileSync(path.join(folder, "card.json"), JSON.stringify(card, null, 2));
  writeFileSync(stampFile, stamp);
  return folder;
}

/** Folders of each model: [classifier folder, OOD folder for Chester]. */
export function modelFolders(key: ModelKey): {folder: string; ood?: string} {
  if (key === "chester") return {folder: chesterFixture(CHESTER_MODELS.densenet), ood: chesterFixture(CHESTER_MODELS.autoencoder)};
  if (key.endsWith("-128")) return {folder: earlierBundle(key.slice(0, -"-128".length))};
  return {folder: path.join(REPO_ROOT, "models", key)};
}

export function modelSpec(key: ModelKey): ModelSpec {
  const {folder, ood} = modelFolders(key);
  return {name: key, source: directorySource(folder), ood: ood ? directorySource(ood) : undefined};
}

/** A real pediatric test image (256 px JPEG) from CXR_DATA. */
export const DEFAULT_IMAGE = path.join(DATA_ROOT, "cxr-peds/test/PNEUMONIA/person100_bacteria_475.jpg");

/** The image the benchmark analyses: a file, or (without the data folder) a synthetic 512 x 512 grey ramp. */
export function benchImage(file: string): DecodedImage {
  if (file !== "synthetic" && existsSync(file)) return decodeImage(new Uint8Array(readFileSync(file)), {name: path.basename(file)});
  const size = 512;
  const data = new Float32Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) data[y * size + x] = Math.sqrt((x / size) * (y / size));
  return {width: size, height: size, channels: 1, data, format: "png", bitDepth: 8, info: {synthetic: true}};
}
