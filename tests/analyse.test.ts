import * as tf from "@tensorflow/tfjs";
import {readFileSync, readdirSync} from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {analyse} from "../src/pipeline/analyse.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {loadBundle} from "../src/pipeline/bundle/load.js";
import {calibrate} from "../src/pipeline/calibration.js";
import {decodeImage} from "../src/pipeline/image/index.js";
import type {DecodedImage} from "../src/pipeline/image/types.js";
import {directorySource} from "../src/pipeline/node/fs-source.js";
import {testBundle} from "./helpers/models.js";
import {CHESTER_MODELS, chesterFixture, DATA_ROOT} from "./helpers/paths.js";

let images: DecodedImage[] = [];

beforeAll(async () => {
  await initBackend();
  // Real radiographs of both populations, and a photograph.
  const pick = (folder: string, n: number) =>
    readdirSync(path.join(DATA_ROOT, folder)).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort().slice(0, n).map((f) => path.join(DATA_ROOT, folder, f));
  const files = [...pick("cxr-peds/test/PNEUMONIA", 2), ...pick("cxr-peds/test/NORMAL", 1), ...pick("cxr-nih/images256", 2), ...pick("cxr-nih/images64", 1), ...pick("ood/cifar10", 1)];
  images = files.map((f) => decodeImage(new Uint8Array(readFileSync(f)), {name: f}));
});

describe("analyse", () => {
  it("runs every stage on real images and reports each stage's time", async () => {
    const bundle = await loadBundle(testBundle({cardPatch: (c) => { c.ood!.decision.threshold = -1; }}).source);
    const result = analyse(bundle, images[0]!, {evaluateAlphas: [5, 20]});
    expect(result.ood?.inDistribution).toBe(true);
    expect(result.predictions).toHaveLength(3);
    for (const p of result.predictions!) expect(p.calibrated).toBeCloseTo(calibrate(p.raw, p.operatingPoint), 6);
    const top = result.predictions!.reduce((a, b) => (b.calibrated > a.calibrated ? b : a));
    expect(result.explanation?.finding.index).toBe(top.index);
    for (const m of ["saliency", "cam", "gradcam", "gradcampp"] as const) {
      const map = result.explanation!.maps[m]!;
      expect([map.width, map.height]).toEqual([32, 32]);
      expect(map.data.every(Number.isFinite)).toBe(true);
      expect(result.timings[m]).toBeGreaterThan(0);
    }
    expect(result.evaluation).toHaveLength(4);
    expect(result.evaluation![0]!.blackAverageDrop.map((b) => b.alpha)).toEqual([5, 20]);
    for (const stage of ["preprocess", "ood", "predict", "evaluate"]) expect(result.timings[stage]).toBeGreaterThan(0);
    bundle.dispose();
  });

  it("skips prediction for images the gate rejects, unless asked to predict anyway", async () => {
    // A threshold no image can pass: everything is out of distribution.
    const bundle = await loadBundle(testBundle({cardPatch: (c) => { c.ood!.decision.threshold = 2; }}).source);
    const rejected = analyse(bundle, images[6]!);
    expect(rejected.ood?.inDistribution).toBe(false);
    expect(rejected.predictions).toBeNull();
    expect(rejected.explanation).toBeNull();
    const anyway = analyse(bundle, images[6]!, {predictRejected: true, methods: ["cam"]});
    expect(anyway.predictedDespiteRejection).toBe(true);
    expect(anyway.predictions).toHaveLength(3);
    expect(Object.keys(anyway.explanation!.maps)).toEqual(["cam"]);
    bundle.dispose();
  });

  it("explains the finding asked for, by label or index, and names the choices when it is unknown", async () => {
    const bundle = await loadBundle(testBundle({withOod: false}).source);
    expect(analyse(bundle, images[1]!, {finding: "effusion", methods: ["cam"]}).explanation!.finding.label).toBe("Effusion");
    expect(analyse(bundle, images[1]!, {finding: 2, methods: ["cam"]}).explanation!.finding.label).toBe("Mass");
    expect(() => analyse(bundle, images[1]!, {finding: "Hernia"})).toThrow(/unknown finding "Hernia"; this bundle has: Pneumonia, Effusion, Mass/);
    bundle.dispose();
  });

  it("does not grow tf.memory().numTensors over 50 analyses", async () => {
    const bundle = await loadBundle(testBundle().source);
    analyse(bundle, images[0]!, {evaluateAlphas: [10], predictRejected: true});
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) analyse(bundle, images[i % images.length]!, {evaluateAlphas: [10], predictRejected: true, upsample: i % 2 ? "lanczos" : "bilinear"});
    expect(tf.memory().numTensors).toBe(before);
    bundle.dispose();
  });

  it("analyses with Chester's models (synthetic weights): 14 findings, 4 maps at 224, no tensor leak", async () => {
    const beforeLoad = tf.memory().numTensors;
    const bundle = await loadBundle(directorySource(chesterFixture(CHESTER_MODELS.densenet)), {ood: directorySource(chesterFixture(CHESTER_MODELS.autoencoder))});
    // The first saliency map keeps the flipped kernels of the fast gradient (released with the
    // bundle); from then on an analysis leaves nothing behind.
    const counts: number[] = [];
    for (const image of images.slice(0, 3)) {
      const result = analyse(bundle, image, {predictRejected: true});
      expect(result.predictions).toHaveLength(14);
      expect(Object.keys(result.explanation!.maps).sort()).toEqual(["cam", "gradcam", "gradcampp", "saliency"]);
      expect(result.explanation!.maps.gradcam!.width).toBe(224);
      counts.push(tf.memory().numTensors);
    }
    expect(counts[2]).toBe(counts[1]);
    bundle.dispose();
    expect(tf.memory().numTensors).toBe(beforeLoad);
  });
});
