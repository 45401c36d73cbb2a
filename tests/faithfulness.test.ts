import * as tf from "@tensorflow/tfjs";
import {execFileSync} from "node:child_process";
import {beforeAll, describe, expect, it} from "vitest";
import {loadBundle, type Bundle} from "../src/pipeline/bundle/load.js";
import {classProbabilities, keepTopPercent, multiplyByMap} from "../src/pipeline/evaluate.js";
import {BLACK, MEAN, baselineByName, blurBaseline, gaussianBlur, linearImputation, noisyLinearBaseline} from "../src/pipeline/faithfulness/baselines.js";
import {curveArea, curveImages, defaultCurve, faithfulnessCurves, roadGap} from "../src/pipeline/faithfulness/curves.js";
import {blendTowardsBaseline, keepTopPercentOver} from "../src/pipeline/faithfulness/perturb.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {randomValues, testBundle} from "./helpers/models.js";

beforeAll(async () => {
  await initBackend();
});

const ramp = (n: number) => Float32Array.from({length: n}, (_, i) => i / n);

describe("baselines", () => {
  it("black, mean and blur replace exactly the removed pixels", () => {
    const image = Float32Array.from([0.2, 0.4, 0.6, 0.8]);
    const removed = Uint8Array.from([0, 1, 0, 1]);
    expect(Array.from(BLACK.replace(image, 2, 2, removed))).toEqual([0.2, 0, 0.6, 0].map(Math.fround));
    expect(Array.from(MEAN.replace(image, 2, 2, removed))).toEqual([0.2, 0.5, 0.6, 0.5].map(Math.fround));
    // A constant image blurs to itself (the kernel is renormalised at the border).
    gaussianBlur(new Float32Array(25).fill(0.3), 5, 5, 1.5).forEach((v) => expect(v).toBeCloseTo(0.3, 6));
    // 1 x 3 row [0, 1, 0], sigma 1 (radius 3): the centre keeps 1 / (1 + 2 e^-1/2) of itself.
    const row = gaussianBlur(Float32Array.from([0, 1, 0]), 1, 3, 1);
    expect(row[1]).toBeCloseTo(1 / (1 + 2 * Math.exp(-0.5)), 6);
    const blurred = blurBaseline(1).replace(Float32Array.from([0, 1, 0]), 1, 3, Uint8Array.from([0, 1, 0]));
    expect(blurred[0]).toBe(0);
    expect(blurred[1]).toBeCloseTo(row[1]!, 6);
    expect(() => baselineByName("grey")).toThrow(/unknown perturbation baseline "grey"/);
    expect(() => BLACK.replace(image, 3, 3, removed)).toThrow(/3 x 3/);
  });

  it("linear imputation: one pixel is its neighbours' weighted mean (hand case)", () => {
    // 3x3, centre removed: direct neighbours 1 (weight 1/6 each), diagonals 0 -> 4/6.
    const image = Float32Array.from([0, 1, 0, 1, 0.5, 1, 0, 1, 0]);
    const removed = Uint8Array.from([0, 0, 0, 0, 1, 0, 0, 0, 0]);
    expect(linearImputation(image, 3, 3, removed)[4]).toBeCloseTo(4 / 6, 6);
    // Corner removed: neighbours (0,1) 1/6, (1,0) 1/6, (1,1) 1/12 -> (1/6 + 1/6 + 0.5/12) / (5/12).
    const corner = Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(linearImputation(image, 3, 3, corner)[0]).toBeCloseTo((1 / 6 + 1 / 6 + 0.5 / 12) / (5 / 12), 6);
    // Everything removed: the image's mean.
    expect(linearImputation(image, 3, 3, new Uint8Array(9).fill(1))[0]).toBeCloseTo(0.5, 6);
  });

  it("linear imputation matches ROAD's system solved densely in PyTorch", () => {
    const H = 12, W = 10;
    const image = Float32Array.from(randomValues(H * W, 5, 0.3), (v) => 0.5 + v);
    const removed = Uint8Array.from(randomValues(H * W, 6, 1), (v) => (v > 0.2 ? 1 : 0));
    const script = `
import json, sys, torch
d = json.load(sys.stdin); H, W = d["H"], d["W"]
img = torch.tensor(d["image"], dtype=torch.float64); rem = d["removed"]
unknown = [i for i in range(H * W) if rem[i]]; idx = {p: k for k, p in enumerate(unknown)}
nb = [((1,1),1/12),((0,1),1/6),((-1,1),1/12),((1,-1),1/12),((0,-1),1/6),((-1,-1),1/12),((1,0),1/6),((-1,0),1/6)]
A = torch.zeros(len(unknown), len(unknown), dtype=torch.float64); b = torch.zeros(len(unknown), dtype=torch.float64)
for k, p in enumerate(unknown):
    y, x = divmod(p, W); s = 1.0
    for (dy, dx), w in nb:
        yy, xx = y + dy, x + dx
        if not (0 <= yy < H and 0 <= xx < W): s -= w; continue
        q = yy * W + xx
        if rem[q]: A[k, idx[q]] = w
        else: b[k] -= w * img[q]
    A[k, k] = -s
out = img.clone(); out[unknown] = torch.linalg.solve(A, b)
print(json.dumps(out.tolist()))`;
    const reference = JSON.parse(execFileSync("/usr/bin/python3", ["-c", script], {input: JSON.stringify({H, W, image: [...image], removed: [...removed]}), encoding: "utf8"})) as number[];
    const ours = linearImputation(image, H, W, removed);
    reference.forEach((v, i) => expect(ours[i]).toBeCloseTo(v, 5));
  });

  it("noisy linear imputation adds seeded noise of the given size to removed pixels only", () => {
    const image = ramp(400);
    const removed = Uint8Array.from({length: 400}, (_, i) => (i % 3 === 0 ? 1 : 0));
    const clean = linearImputation(image, 20, 20, removed);
    const noisy = noisyLinearBaseline(0.05, 3).replace(image, 20, 20, removed);
    expect(Array.from(noisyLinearBaseline(0.05, 3).replace(image, 20, 20, removed))).toEqual(Array.from(noisy));
    const diffs = [...removed.keys()].filter((i) => removed[i]).map((i) => noisy[i]! - clean[i]!);
    const sd = Math.sqrt(diffs.reduce((s, d) => s + d * d, 0) / diffs.length);
    expect(sd).toBeGreaterThan(0.035);
    expect(sd).toBeLessThan(0.065);
    for (let i = 0; i < 400; i++) if (!removed[i]) expect(noisy[i]).toBe(image[i]);
  });
});

