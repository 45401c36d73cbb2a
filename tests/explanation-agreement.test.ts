/**
 * What the Explanation evaluation page reads (issue 11 item 7): the build-time agreement table
 * (src/data/explanation-agreement.ts, here with the small parity bundle for both samples and one
 * image each, on real images of the shared data), the boxed samples it offers, the worker's
 * detailed faithfulness result (curves beside the rows) and the sanity check's progress.
 */
import {existsSync} from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {AGREEMENT_METHODS, boxedSamplePaths, explanationAgreement, type ExplanationAgreement} from "../src/data/explanation-agreement.js";
import {loadBundle} from "../src/pipeline/bundle/load.js";
import {evaluateFaithfulnessDetailed} from "../src/pipeline/faithfulness/evaluate-image.js";
import {cascadingRandomisation} from "../src/pipeline/faithfulness/sanity.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {PARITY_BUNDLE} from "./helpers/audit.js";
import {randomValues, testBundle} from "./helpers/models.js";
import {DATA_ROOT} from "./helpers/paths.js";

beforeAll(async () => {
  await initBackend();
});

describe("the agreement table made at build time", () => {
  let result: ExplanationAgreement;
  beforeAll(async () => {
    result = await explanationAgreement({folders: {"pediatric-pneumonia": PARITY_BUNDLE, "nih-chestxray14": PARITY_BUNDLE}, images: 1});
  });

  it("per bundle: its sample, every method, every metric; localisation only where there are boxes", () => {
    const [peds, nih] = result.bundles;
    expect(peds!.images).toEqual([{path: expect.stringMatching(/^cxr-peds\/test\/PNEUMONIA\//), box: false}]);
    expect(nih!.images).toEqual([{path: boxedSamplePaths()[0], box: true}]);
    for (const b of result.bundles) {
      expect(b.table.methods).toEqual(AGREEMENT_METHODS);
      expect(b.rows.every((r) => AGREEMENT_METHODS.includes(r.method as never))).toBe(true);
    }
    const localisation = (b: (typeof result.bundles)[number]) => b.rows.filter((r) => ["pointing-game", "energy-inside", "iou"].includes(r.metric));
    expect(localisation(peds!)).toEqual([]);
    expect(localisation(nih!)).toHaveLength(3 * AGREEMENT_METHODS.length);
    expect(nih!.table.metrics.map((m) => m.metric)).toEqual(expect.arrayContaining(["pointing-game", "energy-inside", "iou", "deletion black", "insertion blur", "road-gap noisy-linear", "black-average-drop black 20%", "black-average-drop noisy-linear 20%"]));
    // 4 baselines x (AD, IC, 4 BAD) + 4 curves + the gap (+ 3 localisation).
    expect(peds!.table.metrics).toHaveLength(29);
    expect(nih!.table.metrics).toHaveLength(32);
  });

  it("each column is the method's value on the image (one image: its own row), ranked and correlated", () => {
    const nih = result.bundles[1]!;
    const column = nih.table.metrics.find((m) => m.metric === "deletion black")!;
    AGREEMENT_METHODS.forEach((method, i) => {
      const row = nih.rows.find((r) => r.method === method && r.metric === "deletion" && r.baseline === "black")!;
      expect(column.values[i]).toBeCloseTo(row.value, 12);
    });
    const k = nih.table.metrics.indexOf(column);
    // Lower deletion area is better: rank 1 goes to the smallest.
    const best = column.values.indexOf(Math.min(...column.values));
    expect(nih.table.ranks[k]![best]).toBe(1);
    expect(nih.table.pairs).toHaveLength((32 * 31) / 2);
    for (const p of nih.table.pairs) if (Number.isFinite(p.tau)) expect(Math.abs(p.tau)).toBeLessThanOrEqual(1);
  });

  it("carries every radiologist's box (paths relative to the data folder) for the page", () => {
    expect(result.boxes).toHaveLength(56);
    expect(result.boxes.every((b) => /^cxr-nih\/images(256|64)\//.test(b.path))).toBe(true);
    const boxed = boxedSamplePaths();
    expect(boxed).toHaveLength(8);
    for (const p of boxed) {
      expect(existsSync(path.join(DATA_ROOT, p))).toBe(true);
      expect(result.boxes.some((b) => b.path === p && b.finding === "Pneumonia")).toBe(true);
    }
  });
});

describe("what the analysis worker returns to the page", () => {
  it("the detailed faithfulness result: each method's four curves, their areas equal to the rows", async () => {
    const bundle = await loadBundle(testBundle({seed: 9, withOod: false}).source);
    const size = 32;
    const pixels = Float32Array.from(randomValues(size * size, 5, 0.25), (v) => Math.min(1, Math.max(0, 0.5 + v)));
    const maps = {a: Float32Array.from(randomValues(size * size, 6, 1)), b: Float32Array.from(randomValues(size * size, 7, 1))};
    const {rows, curves} = evaluateFaithfulnessDetailed(bundle.classifier, pixels, size, maps, 0, {baselines: ["black"], alphas: [20], steps: 4});
    expect(curves.map((c) => `${c.method} ${c.kind}`)).toEqual(["a deletion", "a insertion", "a road-morf", "a road-lerf", "b deletion", "b insertion", "b road-morf", "b road-lerf"]);
    for (const c of curves) {
      expect(c.scores).toHaveLength(c.fractions.length);
      expect(rows.find((r) => r.method === c.method && r.metric === c.kind)!.value).toBe(c.area);
    }
    expect(curves[0]!.fractions).toEqual([0, 0.25, 0.5, 0.75, 1]);

    const steps: string[] = [];
    const sanity = cascadingRandomisation(bundle.classifier, pixels, size, 0, ["cam"], {onStep: (done, total, block) => steps.push(`${done}/${total} ${block}`)});
    expect(steps).toEqual(sanity.steps.map((s, i) => `${i + 1}/${sanity.steps.length} ${s.randomised.at(-1)}`));
    bundle.dispose();
  });
});
