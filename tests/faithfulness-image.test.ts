import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {loadBundle} from "../src/pipeline/bundle/load.js";
import {averageDropPercent, keepTopPercent, multiplyByMap, perturbAndScore} from "../src/pipeline/evaluate.js";
import {explainTensors, normaliseMap, upsample} from "../src/pipeline/explain/index.js";
import {agreementFromRows, columnName, evaluateFaithfulness} from "../src/pipeline/faithfulness/evaluate-image.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {randomValues, testBundle} from "./helpers/models.js";

beforeAll(async () => {
  await initBackend();
});

describe("every faithfulness metric of one image", () => {
  it("gives AD / BAD under each baseline, curve areas and localisation; black matches the existing AD and BAD", async () => {
    const bundle = await loadBundle(testBundle({seed: 12, withOod: false}).source);
    const size = 32;
    const pixels = Float32Array.from(randomValues(size * size, 51, 0.25), (v) => Math.min(1, Math.max(0, 0.5 + v)));
    const grey = tf.tensor2d(pixels, [size, size]);
    const maps = tf.tidy(() => {
      const raw = explainTensors(bundle.classifier, grey, 0, ["cam", "gradcam"]);
      return {cam: upsample(raw.cam!, size, size).dataSync() as Float32Array, gradcam: upsample(raw.gradcam!, size, size).dataSync() as Float32Array};
    });
    const options = {alphas: [10, 40], steps: 4, box: {x: 8, y: 8, width: 12, height: 10}};
    const run = () => evaluateFaithfulness(bundle.classifier, pixels, size, maps, 0, options);
    run();
    const before = tf.memory().numTensors;
    const rows = run();
    expect(tf.memory().numTensors).toBe(before);
    // per method: 4 baselines x (AD, IC, 2 BAD) + 4 curves + ROAD gap + 3 localisation
    expect(rows.filter((r) => r.method === "cam")).toHaveLength(16 + 4 + 1 + 3);
    const find = (method: string, metric: string, baseline: string, alpha: number | null = null) =>
      rows.find((r) => r.method === method && r.metric === metric && r.baseline === baseline && r.alpha === alpha)!.value;
    const [ad, bad] = tf.tidy(() => {
      const heat = normaliseMap(tf.tensor2d(maps.gradcam, [size, size]));
      const scored = perturbAndScore(bundle.classifier, grey, heat, 0, [multiplyByMap, keepTopPercent(10)]);
      return scored.map((s) => averageDropPercent([s.pair]));
    });
    expect(find("gradcam", "average-drop", "black")).toBeCloseTo(ad!, 4);
    expect(find("gradcam", "black-average-drop", "black", 10)).toBeCloseTo(bad!, 4);
    for (const r of rows.filter((x) => ["pointing-game", "energy-inside", "iou"].includes(x.metric))) {
      expect(r.value).toBeGreaterThanOrEqual(0);
      expect(r.value).toBeLessThanOrEqual(1);
    }
    const table = agreementFromRows(rows);
    expect(table.methods).toEqual(["cam", "gradcam"]);
    expect(table.metrics.map((m) => m.metric)).toContain(columnName({metric: "black-average-drop", baseline: "noisy-linear", alpha: 40}));
    for (const p of table.pairs) if (Number.isFinite(p.tau)) expect(Math.abs(p.tau)).toBeLessThanOrEqual(1);
    expect(() => evaluateFaithfulness(bundle.classifier, pixels, size, {cam: new Float32Array(16)}, 0)).toThrow(/cam map must be at the image's size/);
    grey.dispose();
    bundle.dispose();
  });
});