describe("AD and BAD with a baseline", () => {
  it("the black baseline gives the paper's images; others replace instead of blacking out", () => {
    const image = tf.tensor2d(ramp(64), [8, 8]);
    const heat = tf.tensor2d(Float32Array.from(randomValues(64, 9, 1), (v) => Math.abs(v) / 3).map((v) => Math.min(1, v)), [8, 8]);
    const same = (a: tf.Tensor, b: tf.Tensor) => Array.from(a.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(b.dataSync()[i]!, 6));
    same(blendTowardsBaseline(BLACK).apply(image, heat), multiplyByMap.apply(image, heat));
    same(keepTopPercentOver(25, BLACK).apply(image, heat), keepTopPercent(25).apply(image, heat));
    const meanTop = keepTopPercentOver(25, MEAN).apply(image, heat).dataSync();
    const mask = keepTopPercent(25).apply(tf.onesLike(image) as tf.Tensor2D, heat).dataSync();
    const m = ramp(64).reduce((s, v) => s + v) / 64;
    mask.forEach((k, i) => expect(meanTop[i]).toBeCloseTo(k ? i / 64 : m, 6));
    // AD's blend towards the mean: L I + (1 - L) mean.
    const blend = blendTowardsBaseline(MEAN).apply(image, heat).dataSync();
    const h = heat.dataSync();
    blend.forEach((v, i) => expect(v).toBeCloseTo(h[i]! * (i / 64) + (1 - h[i]!) * m, 5));
    expect(() => keepTopPercentOver(0, MEAN)).toThrow(/alpha/);
    tf.dispose([image, heat]);
  });
});

