/**
 * npm run ood-stats -- <bundle name or folder> [--data DIR] [--dataset pediatric|nih] [--train-limit N]
 *                      [--reference-size N] [--k N]
 *
 * Fits the feature-space OOD statistics of a bundle's classifier on its training split (the same
 * split as training/train.py: pediatric validation patients by hash, NIH's own splits), writes them
 * beside card.json (ood-features.bin), and sets the card's gate: one threshold per score, each
 * accepting 95 % of the validation split, and the default score, chosen on validation images and
 * synthetic outliers made from them (never on an OOD set). Also measures the pixel check on the
 * training and validation images. Works on any bundle of the project's format.
 */
import * as tf from "@tensorflow/tfjs";
import {mkdirSync, readFileSync, writeFileSync} from "node:fs";
import path from "node:path";
import {parseArgs} from "node:util";
import {parseCard, type Card, type OodDecision} from "../src/pipeline/bundle/card.js";
import {loadBundle} from "../src/pipeline/bundle/load.js";
import {acceptanceThreshold, inDistributionSide} from "../src/pipeline/evaluation-figures.js";
import {decodeImage} from "../src/pipeline/image/index.js";
import {DEFAULT_IMAGE_CHECK_LIMITS, judgeImage, type ImageMeasures} from "../src/pipeline/image-check.js";
import {directorySource} from "../src/pipeline/node/fs-source.js";
import {NIH_FINDINGS, nihImages, oodSets, pediatricImages, type LabelledImage} from "../src/pipeline/node/datasets.js";
import {GATE_SCORE_HIGHER_IS_OUT, type GateScores} from "../src/pipeline/ood.js";
import {gateTargets} from "./ood-gate-report.js";
import {bundleScoreNames, chooseGate, scoreImage, separationByScore, SYNTHETIC_OUTLIERS, syntheticOutlier} from "../src/pipeline/ood-evaluation.js";
import {classMemberships, fitFeatureStatistics} from "../src/pipeline/ood-feature-stats.js";
import {encodeFeatureStatistics, FeatureOod} from "../src/pipeline/ood-features.js";
import {prepareSizes} from "../src/pipeline/preprocess.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const FILE = "ood-features.bin";
const {values: options, positionals} = parseArgs({
  allowPositionals: true,
  options: {
    data: {type: "string", default: process.env.CXR_DATA ?? path.join(ROOT, "../shared/data")},
    dataset: {type: "string"},
    "train-limit": {type: "string", default: "2000"},
    "val-limit": {type: "string", default: "100000"},
    "synthetic-limit": {type: "string", default: "100000"},
    report: {type: "string", default: "0"},
    "reference-size": {type: "string", default: "2048"},
    k: {type: "string", default: "10"}
  }
});
const usage = "usage: npm run ood-stats -- <bundle name or folder> [--data DIR] [--dataset pediatric|nih] [--train-limit N] [--val-limit N] [--synthetic-limit N] [--report N] [--reference-size N] [--k N]";
const target = positionals[0];
if (!target) {
  console.error(usage);
  process.exit(2);
}
const folder = target.includes("/") ? path.resolve(target) : path.join(ROOT, "models", target);
const cardPath = path.join(folder, "card.json");
let card: Card;
try {
  card = parseCard(JSON.parse(readFileSync(cardPath, "utf8")), cardPath);
} catch (error) {
  console.error(`${folder}: ${(error as Error).message}`);
  process.exit(2);
}
const positive = (name: string) => {
  const n = Number(options[name as keyof typeof options]);
  if (!(Number.isInteger(n) && n > 0)) {
    console.error(`--${name} must be a positive integer, got ${options[name as keyof typeof options]}\n${usage}`);
    process.exit(2);
  }
  return n;
};
const trainLimit = positive("train-limit");
const referenceSize = positive("reference-size");
const k = positive("k");
const dataRoot = path.resolve(options.data!);
const dataset = options.dataset ?? (card.labels.length === 1 && card.labels[0] === "Pneumonia" ? "pediatric" : "nih");
if (dataset !== "pediatric" && dataset !== "nih") {
  console.error(`--dataset must be pediatric or nih, got ${dataset}`);
  process.exit(2);
}
const images: LabelledImage[] = dataset === "pediatric" ? pediatricImages(dataRoot) : nihImages(dataRoot);
// Labels in the card's order: the dataset's columns are the bundle's findings by name.
const datasetLabels = dataset === "pediatric" ? ["Pneumonia"] : NIH_FINDINGS;
const columns = card.labels.map((label) => datasetLabels.indexOf(label));
const labelsOf = (image: LabelledImage) => columns.map((c) => (c < 0 ? 0 : image.labels[c]!));

