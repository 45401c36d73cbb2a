/**
 * The batch audit (npm run audit) on real images from the shared data: the tables and their
 * contents, broken files in the middle of a run, label files that do not match the bundle, bad
 * flags, sharding, and flat tensor memory. Resume after SIGKILL: audit-resume.test.ts.
 */
import * as tf from "@tensorflow/tfjs";
import {existsSync, readdirSync, readFileSync} from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {calibrate} from "../src/pipeline/calibration.js";
import {auc, aucHalfSplitStd, oodAuroc} from "../src/pipeline/metrics.js";
import {
  AuditError,
  listImages,
  parseAuditArgs,
  parseShard,
  Progress,
  runAudit,
  shardOf,
  type AuditOptions,
  type AuditSummary
} from "../src/pipeline/node/audit/index.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {auditFixture, auditProcess, PARITY_BUNDLE, queryAudit, type AuditFixture} from "./helpers/audit.js";
import {CHESTER_MODELS, chesterFixture, DATA_ROOT, TMP_ROOT} from "./helpers/paths.js";

let fixture: AuditFixture;
const outs = {full: "", shards: ""};
let summary: AuditSummary;
let options: AuditOptions;

beforeAll(async () => {
  await initBackend();
  fixture = auditFixture("audit");
  outs.full = path.join(fixture.root, "out-full");
  outs.shards = path.join(fixture.root, "out-shards");
  options = {
    images: fixture.images,
    labels: [fixture.labels],
    model: PARITY_BUNDLE,
    out: outs.full,
    explain: ["cam", "gradcampp"],
    alphas: [10, 40],
    chunkSize: 8,
    progress: "none"
  };
  summary = await runAudit(options);
});

const count = async (out: string, sql: string) => Number((await queryAudit(out, sql))[0]!.n);