describe("deletion, insertion and ROAD", () => {
  it("curve images and areas on a hand case", () => {
    expect(curveArea([0, 0.5, 1], [1, 0.5, 0])).toBeCloseTo(0.5, 9);
    expect(curveArea([0.1, 0.9], [0.4, 0.4])).toBeCloseTo(0.4, 9);
    const image = Float32Array.from([0.1, 0.2, 0.3, 0.4]);
    const heat = [4, 3, 2, 1];
    const del = curveImages(image, 2, 2, heat, {kind: "deletion", fractions: [0, 0.5, 1], baseline: BLACK});
    expect(del.map((d) => Array.from(d))).toEqual([[0.1, 0.2, 0.3, 0.4], [0, 0, 0.3, 0.4], [0, 0, 0, 0]].map((r) => r.map(Math.fround)));
    const ins = curveImages(image, 2, 2, heat, {kind: "insertion", fractions: [0, 0.25, 1], baseline: MEAN});
    expect(Array.from(ins[0]!)).toEqual(new Array(4).fill(Math.fround(0.25)));
    expect(Array.from(ins[1]!)).toEqual([0.1, 0.25, 0.25, 0.25].map(Math.fround));
    expect(Array.from(ins[2]!)).toEqual(Array.from(image));
    const lerf = curveImages(image, 2, 2, heat, {kind: "road-lerf", fractions: [0.25], baseline: BLACK});
    expect(Array.from(lerf[0]!)).toEqual([0.1, 0.2, 0.3, 0].map(Math.fround));
    expect(() => curveImages(image, 2, 2, [1, 2], defaultCurve("deletion"))).toThrow(/upsample/);
  });

  it("scores every curve of every map with the model, without leaking tensors", async () => {
    const {source} = testBundle({size: 32, withOod: false});
    const bundle: Bundle = await loadBundle(source);
    const size = bundle.classifier.spec.inputSize;
    const image = Float32Array.from(randomValues(size * size, 21, 0.2), (v) => Math.min(1, Math.max(0, 0.5 + v)));
    const heats = [ramp(size * size), Float32Array.from(ramp(size * size)).reverse()];
    const specs = [defaultCurve("deletion", {steps: 4}), defaultCurve("insertion", {steps: 4}), defaultCurve("road-morf"), defaultCurve("road-lerf")];
    const run = () => faithfulnessCurves(bundle.classifier, image, size, heats, 0, specs);
    run();
    const before = tf.memory().numTensors;
    const result = run();
    expect(tf.memory().numTensors).toBe(before);
    const original = tf.tidy(() => classProbabilities(bundle.classifier, [tf.tensor2d(image, [size, size])], 0)[0]!);
    for (const curves of result) {
      const [del, ins, morf, lerf] = curves;
      expect(del!.scores[0]).toBeCloseTo(original, 5); // nothing deleted yet
      expect(ins!.scores[4]).toBeCloseTo(original, 5); // everything inserted
      expect(del!.area).toBeCloseTo(curveArea(del!.fractions, del!.scores), 9);
      expect(morf!.scores).toHaveLength(9);
      expect(Number.isFinite(roadGap(morf!, lerf!))).toBe(true);
    }
    // The two maps rank pixels in opposite orders: MoRF of one is LeRF of the other, up to noise.
    expect(result[0]![2]!.scores[4]).toBeCloseTo(result[1]![3]!.scores[4]!, 2);
    bundle.dispose();
  });
});