const evenly = <T>(items: T[], n: number) => (items.length <= n ? items : Array.from({length: n}, (_, i) => items[Math.floor((i * items.length) / n)]!));
const train = evenly(images.filter((i) => i.split === "train"), trainLimit);
const validation = evenly(images.filter((i) => i.split === "val"), positive("val-limit"));
const syntheticFrom = new Set(evenly(validation, positive("synthetic-limit")).map((i) => i.path));
const reportSize = Number(options.report);
console.log(`${card.name}: ${dataset} data, ${train.length} training images (of ${images.filter((i) => i.split === "train").length}), ${validation.length} validation images; backend ${await initBackend()}`);

// Load without any earlier statistics: they are what is being made.
const fresh = {...card, oodFeatures: undefined, oodGate: undefined};
const bundle = await loadBundle({
  ...directorySource(folder),
  location: folder,
  async readBytes(p: string) {
    return p === "card.json" ? new TextEncoder().encode(JSON.stringify(fresh)) : directorySource(folder).readBytes(p);
  },
  async exists(p: string) {
    return directorySource(folder).exists(p);
  }
});
const aeSize = bundle.autoencoder?.spec.inputSize;
const sizes = aeSize ? [card.classifier.inputSize, aeSize] : [card.classifier.inputSize];

function prepared(file: string): tf.Tensor2D[] {
  const image = decodeImage(new Uint8Array(readFileSync(path.join(dataRoot, file))), {name: file});
  return prepareSizes(image, sizes, card.resize).squares;
}

function progress(what: string, i: number, n: number, start: number) {
  if (i % 100 === 0 || i === n) process.stdout.write(`\r${what}: ${i}/${n} (${(i / ((performance.now() - start) / 1000)).toFixed(1)} images/s)${i === n ? "\n" : ""}`);
}

// 1. Training split: pooled features (and the pixel measures).
const K = bundle.classifier.denseKernel.shape[0]!;
const pooled = new Float32Array(train.length * K);
const trainMeasures: ImageMeasures[] = [];
let start = performance.now();
train.forEach((image, i) => {
  const squares = prepared(image.path);
  const scored = scoreImage(bundle, squares[0]!, squares[1] ?? null);
  tf.dispose(squares);
  pooled.set(scored.pooled, i * K);
  trainMeasures.push(scored.measures);
  progress("training features", i + 1, train.length, start);
});
const {classes, memberships} = classMemberships(card.labels, train.map(labelsOf));
const fitted = fitFeatureStatistics({
  pooled, featureSize: K, memberships, classes, referenceSize, k,
  meta: {split: dataset === "pediatric" ? "cxr-peds train, less the validation patients (training/train.py)" : "cxr-nih train", command: `npm run ood-stats -- ${target}`}
});
writeFileSync(path.join(folder, FILE), encodeFeatureStatistics(fitted.stats));
console.log(`${FILE}: ${classes.length} classes (${classes.map((c, i) => `${c} ${fitted.stats.classCounts[i]}`).join(", ")}), shrinkage ${fitted.shrinkage.toFixed(4)}, reference ${fitted.stats.reference.length / K} x ${K}, k ${fitted.stats.k}`);

// 2. Validation split, and synthetic outliers made from it: every score.
bundle.features = new FeatureOod(fitted.stats);
const scoreNames = bundleScoreNames(bundle);
const valScores: GateScores[] = [];
const valMeasures: ImageMeasures[] = [];
const synthetic: Record<string, GateScores[]> = Object.fromEntries(SYNTHETIC_OUTLIERS.map((kind) => [kind, []]));
start = performance.now();
validation.forEach((image, i) => {
  const squares = prepared(image.path);
  const scored = scoreImage(bundle, squares[0]!, squares[1] ?? null);
  valScores.push(scored.scores);
  valMeasures.push(scored.measures);
  if (syntheticFrom.has(image.path)) for (const kind of SYNTHETIC_OUTLIERS) {
    const changed = squares.map((s) => syntheticOutlier(s, kind));
    synthetic[kind]!.push(scoreImage(bundle, changed[0]!, changed[1] ?? null).scores);
    tf.dispose(changed);
  }
  tf.dispose(squares);
  progress("validation (and its synthetic outliers)", i + 1, validation.length, start);
});

const decisions: OodDecision[] = scoreNames.map((score) => ({
  score,
  threshold: acceptanceThreshold(valScores.map((s) => s[score]!), GATE_SCORE_HIGHER_IS_OUT[score]),
  inDistributionWhen: inDistributionSide(GATE_SCORE_HIGHER_IS_OUT[score])
}));
const choice = chooseGate(scoreNames, valScores, synthetic);

// 3. The pixel check on in-distribution images: how close do they come to its limits?
const checkSummary = (measures: ImageMeasures[], rows: LabelledImage[]) => {
  const refused = measures.flatMap((m, i) => {
    const verdict = judgeImage(m, {width: Infinity, height: Infinity});
    return verdict.ok ? [] : [{path: rows[i]!.path, code: verdict.code}];
  });
  const min = (key: keyof ImageMeasures) => Math.min(...measures.map((m) => m[key]));
  return {images: measures.length, refused: refused.length, refusedImages: refused.slice(0, 20), min: {contrast: min("contrast"), detail: min("detail"), correlation: min("correlation")}};
};

