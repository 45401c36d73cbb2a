/**
 * npm run evaluate -- <bundle> [--models DIR] [--data DIR] [--limit N]
 *
 * The project's own evaluation of a trained bundle, in TF.js on the exported graphs: operating
 * points (Youden's J) from the validation split, then every figure of the model card from the test
 * split and the out-of-distribution sets. Writes models/<bundle>/card.json and README.md, and the
 * per-image figures behind them (evaluation/predictions.csv, evaluation/ood-scores.csv) that the
 * workbench's Prediction and Out-of-distribution pages chart.
 */
import * as tf from "@tensorflow/tfjs";
import {existsSync, mkdirSync, readFileSync, writeFileSync} from "node:fs";
import path from "node:path";
import {parseArgs} from "node:util";
import {parseCard, type Card} from "../src/pipeline/bundle/card.js";
import {loadBundle, type Bundle} from "../src/pipeline/bundle/load.js";
import {decodeImage} from "../src/pipeline/image/index.js";
import {aucHalfSplitStd, auc, confusionAt, youdenOperatingPoint} from "../src/pipeline/metrics.js";
import {directorySource} from "../src/pipeline/node/fs-source.js";
import {nihImages, oodSets, pediatricImages, type LabelledImage} from "../src/pipeline/node/datasets.js";
import type {GateScores} from "../src/pipeline/ood.js";
import {bundleScoreNames, scoreImage, separationByScore} from "../src/pipeline/ood-evaluation.js";
import {judgeImage} from "../src/pipeline/image-check.js";
import {gateTargets} from "./ood-gate-report.js";
import {prepareSizes} from "../src/pipeline/preprocess.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {renderModelCard} from "./model-card.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const {values: options, positionals} = parseArgs({
  allowPositionals: true,
  options: {
    models: {type: "string", default: path.join(ROOT, "models")},
    data: {type: "string", default: process.env.CXR_DATA ?? path.join(ROOT, "../shared/data")},
    limit: {type: "string"},
    "render-only": {type: "boolean", default: false}
  }
});
const name = positionals[0];
if (name !== "pediatric-pneumonia" && name !== "nih-chestxray14") {
  console.error("usage: npm run evaluate -- pediatric-pneumonia|nih-chestxray14 [--models DIR] [--data DIR] [--limit N]");
  process.exit(2);
}
const limit = options.limit ? Number(options.limit) : Infinity;
const folder = path.join(options.models!, name);
const table1 = JSON.parse(readFileSync(path.join(ROOT, "data/chester-table1.json"), "utf8"));
/** The OOD failure picture (training/ood_eval.py --montage), relative to the card, if the bundle has one. */
const oodFigureOf = (bundleFolder: string) =>
  existsSync(path.join(bundleFolder, "evaluation/ssim-extremes.png")) ? "evaluation/ssim-extremes.png" : undefined;
if (options["render-only"]) {
  // Re-render README.md from the figures already in card.json (no model is run).
  writeFileSync(path.join(folder, "README.md"), renderModelCard(parseCard(JSON.parse(readFileSync(path.join(folder, "card.json"), "utf8"))), table1, oodFigureOf(folder)));
  process.exit(0);
}
const dataRoot = path.resolve(options.data!);

interface TrainingRecord {
  nodes: Record<string, string>;
  labels: string[];
  training: Record<string, unknown> & {inputSize: number};
}
const classifierRecord = JSON.parse(readFileSync(path.join(folder, "classifier-training.json"), "utf8")) as TrainingRecord;
const oodRecord = JSON.parse(readFileSync(path.join(folder, "ood-training.json"), "utf8")) as TrainingRecord;
const labels = classifierRecord.labels;

/** What `npm run ood-stats` added to the card (statistics file, gate, its choice): kept as it is. */
const previous = existsSync(path.join(folder, "card.json")) ? (JSON.parse(readFileSync(path.join(folder, "card.json"), "utf8")) as Card) : null;
const fromOodStats = previous?.oodFeatures && existsSync(path.join(folder, previous.oodFeatures.path))
  ? {oodFeatures: previous.oodFeatures, oodGate: previous.oodGate, provenance: previous.provenance?.oodFeatures, choice: previous.metrics?.oodGateChoice}
  : null;

