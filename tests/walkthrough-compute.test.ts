/**
 * analyseEdited, the walkthrough's one entry to model compute, with the real pediatric bundle on a
 * real pediatric test radiograph: no edits is exactly analyse(); an edit changes what the gate and
 * the classifier see; no tensor is left behind; bad edits are refused before any compute.
 */
import * as tf from "@tensorflow/tfjs";
import {readdirSync, readFileSync} from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {analyseEdited, greyOf} from "../src/components/walkthrough-compute.js";
import {analyse} from "../src/pipeline/analyse.js";
import {loadBundle, type Bundle} from "../src/pipeline/bundle/load.js";
import {decodeImage} from "../src/pipeline/image/index.js";
import type {DecodedImage} from "../src/pipeline/image/types.js";
import {directorySource} from "../src/pipeline/node/fs-source.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {NO_EDITS} from "../src/pipeline/what-if.js";
import {DATA_ROOT, REPO_ROOT} from "./helpers/paths.js";

let bundle: Bundle;
let image: DecodedImage;

beforeAll(async () => {
  await initBackend();
  bundle = await loadBundle(directorySource(path.join(REPO_ROOT, "models/pediatric-pneumonia")));
  // The first normal test image: the card's gate accepts it (SSIM 0.668 > its threshold when this was written).
  const folder = path.join(DATA_ROOT, "cxr-peds/test/NORMAL");
  const name = readdirSync(folder).filter((f) => /\.jpe?g$/i.test(f)).sort()[0]!;
  image = decodeImage(new Uint8Array(readFileSync(path.join(folder, name))), {name});
});

afterAll(() => bundle?.dispose());

describe("analyseEdited", {timeout: 300_000}, () => {
  it("with no edits, is exactly analyse() on the decoded image, and returns the model's input", async () => {
    const result = await analyseEdited(bundle, image, NO_EDITS, {methods: ["cam"]});
    const direct = analyse(bundle, image, {methods: ["cam"], predictRejected: true});
    expect(result.edits).toEqual([]);
    expect(result.analysis.ood!.scores).toEqual(direct.ood!.scores);
    expect(result.analysis.predictions).toEqual(direct.predictions);
    expect(result.analysis.explanation!.maps.cam!.data).toEqual(direct.explanation!.maps.cam!.data);
    expect(result.size).toBe(bundle.card.classifier.inputSize);
    expect(result.input).toHaveLength(result.size ** 2);
    expect(result.edited).toBe(greyOf(image));
  });

  it("inverting the image changes every stage: the gate rejects it, the probability moves, and it is still predicted (marked)", async () => {
    const plain = await analyseEdited(bundle, image, NO_EDITS, {methods: []});
    const inverted = await analyseEdited(bundle, image, {...NO_EDITS, invert: true}, {methods: ["cam", "gradcam", "gradcampp"], evaluateAlphas: [20]});
    expect(plain.analysis.ood!.inDistribution).toBe(true);
    expect(inverted.analysis.ood!.inDistribution).toBe(false);
    expect(inverted.analysis.ood!.scores.ssim).toBeLessThan(plain.analysis.ood!.scores.ssim);
    expect(inverted.analysis.predictedDespiteRejection).toBe(true);
    expect(Math.abs(inverted.analysis.predictions![0]!.calibrated - plain.analysis.predictions![0]!.calibrated)).toBeGreaterThan(0.05);
    // The model's input is the inverted one (up to the resampling, 1 - v).
    for (const i of [0, 1000, 5000]) expect(inverted.input[i]).toBeCloseTo(1 - plain.input[i]!, 5);
    expect(inverted.edits).toEqual(["inverted (black and white swapped)"]);
    expect(inverted.analysis.evaluation!.map((e) => e.method)).toEqual(["cam", "gradcam", "gradcampp"]);
  });

  it("leaves no tensor behind and gives the same answer for the same edits (seeded noise included)", async () => {
    const edits = {...NO_EDITS, rotate: 10, noise: 0.1, noiseSeed: 4, patch: {x: 0.3, y: 0.4, size: 0.2, value: 0}};
    const first = await analyseEdited(bundle, image, edits, {methods: ["cam"]});
    const tensors = tf.memory().numTensors;
    const second = await analyseEdited(bundle, image, edits, {methods: ["cam"]});
    expect(tf.memory().numTensors).toBe(tensors);
    expect(second.analysis.predictions).toEqual(first.analysis.predictions);
    expect(second.edited.data).toEqual(first.edited.data);
  });

  it("refuses bad edits with a message naming them, before any model runs", async () => {
    const tensors = tf.memory().numTensors;
    await expect(analyseEdited(bundle, image, {...NO_EDITS, gamma: 0, text: {text: "ÄB", x: 0, y: 0, height: 0.1, value: 1}})).rejects.toThrow(/gamma must be above 0.*no "Ä"/);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
