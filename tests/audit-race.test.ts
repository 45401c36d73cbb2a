/**
 * Shards started together with different settings into one --out: exactly one configuration is
 * accepted, every time, and every run with another is refused (issue 12, item 3).
 */
import {spawn} from "node:child_process";
import {build} from "esbuild";
import {mkdirSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {auditFixture, auditProcess, PARITY_BUNDLE, type AuditFixture} from "./helpers/audit.js";
import {REPO_ROOT, TMP_ROOT} from "./helpers/paths.js";

const CHILD = path.join(REPO_ROOT, "tests/helpers/claim-output-child.ts");
const BUNDLED = path.join(TMP_ROOT, "audit-race", "claim-output-child.mjs");

/** A contender as a plain Node process (bundled once: tsx's start-up is slow on a busy machine). */
function contender(out: string, variant: number, go: string) {
  const child = spawn(process.execPath, [BUNDLED, out, String(variant), go], {cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"]});
  let stdout = "";
  let stderr = "";
  let onReady: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.on("data", (d) => {
    stdout += d;
    if (stdout.startsWith("ready\n")) onReady();
  });
  child.stderr.on("data", (d) => (stderr += d));
  const result = new Promise<string>((resolve, reject) =>
    child.on("close", (code) => (code === 0 ? resolve(stdout.replace(/^ready\n/, "").trim()) : reject(new Error(`contender exited ${code}: ${stderr}`))))
  );
  return {ready: Promise.race([ready, result.then(() => undefined)]), result};
}

describe("racing starts into one output folder", () => {
  beforeAll(async () => {
    mkdirSync(path.dirname(BUNDLED), {recursive: true});
    await build({entryPoints: [CHILD], bundle: true, platform: "node", format: "esm", packages: "external", outfile: BUNDLED, logLevel: "silent"});
  });

  it("8 processes with 2 different configurations released at once, 2 rounds: one configuration wins each round", async () => {
    const root = path.join(TMP_ROOT, "audit-race");
    for (let round = 0; round < 2; round++) {
      const out = path.join(root, `round-${round}`);
      rmSync(out, {recursive: true, force: true});
      mkdirSync(out, {recursive: true});
      const go = path.join(root, `go-${round}`);
      rmSync(go, {force: true});
      const variants = Array.from({length: 8}, (_, i) => 5 + (i % 2) * 5);
      const contenders = variants.map((v) => contender(out, v, go));
      await Promise.all(contenders.map((c) => c.ready)); // all started and polling for the signal
      writeFileSync(go, "");
      const lines = await Promise.all(contenders.map((c) => c.result));
      const written = JSON.parse(readFileSync(path.join(out, "audit.json"), "utf8")).fingerprint.alphas[0];
      const accepted = lines.filter((l) => l.startsWith("accepted")).map((l) => Number(l.split(" ")[1]));
      const refused = lines.filter((l) => l.startsWith("refused"));
      expect(new Set(accepted), lines.join("\n")).toEqual(new Set([written]));
      expect(accepted.length).toBe(4); // the winner's 4 contenders, all of them
      expect(refused.length).toBe(4);
      for (const line of refused) expect(line).toMatch(/holds an audit with a different configuration \(alphas differs\)/);
    }
  }, 600_000);

  describe("the real command", () => {
    let fixture: AuditFixture;
    beforeAll(() => {
      fixture = auditFixture("audit-race-cli");
    });

    it("two shards started together with different --alpha: one runs, the other is refused with exit status 2", async () => {
      const out = path.join(fixture.root, "out");
      const common = ["--images", fixture.images, "--model", PARITY_BUNDLE, "--limit", "4", "--explain", "cam", "--progress", "none", "--out", out];
      const runs = [auditProcess([...common, "--shard", "1/2", "--alpha", "5"]), auditProcess([...common, "--shard", "2/2", "--alpha", "10"])];
      const results = await Promise.all(runs.map((r) => r.done));
      const codes = results.map((r) => r.code).sort();
      expect(codes, results.map((r) => r.stderr).join("\n")).toEqual([0, 2]);
      const loser = results.find((r) => r.code === 2)!;
      expect(loser.stderr).toMatch(/different configuration \(alphas differs\)/);
    }, 600_000);
  });
});