/** A first card with placeholder decisions, so the loader can run the graphs. */
function draftCard(operatingPoints: number[], oodThreshold: number): Card {
  return parseCard({
    ...(fromOodStats ? {oodFeatures: fromOodStats.oodFeatures, oodGate: fromOodStats.oodGate} : {}),
    format: "cxr-workbench/bundle@1",
    name,
    description:
      name === "pediatric-pneumonia"
        ? "Pneumonia vs normal on pediatric chest X-rays (Guangzhou set), with its OOD autoencoder."
        : "The 14 ChestX-ray14 findings on adult chest X-rays (NIH), with an OOD autoencoder of adult radiographs.",
    labels,
    operatingPoints,
    resize: "crop",
    classifier: {
      path: "classifier/model.json", inputLayout: "NHWC", inputSize: classifierRecord.training.inputSize, channels: 1,
      normalisation: "symmetric", ...classifierRecord.nodes
    },
    ood: {
      path: "ood/model.json", inputLayout: "NHWC", inputSize: 64, normalisation: "symmetric", ...oodRecord.nodes,
      decision: {score: "ssim", threshold: oodThreshold, inDistributionWhen: "above"}
    }
  });
}

writeFileSync(path.join(folder, "card.json"), JSON.stringify(draftCard(labels.map(() => 0.5), 0), null, 2));
console.log(`backend: ${await initBackend()}`);
const bundle: Bundle = await loadBundle(directorySource(folder));

/** Decode + preprocess an image to the classifier and OOD sizes. */
function prepareBoth(file: string): {pixels: tf.Tensor2D; small: tf.Tensor2D; size: {width: number; height: number}} {
  const image = decodeImage(new Uint8Array(readFileSync(path.join(dataRoot, file))), {name: file});
  const [pixels, small] = prepareSizes(image, [bundle.card.classifier.inputSize, 64], "crop").squares;
  return {pixels: pixels!, small: small!, size: {width: image.width, height: image.height}};
}

/** At most `limit` items, evenly spaced (so a quick run still sees every class). */
function sample<T>(items: T[]): T[] {
  if (items.length <= limit) return items;
  return Array.from({length: limit}, (_, i) => items[Math.floor((i * items.length) / limit)]!);
}

function progress(what: string, i: number, n: number, start: number) {
  if (i % 100 === 0 || i === n) {
    const rate = i / ((performance.now() - start) / 1000);
    process.stdout.write(`\r${what}: ${i}/${n} (${rate.toFixed(1)} images/s)${i === n ? "\n" : ""}`);
  }
}

/** The scores this bundle computes: the autoencoder's, and the feature-space ones when it has their statistics. */
const SCORE_NAMES = bundleScoreNames(bundle);

/** Sigmoid outputs and OOD scores for a list of images (the classifier runs on all: the feature scores need it). */
function run(files: string[], what: string, withClassifier: boolean): {paths: string[]; probabilities: number[][]; ood: GateScores[]; refused: boolean[]} {
  const probabilities: number[][] = [];
  const ood: GateScores[] = [];
  /** Refused by the pixel check (blank, near-constant, noise) before any model. */
  const refused: boolean[] = [];
  const start = performance.now();
  const chosen = sample(files);
  chosen.forEach((file, i) => {
    const {pixels, small, size} = prepareBoth(file);
    const scored = scoreImage(bundle, pixels, small);
    if (withClassifier) probabilities.push(scored.probabilities);
    ood.push(scored.scores);
    refused.push(!judgeImage(scored.measures, size).ok);
    tf.dispose([pixels, small]);
    progress(what, i + 1, chosen.length, start);
  });
  return {paths: chosen, probabilities, ood, refused};
}

/** Six significant digits: enough for every chart and AUC, a third of the bytes of full floats. */
const figure = (x: number) => (Number.isFinite(x) ? String(Number(x.toPrecision(6))) : "");
const csvField = (s: string) => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

