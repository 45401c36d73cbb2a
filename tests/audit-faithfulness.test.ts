/**
 * The audit's explanation checks (issue 11 item 7): --faithfulness, --sanity and --localisation
 * on real images of the shared data (NIH radiographs with radiologists' boxes, pediatric ones
 * without), each table's rows equal to what the pure modules compute for the same image, and the
 * flags' errors. Resume after SIGKILL for these tables: audit-resume.test.ts.
 */
import {mkdirSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {analyse} from "../src/pipeline/analyse.js";
import {loadBundle, type Bundle} from "../src/pipeline/bundle/load.js";
import {evaluateFaithfulness, HIGHER_IS_BETTER} from "../src/pipeline/faithfulness/evaluate-image.js";
import {boxInInput, localise, parseBoxesCsv} from "../src/pipeline/faithfulness/localisation.js";
import {cascadingRandomisation, weightBlocks} from "../src/pipeline/faithfulness/sanity.js";
import {decodeImage} from "../src/pipeline/image/index.js";
import {sanityPaths} from "../src/pipeline/node/audit/faithfulness.js";
import {parseAuditArgs, runAudit, type AuditOptions, type AuditSummary} from "../src/pipeline/node/audit/index.js";
import {directorySource} from "../src/pipeline/node/fs-source.js";
import {prepare} from "../src/pipeline/preprocess.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {PARITY_BUNDLE, queryAudit} from "./helpers/audit.js";
import {DATA_ROOT, TMP_ROOT} from "./helpers/paths.js";

const BOXES = path.join(DATA_ROOT, "cxr-nih/boxes.csv");
// Three boxed NIH radiographs (00010277_000 has Effusion, Infiltration, Mass and Pneumonia boxes;
// 00005869_001 Pneumonia and Pneumothorax) and two pediatric ones without boxes.
const FILES = [
  "cxr-nih/images256/00000150_002.jpg",
  "cxr-nih/images256/00005869_001.jpg",
  "cxr-nih/images256/00010277_000.jpg",
  "cxr-peds/test/NORMAL/IM-0001-0001.jpg",
  "cxr-peds/test/PNEUMONIA/person100_bacteria_475.jpg"
];
const root = path.join(TMP_ROOT, "audit-faithfulness");
const out = path.join(root, "out");
let options: AuditOptions;
let summary: AuditSummary;
let bundle: Bundle;

beforeAll(async () => {
  await initBackend();
  rmSync(root, {recursive: true, force: true});
  mkdirSync(root, {recursive: true});
  options = {
    images: DATA_ROOT,
    files: FILES,
    labels: [path.join(DATA_ROOT, "cxr-nih/labels.csv"), path.join(DATA_ROOT, "cxr-peds/labels.csv")],
    model: PARITY_BUNDLE,
    out,
    explain: ["cam", "gradcam", "eigencam"],
    alphas: [10, 40],
    faithfulness: true,
    curveSteps: 4,
    sanity: 2,
    localisation: BOXES,
    chunkSize: 2,
    progress: "none",
    onConfigMismatch: "replace"
  };
  summary = await runAudit(options);
  bundle = await loadBundle(directorySource(PARITY_BUNDLE));
  return () => bundle.dispose();
});

/** What the audit computed for one image and finding, recomputed with the pure modules. */
function recompute(relative: string, finding: string) {
  const image = decodeImage(new Uint8Array(readFileSync(path.join(DATA_ROOT, relative))), {name: relative});
  const result = analyse(bundle, image, {predictRejected: true, methods: options.explain, evaluateAlphas: options.alphas, finding});
  const size = bundle.card.classifier.inputSize;
  const prepared = prepare(image, size, result.resize);
  const pixels = prepared.pixels.dataSync().slice() as Float32Array;
  prepared.pixels.dispose();
  const maps = Object.fromEntries(Object.entries(result.explanation!.maps).map(([m, map]) => [m, map!.data]));
  return {image, result, size, pixels, maps, index: result.explanation!.finding.index};
}

describe("--faithfulness, --sanity, --localisation on real images", () => {
  it("runs without errors and without growing the tensor count", () => {
    expect(summary).toMatchObject({images: 5, processed: 5, errors: 0});
    expect(summary.tensorsEnd).toBe(summary.tensorsStart);
  });

  it("faithfulness: the rows evaluateFaithfulness gives for the same image, maps and pixels", async () => {
    const relative = FILES[0]!;
    const {pixels, size, maps, index} = recompute(relative, "Pneumonia");
    const expected = evaluateFaithfulness(bundle.classifier, pixels, size, maps, index, {alphas: [10, 40], steps: 4});
    const rows = await queryAudit(out, `SELECT * FROM {faithfulness} WHERE path = '${relative}' AND finding = 'Pneumonia'`);
    // per method: 4 baselines x (AD, IC, BAD at 2 alphas) + deletion, insertion, ROAD MoRF, LeRF and gap
    expect(rows).toHaveLength(3 * (4 * 4 + 5));
    expect(expected).toHaveLength(rows.length);
    for (const e of expected) {
      const row = rows.find((r) => r.method === e.method && r.metric === e.metric && r.baseline === e.baseline && r.alpha === e.alpha);
      expect(row, `${e.method} ${e.metric} ${e.baseline} ${e.alpha}`).toBeDefined();
      if (Number.isFinite(e.value)) expect(row!.value as number).toBeCloseTo(e.value, 12);
      else expect(row!.value).toBeNull();
      expect(row!.higher_is_better).toBe(HIGHER_IS_BETTER[e.metric]);
      expect(row!.label).toBe(1);
    }
    // Every explained finding of every image has its rows.
    const perImage = await queryAudit(out, "SELECT path, finding, CAST(count(*) AS INTEGER) AS n FROM {faithfulness} GROUP BY ALL ORDER BY ALL");
    expect(perImage.every((r) => r.n === 63)).toBe(true);
    const explained = await queryAudit(out, "SELECT DISTINCT path, finding FROM {explanations} ORDER BY ALL");
    expect(perImage.map((r) => [r.path, r.finding])).toEqual(explained.map((r) => [r.path, r.finding]));
  });

  it("sanity: on the images spread evenly over the list, the steps cascadingRandomisation gives", async () => {
    const chosen = [...sanityPaths(FILES, 2)];
    expect(chosen).toEqual([FILES[1], FILES[3]]);
    const paths = await queryAudit(out, "SELECT DISTINCT path FROM {sanity} ORDER BY path");
    expect(paths.map((r) => r.path)).toEqual(chosen);
    const relative = FILES[1]!;
    const {pixels, size, index} = recompute(relative, "Pneumonia");
    const expected = cascadingRandomisation(bundle.classifier, pixels, size, index, ["cam", "gradcam", "eigencam"]);
    const rows = await queryAudit(out, `SELECT * FROM {sanity} WHERE path = '${relative}' AND finding = 'Pneumonia' ORDER BY step, method`);
    const blocks = weightBlocks(bundle.classifier).map((b) => b.block);
    expect(rows).toHaveLength(blocks.length * 3);
    expect([...new Set(rows.map((r) => r.block))]).toEqual(blocks);
    for (const r of rows) {
      const step = expected.steps[(r.step as number) - 1]!;
      const s = step.similarity[r.method as "cam"]!;
      for (const k of ["spearman", "ssim"] as const) {
        if (Number.isFinite(s[k])) expect(r[k] as number).toBeCloseTo(s[k], 9);
        else expect(r[k]).toBeNull();
      }
      expect(r.flagged).toBe(expected.flagged.includes(r.method as "cam"));
    }
  });

  it("localisation: each box of a bundle finding, against the map explained for it; other findings' boxes skipped", async () => {
    const rows = await queryAudit(out, "SELECT * FROM {localisation} ORDER BY path, finding, method");
    const {boxes} = parseBoxesCsv(readFileSync(BOXES, "utf8"));
    const onAudited = boxes.filter((b) => FILES.includes(`cxr-nih/${b.path}`));
    expect(onAudited.map((b) => b.finding).sort()).toEqual(["Effusion", "Infiltration", "Mass", "Pneumonia", "Pneumonia", "Pneumonia", "Pneumothorax"]);
    // The parity bundle has Pneumonia and Effusion: 4 boxes x 3 methods.
    expect(rows).toHaveLength(4 * 3);
    expect(new Set(rows.map((r) => r.finding))).toEqual(new Set(["Pneumonia", "Effusion"]));
    // The Effusion box's image is also explained for Effusion (its label says so too) and for Pneumonia.
    const explained = await queryAudit(out, `SELECT DISTINCT finding FROM {explanations} WHERE path = '${FILES[2]}' ORDER BY finding`);
    expect(explained.map((r) => r.finding)).toEqual(["Effusion", "Pneumonia"]);
    for (const box of onAudited.filter((b) => ["Pneumonia", "Effusion"].includes(b.finding))) {
      const relative = `cxr-nih/${box.path}`;
      const {image, result, size, maps} = recompute(relative, box.finding);
      const inInput = boxInInput(box, image.width, image.height, result.box, size)!;
      // 256 px stored images, 32 px input, square: a plain scale by 1/8.
      expect(inInput.x).toBeCloseTo(box.x / 8, 9);
      expect(inInput.width).toBeCloseTo(box.width / 8, 9);
      for (const [method, map] of Object.entries(maps)) {
        const expected = localise(map, size, size, inInput);
        const row = rows.find((r) => r.path === relative && r.finding === box.finding && r.method === method)!;
        expect(row).toMatchObject({box_x: inInput.x, box_y: inInput.y, box_width: inInput.width, box_height: inInput.height, pointing_game: expected.pointingHit, label: 1});
        expect(row.box_share as number).toBeCloseTo(expected.boxShare, 12);
        for (const [column, value] of [["energy_inside", expected.energyInside], ["iou", expected.iou]] as const)
          if (Number.isFinite(value)) expect(row[column] as number).toBeCloseTo(value, 12);
          else expect(row[column]).toBeNull();
      }
    }
  });

  it("images: the three checks' times per image; a second run redoes nothing", async () => {
    const times = await queryAudit(out, "SELECT path, faithfulness_ms, sanity_ms, localisation_ms FROM {images} ORDER BY path");
    for (const t of times) expect(t.faithfulness_ms as number).toBeGreaterThan(0);
    expect(times.filter((t) => t.sanity_ms !== null).map((t) => t.path)).toEqual([FILES[1], FILES[3]]);
    expect(times.filter((t) => t.localisation_ms !== null).map((t) => t.path)).toEqual(FILES.slice(0, 3));
    const again = await runAudit({...options, onConfigMismatch: "error"});
    expect(again).toMatchObject({processed: 0, resumed: 5});
    expect((await queryAudit(out, "SELECT count(*) AS n FROM {localisation}"))[0]!.n).toBe(12n);
  });

  it("an output folder audited with other checks is refused, naming them", async () => {
    await expect(runAudit({...options, sanity: 3, onConfigMismatch: "error"})).rejects.toThrow(/different configuration \(sanity differs\)/);
    const {faithfulness: _, curveSteps: __, ...without} = options;
    await expect(runAudit({...without, onConfigMismatch: "error"})).rejects.toThrow(/different configuration \(faithfulness differs\)/);
  });
});

describe("bad flags and boxes files: clear errors before anything is written", () => {
  const rejects = (extra: Partial<AuditOptions>, pattern: RegExp) =>
    expect(runAudit({...options, out: path.join(root, "never"), ...extra})).rejects.toThrow(pattern);
  const write = (name: string, text: string) => {
    const file = path.join(root, name);
    writeFileSync(file, text);
    return file;
  };

  it("the checks need explanation methods", async () => {
    await rejects({explain: []}, /--faithfulness evaluates explanation maps: give methods with --explain/);
    await rejects({explain: [], faithfulness: false, localisation: undefined}, /--sanity evaluates explanation maps/);
  });

  it("a missing boxes file, a bad row, and boxes on no audited image", async () => {
    await rejects({localisation: path.join(root, "none.csv")}, /--localisation .*none\.csv: no such file/);
    await rejects({localisation: write("bad.csv", "path,finding,x,y,width,height,image_size\na.jpg,Pneumonia,1,2,-3,4,256\n")}, /line 2: not a valid box/);
    await rejects({localisation: write("elsewhere.csv", "path,finding,x,y,width,height,image_size\nelsewhere/a.jpg,Pneumonia,1,2,3,4,256\n")}, /none of its 1 boxes is on an audited image/);
    await rejects({localisation: write("two.csv", `path,finding,x,y,width,height,image_size\n${FILES[0]},Pneumonia,1,2,3,4,256\n${FILES[0]},Pneumonia,5,6,7,8,256\n`)}, /has two Pneumonia boxes/);
  });

  it("the command line: every new flag, and bad values", () => {
    const parse = (...args: string[]) => parseAuditArgs(["--images", "x", ...args]);
    expect(parse("--faithfulness", "--baselines", "black,blur", "--curve-steps", "8", "--sanity", "4", "--localisation", "b.csv")).toMatchObject({
      options: {faithfulness: true, baselines: ["black", "blur"], curveSteps: 8, sanity: 4, localisation: "b.csv"}
    });
    expect(parse("--sanity", "all")).toMatchObject({options: {sanity: "all"}});
    expect(() => parse("--sanity", "0")).toThrow(/--sanity takes a number of images or "all"/);
    expect(() => parse("--faithfulness", "--baselines", "grey")).toThrow(/unknown perturbation baseline grey; choose from black, mean, blur, noisy-linear/);
    expect(() => parse("--faithfulness", "--curve-steps", "0")).toThrow(/--curve-steps takes a positive integer/);
  });

  it("--baselines without --faithfulness", async () => {
    await rejects({faithfulness: false, baselines: ["black"]}, /--baselines and --curve-steps set up --faithfulness/);
  });
});

describe("boxes in the model input's frame", () => {
  it("scale from the CSV's frame to the image, then crop and scale to the input; clipped; null when outside", () => {
    const box = {path: "a", finding: "Pneumonia", x: 64, y: 0, width: 64, height: 128, imageSize: 256};
    // A 512 x 256 image (twice the width): its centre crop is x 128..384; the box lands at x 128..256, y 0..128.
    expect(boxInInput(box, 512, 256, {x: 128, y: 0, width: 256, height: 256}, 128)).toEqual({x: 0, y: 0, width: 64, height: 64});
    // Left of the crop entirely.
    expect(boxInInput({...box, x: 0, width: 32}, 512, 256, {x: 128, y: 0, width: 256, height: 256}, 128)).toBeNull();
    // Square, stretch-free: a plain scale.
    expect(boxInInput(box, 1024, 1024, {x: 0, y: 0, width: 1024, height: 1024}, 128)).toEqual({x: 32, y: 0, width: 32, height: 64});
  });
});