const updated: Card = {
  ...card,
  oodFeatures: {path: FILE},
  oodGate: {default: choice.default, decisions, chosenBy: choice.rule}
};
updated.provenance = {
  ...card.provenance,
  oodFeatures: {
    command: `npm run ood-stats -- ${target}`,
    madeAt: new Date().toISOString(),
    backend: tf.getBackend(),
    split: fitted.stats.meta.split,
    trainingImages: train.length,
    classes: Object.fromEntries(classes.map((c, i) => [c, fitted.stats.classCounts[i]])),
    featureSize: K,
    shrinkage: fitted.shrinkage,
    referenceImages: fitted.stats.reference.length / K,
    k: fitted.stats.k
  }
};
updated.metrics = {
  ...card.metrics,
  oodGateChoice: {
    validationImages: validation.length,
    thresholdRule: "per score: the value that accepts 95 % of the validation split (5th percentile from the out-of-distribution side)",
    rule: choice.rule,
    default: choice.default,
    candidates: choice.candidates,
    imageCheck: {limits: DEFAULT_IMAGE_CHECK_LIMITS, train: checkSummary(trainMeasures, train), validation: checkSummary(valMeasures, validation)}
  }
};
writeFileSync(cardPath, JSON.stringify(parseCard(updated, cardPath), null, 2) + "\n");
console.log(JSON.stringify(updated.metrics.oodGateChoice, null, 2));

// 4. Optionally, a first report on the test split and the OOD sets (N evenly spaced images each);
// `npm run evaluate` gives the full one.
if (reportSize > 0) {
  bundle.card = updated;
  const scoreFiles = (files: string[], what: string) => {
    const chosen = evenly(files, reportSize);
    const out = {paths: chosen, ood: [] as GateScores[], refused: [] as boolean[]};
    const began = performance.now();
    chosen.forEach((file, i) => {
      const image = decodeImage(new Uint8Array(readFileSync(path.join(dataRoot, file))), {name: file});
      const squares = prepareSizes(image, sizes, card.resize).squares;
      const scored = scoreImage(bundle, squares[0]!, squares[1] ?? null);
      tf.dispose(squares);
      out.ood.push(scored.scores);
      out.refused.push(!judgeImage(scored.measures, image).ok);
      progress(what, i + 1, chosen.length, began);
    });
    return out;
  };
  const test = scoreFiles(images.filter((i) => i.split === "test").map((i) => i.path), "test");
  const other = dataset === "pediatric"
    ? {name: "adult (cxr-nih test)", files: nihImages(dataRoot).filter((i) => i.split === "test").map((i) => i.path)}
    : {name: "pediatric (cxr-peds test)", files: pediatricImages(dataRoot).filter((i) => i.split === "test").map((i) => i.path)};
  const sets = {...oodSets(dataRoot), [other.name]: other.files};
  const scoredSets = Object.entries(sets).map(([set, files]) => ({set, ...scoreFiles(files, `OOD ${set}`)}));
  const report = gateTargets(bundle, updated, test, scoredSets, other.name);
  const everyScore = scoredSets.map(({set, ood}) => ({set, ...separationByScore(scoreNames, test.ood, ood)}));
  updated.metrics = {
    ...updated.metrics,
    oodGate: {measuredBy: `npm run ood-stats -- ${process.argv.slice(2).join(" ")}`, imagesPerSet: reportSize, ...report, everyScore}
  };
  writeFileSync(cardPath, JSON.stringify(parseCard(updated, cardPath), null, 2) + "\n");
  const rows = [
    ...validation.map((image, i) => ["validation", image.path, ...scoreNames.map((s) => valScores[i]![s]!), 0]),
    ...test.paths.map((p, i) => ["test", p, ...scoreNames.map((s) => test.ood[i]![s]!), Number(test.refused[i])]),
    ...scoredSets.flatMap(({set, paths, ood, refused}) => paths.map((p, i) => [set, p, ...scoreNames.map((s) => ood[i]![s]!), Number(refused[i])]))
  ];
  mkdirSync(path.join(folder, "evaluation"), {recursive: true});
  const field = (v: string | number) => (typeof v === "number" ? String(Number(v.toPrecision(6))) : /[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  writeFileSync(path.join(folder, "evaluation", "ood-gate-scores.csv"), [["set", "path", ...scoreNames, "refused_by_check"], ...rows].map((r) => r.map(field).join(",")).join("\n") + "\n");
  console.log(JSON.stringify(updated.metrics.oodGate, null, 2));
}
bundle.features.dispose();
bundle.dispose();