function writeCsv(file: string, header: string[], rows: (string | number)[][]) {
  const lines = [header.map(csvField).join(",")];
  for (const row of rows) lines.push(row.map((v) => (typeof v === "number" ? figure(v) : csvField(v))).join(","));
  writeFileSync(file, lines.join("\n") + "\n");
}

const images: LabelledImage[] = name === "pediatric-pneumonia" ? pediatricImages(dataRoot) : nihImages(dataRoot);
const otherPopulation =
  name === "pediatric-pneumonia"
    ? {name: "adult (cxr-nih test)", files: nihImages(dataRoot).filter((i) => i.split === "test").map((i) => i.path)}
    : {name: "pediatric (cxr-peds test)", files: pediatricImages(dataRoot).filter((i) => i.split === "test").map((i) => i.path)};
const split = (s: LabelledImage["split"]) => sample(images.filter((i) => i.split === s));
const column = (rows: number[][], c: number) => rows.map((r) => r[c]!);

// 1. Validation split: operating points and the OOD threshold.
const val = split("val");
const valRun = run(val.map((i) => i.path), "validation", true);
const operatingPoints: number[] = [];
const operatingPointSource: string[] = [];
let trainRun: {probabilities: number[][]} | null = null;
labels.forEach((label, c) => {
  const valLabels = column(val.map((i) => i.labels), c);
  if (valLabels.some((v) => v === 1) && valLabels.some((v) => v === 0)) {
    operatingPoints.push(clampOperatingPoint(youdenOperatingPoint(column(valRun.probabilities, c), valLabels).threshold));
    operatingPointSource.push("validation");
  } else {
    // No positives in the validation split: fall back to the training split (never the test split).
    const train = split("train");
    trainRun ??= run(train.map((i) => i.path), "train (for operating points)", true);
    const trainLabels = column(train.map((i) => i.labels), c);
    if (trainLabels.includes(1) && trainLabels.includes(0)) {
      operatingPoints.push(clampOperatingPoint(youdenOperatingPoint(column(trainRun.probabilities, c), trainLabels).threshold));
      operatingPointSource.push("train (no validation positives)");
    } else {
      operatingPoints.push(0.5);
      operatingPointSource.push("none: no positives outside the test split (0.5 used)");
    }
    console.log(`${label}: no positives in validation, operating point from the training split`);
  }
});
const valSsim = valRun.ood.map((s) => s.ssim!).sort((a, b) => a - b);
// Accept 95 % of in-distribution validation images.
const oodThreshold = valSsim[Math.floor(0.05 * valSsim.length)]!;

function clampOperatingPoint(op: number): number {
  return Math.min(1 - 1e-6, Math.max(1e-6, op));
}

// 2. Test split: per-finding figures.
const test = split("test");
const testRun = run(test.map((i) => i.path), "test", true);
const findings = labels.map((label, c) => {
  const y = column(test.map((i) => i.labels), c);
  const s = column(testRun.probabilities, c);
  const positives = y.filter((v) => v === 1).length;
  const defined = positives > 0 && positives < y.length;
  const spread = defined ? aucHalfSplitStd(s, y, {splits: 10, seed: 0}) : null;
  const at = defined ? confusionAt(s, y, operatingPoints[c]!) : null;
  return {
    finding: label,
    auc: defined ? auc(s, y) : null,
    aucStd: spread ? spread.std : null,
    halfSplitsUsed: spread ? spread.used : 0,
    positives,
    negatives: y.length - positives,
    operatingPoint: operatingPoints[c],
    operatingPointSource: operatingPointSource[c],
    sensitivity: at ? at.sensitivity : null,
    specificity: at ? at.specificity : null,
    note: defined ? undefined : "AUC undefined: the test split has no positive for this finding"
  };
});

// 3. OOD sets against the in-distribution test split.
const sets = {...oodSets(dataRoot), [otherPopulation.name]: otherPopulation.files};
const oodRuns: {set: string; paths: string[]; ood: GateScores[]; refused: boolean[]}[] = [];
const oodResults = Object.entries(sets).map(([set, files]) => {
  const {paths, ood: out, refused} = run(files, `OOD ${set}`, false);
  oodRuns.push({set, paths, ood: out, refused});
  return {
    set,
    images: out.length,
    rejectedAtThreshold: out.filter((s) => !(s.ssim! > oodThreshold)).length / out.length,
    ...separationByScore(SCORE_NAMES, testRun.ood, out)
  };
});
const inRejected = testRun.ood.filter((s) => !(s.ssim! > oodThreshold)).length / testRun.ood.length;

