/**
 * The batch audit survives SIGKILL at any point: the real command is killed twice mid-run, then
 * run again to the end; every image appears exactly once, nothing committed is redone, and the
 * tables equal those of an uninterrupted run. Also: the Framework data loader's pack of Parquet tables.
 */
import {execFile} from "node:child_process";
import {existsSync, readdirSync, rmSync, writeFileSync} from "node:fs";
import path from "node:path";
import {promisify} from "node:util";
import {beforeAll, describe, expect, it} from "vitest";
import {decodePack} from "../src/pipeline/bundle/pack.js";
import {ALL_TABLES, runAudit} from "../src/pipeline/node/audit/index.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {auditFixture, auditProcess, PARITY_BUNDLE, queryAudit, type AuditFixture} from "./helpers/audit.js";
import {REPO_ROOT, TMP_ROOT} from "./helpers/paths.js";

let fixture: AuditFixture;
beforeAll(async () => {
  await initBackend();
  fixture = auditFixture("audit-resume");
});

const committed = (out: string) => {
  const folder = path.join(out, "images/shard=1");
  return existsSync(folder) ? readdirSync(folder).filter((f) => f.endsWith(".parquet")).length : 0;
};

const allFiles = (folder: string): string[] =>
  readdirSync(folder, {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? allFiles(path.join(folder, e.name)) : [path.join(folder, e.name)]));

/** Start the command, wait until `chunks` chunks are committed, then kill -9 it. */
async function killAfter(args: string[], out: string, chunks: number) {
  const {child, done} = auditProcess(args);
  while (committed(out) < chunks && child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
  child.kill("SIGKILL");
  const result = await done;
  expect(result.signal, `the run ended before it could be killed:\n${result.stderr}`).toBe("SIGKILL");
  return committed(out);
}

describe("resume after SIGKILL", () => {
  it("killed twice mid-run (one image per chunk), then finished: no row lost or duplicated, nothing committed redone", async () => {
    const out = path.join(fixture.root, "out-killed");
    // Synthetic boxes on three real pneumonia radiographs of the fixture, for the localisation table.
    const boxed = fixture.files.filter((f) => f.startsWith("peds/test/PNEUMONIA/person")).slice(0, 3);
    const boxes = path.join(fixture.root, "boxes.csv");
    writeFileSync(boxes, "path,finding,x,y,width,height,image_size\n" + boxed.map((f, i) => `${f},Pneumonia,${40 + 20 * i},60,96,80,256`).join("\n") + "\n");
    const checks = ["--faithfulness", "--baselines", "black", "--curve-steps", "4", "--sanity", "3", "--localisation", boxes];
    const settings = ["--images", fixture.images, "--labels", fixture.labels, "--model", PARITY_BUNDLE, "--chunk", "1", "--explain", "saliency,cam,gradcam,gradcampp", "--alpha", "5,10,20,40", ...checks, "--progress", "lines"];
    const args = [...settings, "--out", out];

    const first = await killAfter(args, out, 3);
    expect(first).toBeGreaterThanOrEqual(3);
    expect(existsSync(path.join(out, ".lock-shard-1"))).toBe(true); // left behind by the killed process
    const second = await killAfter(args, out, first + 8);
    expect(second).toBeGreaterThan(first);
    expect(second).toBeLessThan(43);

    const last = auditProcess(args);
    const result = await last.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`${second} already done`));

    // Exactly one row per image and per (image, finding), whatever was killed when.
    const images = await queryAudit(out, "SELECT count(*) AS n, count(DISTINCT path) AS distinct_paths FROM {images}");
    expect(images[0]).toEqual({n: 43n, distinct_paths: 43n});
    const predictions = await queryAudit(out, "SELECT count(*) AS n, count(DISTINCT (path, finding)) AS d FROM {predictions}");
    expect(predictions[0]).toEqual({n: 82n, d: 82n});
    const explanations = await queryAudit(out, "SELECT count(*) AS n, count(DISTINCT (path, method, alpha)) AS d FROM {explanations}");
    expect(explanations[0]).toEqual({n: BigInt(41 * 4 * 4), d: BigInt(41 * 4 * 4)});
    expect((await queryAudit(out, "SELECT count(*) AS n FROM {errors}"))[0]!.n).toBe(2n);
    // The explanation checks too: each row exactly once.
    // faithfulness: per method, AD, IC and BAD at 4 alphas (black) + 4 curve areas + ROAD's gap.
    const faithfulness = await queryAudit(out, "SELECT count(*) AS n, count(DISTINCT (path, finding, method, metric, baseline, alpha)) AS d FROM {faithfulness}");
    expect(faithfulness[0]).toEqual({n: BigInt(41 * 4 * 11), d: BigInt(41 * 4 * 11)});
    const sanity = await queryAudit(out, "SELECT count(DISTINCT path) AS images, count(*) AS n, count(DISTINCT (path, finding, method, step)) AS d FROM {sanity}");
    expect(sanity[0]!.images).toBe(3n);
    expect(sanity[0]!.n).toBe(sanity[0]!.d);
    const localisation = await queryAudit(out, "SELECT count(*) AS n, count(DISTINCT (path, finding, method)) AS d FROM {localisation}");
    expect(localisation[0]).toEqual({n: 3n * 4n, d: 3n * 4n});

    // Only the run that finished wrote a run row; it skipped what the killed runs had committed.
    const runs = await queryAudit(out, "SELECT processed, resumed, images FROM {run}");
    expect(runs).toEqual([{processed: 43 - second, resumed: second, images: 43}]);
    // No temporary file or lock is left, and the metrics exist.
    expect(allFiles(out).filter((f) => f.endsWith(".tmp") || f.includes(".lock"))).toEqual([]);
    expect(existsSync(path.join(out, "metrics/metrics.parquet"))).toBe(true);

    // The same tables as an uninterrupted run.
    const clean = path.join(fixture.root, "out-clean");
    await runAudit({
      images: fixture.images, labels: [fixture.labels], model: PARITY_BUNDLE, out: clean, chunkSize: 1, explain: ["saliency", "cam", "gradcam", "gradcampp"], alphas: [5, 10, 20, 40],
      faithfulness: true, baselines: ["black"], curveSteps: 4, sanity: 3, localisation: boxes, progress: "none"
    });
    for (const [table, order] of [
      ["predictions", "path, finding"], ["ood", "path"], ["explanations", "path, method, alpha"], ["errors", "path"],
      ["faithfulness", "path, finding, method, metric, baseline, alpha"], ["sanity", "path, finding, method, step"], ["localisation", "path, finding, method"]
    ] as const) {
      const sql = `SELECT * EXCLUDE (shard) FROM {${table}} ORDER BY ${order}`;
      expect(await queryAudit(out, sql), table).toEqual(await queryAudit(clean, sql));
    }
    const columns = "path, width, height, format, bytes, sha256, status, ood_set";
    expect(await queryAudit(out, `SELECT ${columns} FROM {images} ORDER BY path`)).toEqual(await queryAudit(clean, `SELECT ${columns} FROM {images} ORDER BY path`));
    const metrics = "SELECT * FROM {metrics} ORDER BY ALL";
    expect(await queryAudit(out, metrics)).toEqual(await queryAudit(clean, metrics));
  }, 400_000); // two full runs of 43 images with the explanation checks, on a shared 2-core machine
});

