/**
 * The audit's smaller holes found by a hostile user (issue 12, item 5): file-system faults get an
 * errors row and the run goes on; non-UTF-8 names stay distinct; labels take only 0, 1 or nothing;
 * a header-only labels CSV is refused; a truncated committed part is redone; glob characters in
 * --out match only that folder; --out / and unbounded --workers are refused.
 */
import {spawn} from "node:child_process";
import {chmodSync, mkdtempSync, rmSync, statSync, truncateSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {build} from "esbuild";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {AuditError, parseAuditArgs, ParquetStore, readLabelFiles, runAudit} from "../src/pipeline/node/audit/index.js";
import {maxWorkers} from "../src/pipeline/node/audit/guards.js";
import {IMAGES} from "../src/pipeline/node/audit/tables.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {hostileFolder, type HostileFolder} from "./corpus/bad-inputs.js";
import {PARITY_BUNDLE, queryAudit} from "./helpers/audit.js";
import {REPO_ROOT, TMP_ROOT} from "./helpers/paths.js";

const root = path.join(TMP_ROOT, "audit-hostile");
let folder: HostileFolder;

beforeAll(async () => {
  await initBackend();
  rmSync(root, {recursive: true, force: true});
  folder = hostileFolder(path.join(root, "images"));
});

describe("file-system faults while listing", () => {
  it("each dangling link and link loop gets an errors row; non-UTF-8 names are two files, each read as itself; the run goes on", async () => {
    const out = path.join(root, "out-listing");
    const summary = await runAudit({images: folder.images, model: PARITY_BUNDLE, out, explain: [], progress: "none"});
    expect(summary.images).toBe(folder.good.length + folder.nonUtf8.length + Object.keys(folder.problems).length);
    const errors = await queryAudit(out, "SELECT path, stage, code, error FROM {errors} ORDER BY path");
    expect(Object.fromEntries(errors.map((e) => [e.path, e.code]))).toEqual(folder.problems);
    for (const e of errors) expect(e.stage).toBe("read");
    expect(errors.find((e) => e.path === "gone.png")!.error).toMatch(/dangling symbolic link: gone.png points to missing.png/);
    expect(errors.find((e) => e.path === "sub/back")!.error).toMatch(/symbolic link loop: sub\/back points back to/);
    const images = await queryAudit(out, "SELECT path, status, sha256 FROM {images} WHERE status = 'ok' ORDER BY path");
    expect(images.map((r) => r.path).sort()).toEqual([...folder.good, ...folder.nonUtf8].sort());
    const nonUtf8 = images.filter((r) => folder.nonUtf8.includes(r.path as string));
    expect(new Set(nonUtf8.map((r) => r.sha256)).size).toBe(2); // two different files, both read
  });

  it("an unreadable subfolder is listed with its reason instead of aborting the walk (run as an unprivileged user)", async () => {
    // Root reads any folder, so the walk runs in a child process as "nobody", over a copy in /tmp.
    const base = mkdtempSync(path.join(os.tmpdir(), "cxr-hostile-"));
    try {
      chmodSync(base, 0o755);
      const locked = hostileFolder(path.join(base, "images"), {unreadable: true});
      const script = path.join(base, "walk.mjs");
      await build({entryPoints: [path.join(REPO_ROOT, "tests/helpers/walk-images-child.ts")], bundle: true, platform: "node", format: "esm", outfile: script, logLevel: "silent"});
      const isRoot = process.getuid?.() === 0;
      const child = spawn(process.execPath, [script, locked.images], isRoot ? {uid: 65534, gid: 65534, stdio: ["ignore", "pipe", "pipe"]} : {stdio: ["ignore", "pipe", "pipe"]});
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      const code = await new Promise((resolve) => child.on("close", resolve));
      expect(code, stderr).toBe(0);
      const walk = JSON.parse(stdout) as {files: string[]; problems: Record<string, {code: string; message: string}>; thrown?: string};
      expect(walk.thrown).toBeUndefined();
      expect(walk.problems.locked).toEqual({code: "unreadable-folder", message: expect.stringMatching(/the folder locked cannot be read \(EACCES\)/)});
      expect(walk.files).toEqual(expect.arrayContaining(["a.png", "sub/b.png", "locked"]));
    } finally {
      rmSync(base, {recursive: true, force: true});
    }
  });
});

describe("labels", () => {
  const images = ["a.png", "b.png"];
  const csv = (name: string, text: string) => {
    const file = path.join(root, name);
    writeFileSync(file, text);
    return file;
  };

  it("finding columns take only 0, 1 or nothing: 0x1, 1e0, 1.0 and true are refused", () => {
    const file = csv("loose.csv", "path,Pneumonia\na.png,0x1\nb.png,1e0\n");
    expect(() => readLabelFiles([file], root, ["Pneumonia"], images)).toThrow(/line 2: Pneumonia is "0x1".*\n.*line 3: Pneumonia is "1e0"/);
    for (const value of ["1.0", "true", "01"]) {
      const f = csv("loose2.csv", `path,Pneumonia\na.png,${value}\n`);
      expect(() => readLabelFiles([f], root, ["Pneumonia"], images), value).toThrow(/finding columns hold 1, 0 or nothing/);
    }
    const ok = readLabelFiles([csv("strict.csv", "path,Pneumonia\na.png,1\nb.png,\n")], root, ["Pneumonia"], images);
    expect(ok.byPath.get("a.png")!.labels).toEqual([1]);
    expect(ok.byPath.get("b.png")!.labels).toEqual([null]);
  });

  it("a labels CSV with a header and no rows is refused", () => {
    expect(() => readLabelFiles([csv("header-only.csv", "path,Pneumonia\n")], root, ["Pneumonia"], images)).toThrow(/header-only.csv has a header but no rows/);
    expect(() => readLabelFiles([csv("empty.csv", "")], root, ["Pneumonia"], images)).toThrow(/no header and no rows/);
  });
});

describe("resume", () => {
  it("a committed part cut short is not trusted: its chunk is redone and every image appears once", async () => {
    const out = path.join(root, "out-truncated");
    const options = {images: folder.images, model: PARITY_BUNDLE, out, explain: [], chunkSize: 2, progress: "none" as const};
    const first = await runAudit(options);
    const part = path.join(out, "predictions/shard=1/part-00000.parquet");
    truncateSync(part, Math.floor(statSync(part).size / 2));
    const second = await runAudit(options);
    expect(second.processed).toBe(2); // the one chunk
    expect(second.resumed).toBe(first.images - 2);
    const rows = await queryAudit(out, "SELECT count(*)::INTEGER AS n, count(DISTINCT path)::INTEGER AS d FROM {images}");
    expect(rows[0]).toEqual({n: first.images, d: first.images});
  });
});

describe("the output folder and the command line", () => {
  it("glob characters in --out match only that folder: o[u]t reads its own tables, not out's", async () => {
    const store = await ParquetStore.open();
    // path, width, height, format, bytes, sha256, status, then NULL for every other column.
    const row = (p: string) => [p, 1, 1, "png", 1, "x", "ok", ...Array(IMAGES.columns.length - 7).fill(null)];
    try {
      for (const name of ["out", "o[u]t", "o*t"]) {
        rmSync(path.join(root, name), {recursive: true, force: true});
        await store.write(IMAGES, [row(`${name}.png`)], path.join(root, name, "images/shard=1/part-00000.parquet"));
      }
    } finally {
      store.close();
    }
    for (const name of ["o[u]t", "o*t"]) {
      const rows = await queryAudit(path.join(root, name), "SELECT path FROM {images}");
      expect(rows, name).toEqual([{path: `${name}.png`}]);
    }
  });

  it("--out / is refused, as is an --out holding the images", async () => {
    await expect(runAudit({images: folder.images, model: PARITY_BUNDLE, out: "/"})).rejects.toThrow(/--out \/ is the root of a file system/);
    await expect(runAudit({images: folder.images, model: PARITY_BUNDLE, out: root})).rejects.toThrow(/must not contain the images folder/);
    await expect(runAudit({images: folder.images, model: PARITY_BUNDLE, out: root})).rejects.toBeInstanceOf(AuditError);
  });

  it("--workers is bounded by cores and memory, with a clear message", () => {
    expect(maxWorkers(16, 4 * 2 ** 30)).toBe(7); // memory binds: 3 GiB / 400 MB
    expect(maxWorkers(4, 64 * 2 ** 30)).toBe(4); // cores bind
    expect(maxWorkers(1, 2 ** 20)).toBe(1);
    expect(() => parseAuditArgs(["--images", folder.images, "--workers", "100000"])).toThrow(/--workers 100000 is more than this machine can run: at most \d+ \(\d+ cores; [\d.]+ GiB of memory, about 400 MB per worker\)/);
  });
});

afterAll(() => {
  // The listing fixture holds links that point outside itself: remove it so other walks never meet it.
  rmSync(root, {recursive: true, force: true});
});