// 4. The card.
const card: Card = draftCard(operatingPoints, oodThreshold);
card.provenance = {
  trainedBy: "training/train.py (this project), from scratch: no pretrained weights exist here",
  classifier: classifierRecord.training,
  ood: oodRecord.training,
  exportedBy: "training/export.py (batch-norm folded, NHWC graph); parity checked by tests/parity.test.ts",
  ...(fromOodStats?.provenance ? {oodFeatures: fromOodStats.provenance} : {})
};
card.metrics = {
  evaluatedBy: `npm run evaluate -- ${name}` + (Number.isFinite(limit) ? ` --limit ${limit}` : ""),
  evaluatedAt: new Date().toISOString(),
  backend: tf.getBackend(),
  testImages: test.length,
  validationImages: val.length,
  findings,
  ood: {
    score: "ssim",
    threshold: oodThreshold,
    thresholdRule: "5th percentile of SSIM on the validation split: 95 % of in-distribution validation images are accepted",
    inDistributionTestRejected: inRejected,
    sets: oodResults
  },
  ...(fromOodStats?.choice ? {oodGateChoice: fromOodStats.choice} : {}),
  ...(card.oodGate ? {oodGate: {
    measuredBy: `npm run evaluate -- ${name}` + (Number.isFinite(limit) ? ` --limit ${limit}` : ""),
    ...(Number.isFinite(limit) ? {imagesPerSet: limit} : {}),
    ...gateTargets(bundle, card, testRun, oodRuns, otherPopulation.name),
    // The same figures as metrics.ood.sets, in the gate report's shape.
    everyScore: oodResults.map(({set, auroc, fprAt95Tpr}) => ({set, auroc, fprAt95Tpr}))
  }} : {})
};
writeFileSync(path.join(folder, "card.json"), JSON.stringify(parseCard(card), null, 2) + "\n");
writeFileSync(path.join(folder, "README.md"), renderModelCard(card, table1, oodFigureOf(folder)));

// 5. The per-image figures behind the card (labels y_*, sigmoid outputs p_*; OOD scores per set).
const evaluationDir = path.join(folder, "evaluation");
mkdirSync(evaluationDir, {recursive: true});
const predictionRows = (splitName: string, images: LabelledImage[], result: {probabilities: number[][]}) =>
  images.map((image, i) => [splitName, image.path, ...labels.flatMap((_, c) => [image.labels[c]!, result.probabilities[i]![c]!])]);
writeCsv(path.join(evaluationDir, "predictions.csv"), ["split", "path", ...labels.flatMap((l) => [`y_${l}`, `p_${l}`])],
  [...predictionRows("validation", val, valRun), ...predictionRows("test", test, testRun)]);
// Every score per image; ood-gate-scores.csv adds the pixel check's verdict (the Out-of-distribution
// page's gate charts; `npm run ood-stats -- --report N` writes a first, smaller one).
const scored = [
  {set: "validation", ...valRun},
  {set: "test", ...testRun},
  ...oodRuns
];
const scoreRows = (withCheck: boolean) =>
  scored.flatMap((r) => r.paths.map((p, i) => [r.set, p, ...SCORE_NAMES.map((s) => r.ood[i]![s]!), ...(withCheck ? [Number(r.refused[i])] : [])]));
writeCsv(path.join(evaluationDir, "ood-scores.csv"), ["set", "path", ...SCORE_NAMES], scoreRows(false));
if (card.oodGate) writeCsv(path.join(evaluationDir, "ood-gate-scores.csv"), ["set", "path", ...SCORE_NAMES, "refused_by_check"], scoreRows(true));
console.log(JSON.stringify({findings, ood: oodResults, inDistributionTestRejected: inRejected}, null, 2));
bundle.dispose();