describe("a full run over real images with labels", () => {
  it("finds every PNG, JPEG and DICOM file (with or without extension) and nothing else", () => {
    expect(listImages(fixture.images)).toEqual(fixture.files);
    expect(fixture.files.length).toBe(43);
    expect(summary).toMatchObject({images: 43, processed: 43, resumed: 0, errors: 2, metricsWritten: true, backend: "wasm"});
  });

  it("images: one row per file, status and format, sha256, dimensions and per-stage times", async () => {
    const rows = await queryAudit(outs.full, "SELECT * FROM {images} ORDER BY path");
    expect(rows.map((r) => r.path)).toEqual(fixture.files);
    const ok = rows.filter((r) => r.status === "ok");
    expect(ok.length).toBe(41);
    expect(new Set(rows.map((r) => r.format))).toEqual(new Set(["jpeg", "png", "dicom", null]));
    expect(rows.filter((r) => r.format === "dicom").map((r) => r.path)).toEqual(["peds/test/PNEUMONIA/zz-dicom-no-extension", "peds/test/PNEUMONIA/zz-dicom.dcm"]);
    for (const r of ok) {
      expect(r.width).toBeGreaterThan(0);
      expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
      for (const stage of ["read_ms", "decode_ms", "preprocess_ms", "ood_ms", "predict_ms", "cam_ms", "gradcampp_ms", "evaluate_ms", "total_ms"])
        expect(r[stage]).toBeGreaterThanOrEqual(0);
      expect(r.saliency_ms).toBeNull();
    }
    for (const r of rows) expect(r.ood_set).toBe(fixture.truth.get(r.path as string)!.set || null);
    expect(rows.filter((r) => r.ood_set !== null).length).toBe(7);
  });

  it("a truncated JPEG and a text file renamed .png in the middle: errors rows, and the run goes on", async () => {
    const errors = await queryAudit(outs.full, "SELECT path, stage, code, error FROM {errors} ORDER BY path");
    expect(errors.map((e) => [e.path, e.stage, e.code])).toEqual([
      ["peds/test/NORMAL/zz-text.png", "decode", "unknown-format"],
      ["peds/test/NORMAL/zz-truncated.jpg", "decode", "truncated"]
    ]);
    expect(errors[0]!.error).toMatch(/not a PNG, JPEG or DICOM file/);
    const statuses = await queryAudit(outs.full, "SELECT path, status FROM {images} ORDER BY path");
    const broken = statuses.findIndex((r) => r.path === fixture.broken[0]);
    // Images after the broken ones were processed normally.
    expect(statuses.slice(broken + 2).every((r) => r.status === "ok")).toBe(true);
    expect(statuses.slice(broken + 2).length).toBeGreaterThan(10);
    expect(await count(outs.full, `SELECT count(*) AS n FROM {predictions} WHERE path IN ('${fixture.broken.join("','")}')`)).toBe(0);
  });

  it("predictions: readable images x findings, calibrated by Eq. 1 at the card's operating point, labels from the CSV", async () => {
    const card = JSON.parse(readFileSync(path.join(PARITY_BUNDLE, "card.json"), "utf8"));
    const rows = await queryAudit(outs.full, "SELECT * FROM {predictions} ORDER BY path, finding");
    expect(rows.length).toBe(41 * 2);
    expect(await count(outs.full, "SELECT count(*) AS n FROM (SELECT DISTINCT path, finding FROM {predictions})")).toBe(82);
    for (const r of rows) {
      const k = card.labels.indexOf(r.finding);
      expect(r.operating_point).toBe(card.operatingPoints[k]);
      expect(r.calibrated as number).toBeCloseTo(calibrate(r.probability as number, card.operatingPoints[k]), 12);
      expect(r.predicted).toBe((r.probability as number) >= (r.operating_point as number));
      expect((r.calibrated as number) >= 0.5).toBe(r.predicted);
      const truth = fixture.truth.get(r.path as string)!;
      const expected = truth.label === "" ? null : r.finding === "Pneumonia" && truth.label === "PNEUMONIA" ? 1 : 0;
      expect(r.label).toBe(expected);
    }
  });

  it("ood: five scores per readable image, and the card's gate decision", async () => {
    const rows = await queryAudit(outs.full, "SELECT * FROM {ood}");
    expect(rows.length).toBe(41);
    for (const r of rows) {
      expect(r.in_distribution).toBe((r.ssim as number) > 0.5); // the parity card: ssim above 0.5
      for (const s of ["l1", "l2", "ssim8", "latent"]) expect(Number.isFinite(r[s])).toBe(true);
    }
  });

  it("explanations: per image, the labelled finding (else the top one), each method and alpha", async () => {
    const rows = await queryAudit(outs.full, "SELECT * FROM {explanations} ORDER BY path, method, alpha");
    expect(rows.length).toBe(41 * 2 * 2);
    const pneumonia = rows.filter((r) => fixture.truth.get(r.path as string)!.label === "PNEUMONIA");
    expect(pneumonia.length).toBe(18 * 4);
    expect(pneumonia.every((r) => r.finding === "Pneumonia" && r.label === 1)).toBe(true);
    for (const r of rows) {
      expect(["cam", "gradcampp"]).toContain(r.method);
      expect([10, 40]).toContain(r.alpha);
      const score = r.score as number;
      expect(r.average_drop as number).toBeCloseTo((100 * Math.max(0, score - (r.perturbed_score as number))) / score, 9);
      expect(r.black_average_drop as number).toBeCloseTo((100 * Math.max(0, score - (r.black_perturbed_score as number))) / score, 9);
      expect(r.increase_in_confidence).toBe((r.perturbed_score as number) > score);
    }
  });

  it("metrics: AUC with its half-split spread, OOD AUROC per set and score, coverage curve, explanation means", async () => {
    const metrics = await queryAudit(outs.full, "SELECT * FROM {metrics}");
    const finding = metrics.find((m) => m.kind === "finding" && m.finding === "Pneumonia")!;
    const labelled = await queryAudit(outs.full, "SELECT probability, label FROM {predictions} WHERE finding = 'Pneumonia' AND label IS NOT NULL ORDER BY path");
    const scores = labelled.map((r) => r.probability as number);
    const labels = labelled.map((r) => r.label as number);
    expect(finding).toMatchObject({n: 34, positives: 18, operating_point: 0.5, auc_splits: 10});
    expect(finding.auc).toBeCloseTo(auc(scores, labels), 12);
    expect(finding.auc_std).toBeCloseTo(aucHalfSplitStd(scores, labels, {splits: 10, seed: 0}).std, 12);
    expect(finding.sensitivity).toBeGreaterThanOrEqual(0);
    // Effusion: labelled 0 everywhere (the CSV's label column names only Pneumonia): AUC undefined.
    expect(metrics.find((m) => m.kind === "finding" && m.finding === "Effusion")).toMatchObject({positives: 0, auc: null});

    const ood = metrics.filter((m) => m.kind === "ood" && m.ood_set !== null);
    expect(new Set(ood.map((m) => m.ood_set))).toEqual(new Set(["all", "cifar10", "knee-xray", "mnist"]));
    expect(ood.length).toBe(4 * 5);
    const inside = await queryAudit(outs.full, "SELECT o.ssim FROM {ood} o JOIN {images} i USING (path) WHERE i.ood_set IS NULL ORDER BY path");
    const knee = await queryAudit(outs.full, "SELECT o.ssim FROM {ood} o JOIN {images} i USING (path) WHERE i.ood_set = 'knee-xray' ORDER BY path");
    const kneeSsim = ood.find((m) => m.ood_set === "knee-xray" && m.ood_score === "ssim")!;
    expect(kneeSsim).toMatchObject({n: 3, n_in: 34});
    expect(kneeSsim.auroc).toBeCloseTo(oodAuroc(inside.map((r) => r.ssim as number), knee.map((r) => r.ssim as number), false), 12);

    const coverage = metrics.filter((m) => m.kind === "coverage" && m.finding === "Pneumonia" && m.ood_score === "ssim");
    expect(coverage.length).toBeGreaterThan(5);
    expect(coverage[0]).toMatchObject({coverage: 1, kept: 34});
    expect(coverage[0]!.auc).toBeCloseTo(finding.auc as number, 12);

    const explanations = metrics.filter((m) => m.kind === "explanation");
    expect(explanations.length).toBeGreaterThanOrEqual(4);
    const ad = await queryAudit(outs.full, "SELECT avg(black_average_drop) AS bad FROM {explanations} WHERE finding = 'Pneumonia' AND method = 'cam' AND alpha = 40");
    expect(explanations.find((m) => m.finding === "Pneumonia" && m.method === "cam" && m.alpha === 40)!.black_average_drop).toBeCloseTo(ad[0]!.bad as number, 9);
  });

  it("run: the bundle, its card hash, versions, times and rate; numTensors does not grow", async () => {
    const [run] = await queryAudit(outs.full, "SELECT * FROM {run}");
    expect(run).toMatchObject({bundle: "parity-fixture", images: 43, processed: 43, resumed: 0, errors: 2, shards: 1, backend: "wasm", tfjs_version: tf.version.tfjs});
    expect(run!.card_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(run!.duckdb_version).toMatch(/^v1\.5/);
    expect(run!.images_per_s).toBeGreaterThan(0);
    expect((run!.ended_at as Date).getTime()).toBeGreaterThanOrEqual((run!.started_at as Date).getTime());
    expect(summary.tensorsEnd).toBe(summary.tensorsStart);
    expect(run!.tensors_end).toBe(run!.tensors_start);
  });

  it("run again: nothing is redone, no row is duplicated", async () => {
    const before = readdirSync(path.join(outs.full, "run/shard=1")).length;
    const again = await runAudit(options);
    expect(again).toMatchObject({processed: 0, resumed: 43});
    expect(await count(outs.full, "SELECT count(*) AS n FROM {images}")).toBe(43);
    expect(await count(outs.full, "SELECT count(*) AS n FROM {predictions}")).toBe(82);
    expect(readdirSync(path.join(outs.full, "run/shard=1")).length).toBe(before); // nothing new to record
  });
});

describe("other bundles", () => {
  it("a Chester folder (with its autoencoder folder) works as --model; labels from CSVs inside the images folder", async () => {
    const out = path.join(fixture.root, "out-chester");
    const result = await runAudit({
      images: DATA_ROOT,
      labels: [path.join(DATA_ROOT, "cxr-nih/labels.csv")],
      files: ["cxr-nih/images256/00001280_004.jpg", "cxr-nih/images64/00000165_005.png"],
      model: chesterFixture(CHESTER_MODELS.densenet),
      ood: chesterFixture(CHESTER_MODELS.autoencoder),
      out,
      explain: [],
      progress: "none"
    });
    expect(result).toMatchObject({processed: 2, errors: 0});
    const predictions = await queryAudit(out, "SELECT path, finding, label FROM {predictions} WHERE label = 1");
    // The NIH CSV's 0/1 columns, matched to Chester's 14 labels by name (its output order differs).
    expect(predictions).toEqual([{path: "cxr-nih/images64/00000165_005.png", finding: "Pleural_Thickening", label: 1}]);
    expect((await queryAudit(out, "SELECT count(*) AS n, count(label) AS labelled FROM {predictions}"))[0]).toEqual({n: 28n, labelled: 28n});
    expect((await queryAudit(out, "SELECT count(*) AS n FROM {ood}"))[0]!.n).toBe(2n);
  });
});

describe("sharding", () => {
  it("is a deterministic partition by path hash", () => {
    const counts = [0, 0, 0];
    for (const f of fixture.files) counts[shardOf(f, 3) - 1]!++;
    expect(counts.reduce((a, b) => a + b)).toBe(43);
    expect(Math.min(...counts)).toBeGreaterThan(5);
    expect(fixture.files.map((f) => shardOf(f, 3))).toEqual(fixture.files.map((f) => shardOf(f, 3)));
    expect(parseShard("2/4")).toEqual({index: 2, count: 4});
    for (const bad of ["0/2", "3/2", "1", "a/b", "1/0", "-1/2"]) expect(() => parseShard(bad)).toThrow(/--shard/);
  });

  it("two shards into one folder: disjoint, their union equals the unsharded run, read as one table", async () => {
    const base: AuditOptions = {...options, out: outs.shards, explain: []};
    const first = await runAudit({...base, shard: {index: 1, count: 2}});
    expect(first.metricsWritten).toBe(false); // shard 2 is not done yet
    expect(existsSync(path.join(outs.shards, "metrics"))).toBe(false);
    const second = await runAudit({...base, shard: {index: 2, count: 2}});
    expect(second.metricsWritten).toBe(true);
    expect(first.images + second.images).toBe(43);
    expect(first.images).toBeGreaterThan(5);
    expect(second.images).toBeGreaterThan(5);

    const shards = await queryAudit(outs.shards, "SELECT shard, list(path ORDER BY path) AS paths FROM {images} GROUP BY shard ORDER BY shard");
    expect(shards.map((s) => Number(s.shard))).toEqual([1, 2]);
    const [one, two] = shards.map((s) => s.paths as string[]);
    expect(one!.filter((p) => two!.includes(p))).toEqual([]);
    expect([...one!, ...two!].sort()).toEqual([...fixture.files].sort());
    for (const p of one!) expect(shardOf(p, 2)).toBe(1);

    // Same predictions and OOD scores as the unsharded run.
    const sharded = await queryAudit(outs.shards, "SELECT path, finding, probability FROM {predictions} ORDER BY path, finding");
    const whole = await queryAudit(outs.full, "SELECT path, finding, probability FROM {predictions} ORDER BY path, finding");
    expect(sharded.map((r) => [r.path, r.finding])).toEqual(whole.map((r) => [r.path, r.finding]));
    sharded.forEach((r, i) => expect(r.probability as number).toBeCloseTo(whole[i]!.probability as number, 6));
    expect(await count(outs.shards, "SELECT count(*) AS n FROM {errors}")).toBe(2);
    expect(await count(outs.shards, "SELECT count(*) AS n FROM {run}")).toBe(2);
    expect(await count(outs.shards, "SELECT count(*) AS n FROM {explanations}")).toBe(0);
    const [auc1] = await queryAudit(outs.shards, "SELECT auc FROM {metrics} WHERE kind = 'finding' AND finding = 'Pneumonia'");
    const [auc2] = await queryAudit(outs.full, "SELECT auc FROM {metrics} WHERE kind = 'finding' AND finding = 'Pneumonia'");
    expect(auc1!.auc as number).toBeCloseTo(auc2!.auc as number, 6);
  });

  it("--workers 2 runs both shards as processes and writes the metrics", async () => {
    const out = path.join(fixture.root, "out-workers");
    const {done} = auditProcess(["--images", fixture.images, "--labels", fixture.labels, "--model", PARITY_BUNDLE, "--out", out, "--explain", "none", "--workers", "2", "--progress", "lines"]);
    const result = await done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/2 workers: 43\/43 images/);
    const shards = await queryAudit(out, "SELECT shard, count(*) AS n FROM {images} GROUP BY shard ORDER BY shard");
    const expected = await queryAudit(outs.shards, "SELECT shard, count(*) AS n FROM {images} GROUP BY shard ORDER BY shard");
    expect(shards).toEqual(expected);
    expect(existsSync(path.join(out, "metrics/metrics.parquet"))).toBe(true);
  });

  it("refuses to mix configurations in one output folder", async () => {
    await expect(runAudit({...options, out: outs.shards, explain: [], shard: {index: 1, count: 3}})).rejects.toThrow(/different configuration \(shards differs\)/);
  });

  it("refuses to resume a folder written by a version whose tables had other columns, and names why", async () => {
    const {cpSync, readFileSync, writeFileSync} = await import("node:fs");
    // An older audit's folder: the same settings, written before audit.json recorded the tables'
    // columns (as every folder before the predictions table's recalibrated column was).
    const old = path.join(fixture.root, "out-older-version");
    cpSync(outs.shards, old, {recursive: true});
    const file = path.join(old, "audit.json");
    const config = JSON.parse(readFileSync(file, "utf8"));
    expect(typeof config.fingerprint.tables).toBe("string");
    delete config.fingerprint.tables;
    writeFileSync(file, JSON.stringify(config, null, 2));
    const shard = {index: 1, count: 2};
    await expect(runAudit({...options, out: old, explain: [], shard, onConfigMismatch: "error"})).rejects.toThrow(
      /written by another version of this tool, whose tables have other columns.*another --out/
    );
    // The same folder with this version's fingerprint resumes (nothing left to do).
    config.fingerprint.tables = JSON.parse(readFileSync(path.join(outs.shards, "audit.json"), "utf8")).fingerprint.tables;
    writeFileSync(file, JSON.stringify(config, null, 2));
    await expect(runAudit({...options, out: old, explain: [], shard, onConfigMismatch: "error"})).resolves.toBeDefined();
  });
});

