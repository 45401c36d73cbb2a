import * as tf from "@tensorflow/tfjs";
import {readFileSync} from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {loadBundle} from "../src/pipeline/bundle/load.js";
import {explainTensors} from "../src/pipeline/explain/index.js";
import {boxMask, localise, otsuThreshold, parseBoxesCsv, scaleBox} from "../src/pipeline/faithfulness/localisation.js";
import {averageRanks, kendallTau, spearman} from "../src/pipeline/faithfulness/rank-correlation.js";
import {cascadingRandomisation, weightBlocks, withRandomWeights} from "../src/pipeline/faithfulness/sanity.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {randomValues, testBundle} from "./helpers/models.js";
import {DATA_ROOT} from "./helpers/paths.js";

beforeAll(async () => {
  await initBackend();
});

describe("rank correlations", () => {
  it("Spearman and Kendall's tau-b on hand cases", () => {
    expect(Array.from(averageRanks([10, 20, 20, 5]))).toEqual([2, 3.5, 3.5, 1]);
    // d = [0, 1, -1, 0]: 1 - 6 * 2 / (4 * 15) = 0.8
    expect(spearman([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12);
    expect(spearman([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
    // one discordant pair of three
    expect(kendallTau([1, 2, 3], [1, 3, 2])).toBeCloseTo(1 / 3, 12);
    // tau-b with a tie in y: pairs (1,2) tie y, (1,3) c, (2,3) c -> 2 / sqrt(3 * 2)
    expect(kendallTau([1, 2, 3], [1, 1, 2])).toBeCloseTo(2 / Math.sqrt(6), 12);
  });
});

describe("localisation on synthetic boxes", () => {
  const H = 10, W = 10;
  const box = {x: 2, y: 3, width: 3, height: 3}; // pixels with centres inside: columns 2-4, rows 3-5
  it("a map that is exactly the box: hit, all energy inside, IoU 1", () => {
    const inside = boxMask(box, H, W);
    expect(inside.reduce((a, b) => a + b, 0)).toBe(9);
    expect(inside[3 * W + 2]).toBe(1);
    expect(inside[2 * W + 2]).toBe(0);
    const map = Float32Array.from(inside, (v) => v * 0.8 + 0.1);
    const r = localise(map, H, W, box);
    expect(r.pointingHit).toBe(1);
    expect(r.energyInside).toBeCloseTo((9 * 0.9) / (9 * 0.9 + 91 * 0.1), 6);
    expect(r.iou).toBe(1);
    expect(r.boxShare).toBeCloseTo(0.09, 12);
  });

  it("a map peaking outside: miss, energy and IoU as counted by hand", () => {
    const map = new Float32Array(H * W);
    map[0] = 1; // the maximum, outside
    for (const i of [3 * W + 2, 3 * W + 3]) map[i] = 0.5; // two pixels inside
    for (const i of [9 * W + 9, 9 * W + 8]) map[i] = 0.5; // two outside
    const r = localise(map, H, W, box);
    expect(r.pointingHit).toBe(0);
    expect(r.energyInside).toBeCloseTo(1 / 3, 6);
    // Otsu separates zeros from the rest: foreground = 5 pixels, 2 inside the 9-pixel box -> 2 / 12
    expect(otsuThreshold(map)).toBeLessThan(0.5);
    expect(r.iou).toBeCloseTo(2 / 12, 9);
    // A tie for the maximum split across the box: half a hit.
    const tie = new Float32Array(H * W);
    tie[0] = 1;
    tie[4 * W + 3] = 1;
    expect(localise(tie, H, W, box).pointingHit).toBe(0.5);
    expect(() => localise(map, H, W, {...box, width: 0})).toThrow(/positive width/);
    expect(scaleBox({x: 64, y: 32, width: 16, height: 8}, 256, 128)).toEqual({x: 32, y: 16, width: 8, height: 4});
  });

  it("reads the NIH boxes (56, 43 of them Pneumonia) and reports bad rows by line", () => {
    const {boxes, errors} = parseBoxesCsv(readFileSync(path.join(DATA_ROOT, "cxr-nih/boxes.csv"), "utf8"));
    expect(errors).toEqual([]);
    expect(boxes).toHaveLength(56);
    expect(boxes.filter((b) => b.finding === "Pneumonia")).toHaveLength(43);
    const bad = parseBoxesCsv("path,finding,x,y,width,height,image_size\na.png,Mass,1,2,-3,4,256\n");
    expect(bad.errors[0]).toMatch(/line 2: not a valid box/);
    expect(parseBoxesCsv("path,x\n").errors[0]).toMatch(/no finding, y, width, height, image_size columns/);
  });
});

describe("cascading randomisation", () => {
  it("maps change as the model is destroyed; a class-agnostic map ignores the head; weights come back", async () => {
    const bundle = await loadBundle(testBundle({seed: 4}).source);
    const classifier = bundle.classifier;
    expect(weightBlocks(classifier).map((b) => b.block)).toEqual(["dense", "conv2", "conv1"]);
    const size = 32;
    const pixels = Float32Array.from(randomValues(size * size, 41, 0.25), (v) => Math.min(1, Math.max(0, 0.5 + v)));
    const grey = tf.tensor2d(pixels, [size, size]);
    const before = tf.tidy(() => Array.from(explainTensors(classifier, grey, 0, ["gradcam"]).gradcam!.dataSync()));
    const run = () => cascadingRandomisation(classifier, pixels, size, 0, ["cam", "gradcam", "eigencam", "saliency"]);
    run();
    const tensors = tf.memory().numTensors;
    const result = run();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(result.steps.map((s) => s.randomised.join("+"))).toEqual(["dense", "dense+conv2", "dense+conv2+conv1"]);
    // Only the dense layer random: Eigen-CAM (features only) is unchanged, CAM is not.
    expect(result.steps[0]!.similarity.eigencam!.spearman).toBeCloseTo(1, 6);
    expect(result.steps[0]!.similarity.eigencam!.ssim).toBeCloseTo(1, 4);
    expect(result.steps[0]!.similarity.cam!.spearman).toBeLessThan(0.99);
    const last = result.steps[2]!.similarity;
    for (const m of ["cam", "gradcam", "saliency"] as const) expect(last[m]!.spearman).toBeLessThan(result.threshold);
    expect(result.flagged).not.toContain("saliency");
    // The trained weights are back: the same map, bit for bit.
    const after = tf.tidy(() => Array.from(explainTensors(classifier, grey, 0, ["gradcam"]).gradcam!.dataSync()));
    expect(after).toEqual(before);
    expect(() => withRandomWeights(classifier, ["nope"], 1, () => 0)).toThrow(/no weight "nope"/);
    grey.dispose();
    bundle.dispose();
  });
});