describe("Framework data loaders", () => {
  const run = promisify(execFile);
  const loader = (name: string, env: NodeJS.ProcessEnv) =>
    run(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "src/data", name)], {
      cwd: REPO_ROOT,
      env: {...process.env, ...env},
      encoding: "buffer",
      maxBuffer: 64 * 2 ** 20
    });

  it("audit-tables.pack.ts prints every table of the sample audit as Parquet files in one pack", async () => {
    const sample = path.join(TMP_ROOT, "audit-sample");
    rmSync(sample, {recursive: true, force: true});
    const env = {CXR_AUDIT_MODEL: PARITY_BUNDLE, CXR_AUDIT_SAMPLE_OUT: sample};
    const {stdout} = await loader("audit-tables.pack.ts", env);
    const pack = decodePack(new Uint8Array(stdout), "audit-tables.pack");
    expect([...pack.files.keys()].sort()).toEqual(ALL_TABLES.map((t) => `${t.name}.parquet`).sort());
    expect((pack.header.meta!.rows as unknown[]).length).toBe(36);
    const file = path.join(sample, "predictions-from-loader.parquet");
    writeFileSync(file, pack.files.get("predictions.parquet")!);
    const rows = await queryAudit(sample, `SELECT count(*) AS n, count(DISTINCT path) AS images, count(label) AS labelled FROM read_parquet('${file}')`);
    expect(rows[0]).toEqual({n: 36n * 2n, images: 36n, labelled: 24n * 2n});
    // A rebuild reuses the finished audit.
    const again = await loader("audit-tables.pack.ts", env);
    expect(again.stderr.toString()).toMatch(/36 already done/);
    writeFileSync(file, decodePack(new Uint8Array(again.stdout)).files.get("metrics.parquet")!);
    const kinds = await queryAudit(sample, `SELECT list(DISTINCT kind ORDER BY kind) AS kinds FROM read_parquet('${file}')`);
    expect(kinds[0]!.kinds).toEqual(["coverage", "explanation", "finding", "ood"]);
  });

  it("fails with a clear message when the bundle is missing", async () => {
    const error = await loader("audit-tables.pack.ts", {CXR_AUDIT_MODEL: path.join(TMP_ROOT, "no-bundle"), CXR_AUDIT_SAMPLE_OUT: path.join(TMP_ROOT, "audit-sample-none")}).catch((e) => e);
    expect(error.code).toBe(1);
    expect(error.stderr.toString()).toMatch(/audit-tables\.pack: the audit tables need the default bundle, and .*no-bundle\/card\.json does not exist: train and evaluate it first/);
  });
});