describe("labels that do not match the bundle: a clear error before any image is processed", () => {
  const write = async (name: string, text: string) => {
    const {writeFileSync} = await import("node:fs");
    const file = path.join(fixture.root, name);
    writeFileSync(file, text);
    return file;
  };
  const rejects = async (labels: string, pattern: RegExp) => {
    const out = path.join(fixture.root, `out-${path.basename(labels, ".csv")}`);
    await expect(runAudit({...options, labels: [labels], out})).rejects.toThrow(pattern);
    expect(existsSync(out)).toBe(false);
  };

  it("a label column naming a finding the bundle does not have", async () => {
    const file = await write("covid.csv", "path,label\n" + fixture.files.map((f, i) => `${f},${i % 2 ? "COVID" : "Normal"}`).join("\n"));
    await rejects(file, /"COVID" \(21 rows\), which is not among the bundle's findings \(Pneumonia, Effusion\)/);
  });

  it("finding columns that miss one of the bundle's findings", async () => {
    const file = await write("nih-like.csv", "path,Atelectasis,Pneumonia\n" + fixture.files.map((f) => `${f},0,1`).join("\n"));
    await rejects(file, /has columns for Pneumonia but none for Effusion/);
  });

  it("no column for any finding", async () => {
    const file = await write("nothing.csv", "path,Cardiomegaly,Mass\n" + fixture.files.map((f) => `${f},0,1`).join("\n"));
    await rejects(file, /no column named after any of them.*0\/1 columns are Cardiomegaly, Mass/);
  });

  it("values that are not 0/1, and paths that name no image", async () => {
    const values = await write("values.csv", "path,Pneumonia,Effusion\n" + fixture.files.map((f) => `${f},yes,0`).join("\n"));
    await rejects(values, /line 2: Pneumonia is "yes"/);
    const paths = await write("paths.csv", "path,label\nelsewhere/a.png,NORMAL\n");
    await rejects(paths, /none of the 1 paths .* names an audited image/);
  });

  it("the command exits with status 2 and says so", async () => {
    const labels = path.join(fixture.root, "covid.csv");
    const out = path.join(fixture.root, "out-cli-mismatch");
    const {done} = auditProcess(["--images", fixture.images, "--labels", labels, "--model", PARITY_BUNDLE, "--out", out]);
    const result = await done;
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/audit: .*covid\.csv does not match the bundle's findings/);
    expect(existsSync(out)).toBe(false);
  });
});

describe("locks", () => {
  it("one live process per shard: a second one is refused; a lock left by a dead process is taken over", async () => {
    const {hostname} = await import("node:os");
    const {spawnSync} = await import("node:child_process");
    const {writeFileSync, rmSync} = await import("node:fs");
    const lock = path.join(outs.full, ".lock-shard-1");
    writeFileSync(lock, JSON.stringify({pid: process.pid, host: hostname()})); // this process is alive
    await expect(runAudit(options)).rejects.toThrow(/shard 1\/1 of .* is being written by process \d+/);
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    writeFileSync(lock, JSON.stringify({pid: dead, host: hostname()}));
    await expect(runAudit(options)).resolves.toMatchObject({processed: 0, resumed: 43});
    expect(existsSync(lock)).toBe(false);
    rmSync(lock, {force: true});
  });
});

describe("progress", () => {
  const capture = (isTTY: boolean) => {
    const chunks: string[] = [];
    return {chunks, stream: {isTTY, columns: 100, write: (text: string) => chunks.push(text)}};
  };
  it("a one-line bar with count, rate and time left on a terminal", () => {
    const {chunks, stream} = capture(true);
    const bar = new Progress(10, stream, "auto", "audit");
    for (let i = 1; i <= 10; i++) bar.tick(i);
    bar.finish();
    expect(chunks.every((c) => c.startsWith("\r[") || c === "\n")).toBe(true);
    expect(chunks.at(-2)).toMatch(/^\r\[#+\] audit 10\/10 [\d.]+ images\/s, 0s left/);
  });
  it("plain lines otherwise, every 5 % of the work at most", () => {
    const {chunks, stream} = capture(false);
    const lines = new Progress(200, stream, "auto", "audit");
    for (let i = 1; i <= 200; i++) lines.tick(i);
    lines.finish();
    expect(chunks.length).toBeLessThanOrEqual(21);
    expect(chunks.every((c) => /^audit: \d+\/200 images, [\d.]+ images\/s, .* left\n$/.test(c))).toBe(true);
    expect(chunks.at(-1)).toMatch(/^audit: 200\/200/);
  });
});

describe("command line", () => {
  const parse = (...args: string[]) => parseAuditArgs(["--images", "x", ...args]);
  it("parses every flag", () => {
    expect(parse("--labels", "a.csv", "--labels", "b.csv", "--model", "m", "--out", "o", "--shard", "2/3", "--explain", "saliency,cam", "--alpha", "5,10", "--chunk", "4", "--limit", "9")).toEqual({
      kind: "audit",
      workers: 1,
      options: {images: "x", labels: ["a.csv", "b.csv"], model: "m", ood: undefined, modelsDir: undefined, out: "o", shard: {index: 2, count: 3}, explain: ["saliency", "cam"], alphas: [5, 10], chunkSize: 4, limit: 9, progress: undefined}
    });
    expect(parse("--explain", "none")).toMatchObject({options: {explain: []}});
    expect(parseAuditArgs(["--metrics-only", "--out", "o"])).toEqual({kind: "metrics", out: "o"});
  });

  it("rejects bad flags with clear messages", async () => {
    expect(() => parseAuditArgs([])).toThrow(/--images DIR is required/);
    expect(() => parse("--shard", "3/2")).toThrow(/between 1 and N/);
    expect(() => parse("--shard", "half")).toThrow(/--shard takes I\/N/);
    expect(() => parse("--explain", "cam,lime")).toThrow(/unknown explanation method lime; choose from saliency, cam, gradcam, gradcampp, hirescam, xgradcam, layercam, eigencam, scorecam, smoothgrad, intgrad/);
    expect(() => parse("--alpha", "0,10")).toThrow(/--alpha 0 is outside \(0, 100\]/);
    expect(() => parse("--alpha", "150")).toThrow(/outside \(0, 100\]/);
    expect(() => parse("--chunk", "0")).toThrow(/--chunk takes a positive integer/);
    expect(() => parse("--frobnicate")).toThrow(/Unknown option '--frobnicate'/);
    expect(() => parse("--workers", "2", "--shard", "1/2")).toThrow(/either --workers or --shard/);
    await expect(runAudit({images: fixture.images, model: "no-such-bundle", out: path.join(TMP_ROOT, "never")})).rejects.toThrow(/unknown model "no-such-bundle"/);
    await expect(runAudit({images: path.join(fixture.root, "missing"), model: PARITY_BUNDLE})).rejects.toThrow(AuditError);
  });
});
