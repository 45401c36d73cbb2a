/** Node side of the benchmark: where its models and its image come from. */
import {existsSync, readFileSync} from "node:fs";
import path from "node:path";
import type {DecodedImage} from "../../src/pipeline/image/types.js";
import {decodeImage} from "../../src/pipeline/image/index.js";
import {directorySource} from "../../src/pipeline/node/fs-source.js";
import {CHESTER_MODELS, chesterFixture, DATA_ROOT, REPO_ROOT} from "../../tests/helpers/paths.js";
import type {ModelSpec} from "./measure.js";

export const MODEL_KEYS = ["pediatric-pneumonia", "nih-chestxray14", "chester"] as const;
export type ModelKey = (typeof MODEL_KEYS)[number];

export const MODEL_LABELS: Record<ModelKey, string> = {
  "pediatric-pneumonia": "pediatric-pneumonia (ours, 128 px)",
  "nih-chestxray14": "nih-chestxray14 (ours, 128 px)",
  chester: "Chester (its graph, 224 px)"
};

/** Folders of each model: [classifier folder, OOD folder for Chester]. */
export function modelFolders(key: ModelKey): {folder: string; ood?: string} {
  if (key === "chester") return {folder: chesterFixture(CHESTER_MODELS.densenet), ood: chesterFixture(CHESTER_MODELS.autoencoder)};
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
