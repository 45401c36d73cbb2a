/**
 * The audit's `subjects` and `subgroups` tables on real NIH images with their labels CSV (age, sex,
 * view...), `--by sex,view,patient_sex`: every extra CSV column is kept per image; subgroup rows
 * equal src/pipeline/subgroups.ts on the audit's own predictions (whose statistics are checked
 * against numpy in subgroups.test.ts); an unknown --by column is refused before any image is read.
 */
import {existsSync, readFileSync, rmSync} from "node:fs";
import path from "node:path";
import {csvParse} from "d3";
import {beforeAll, describe, expect, it} from "vitest";
import {parseAuditArgs, runAudit} from "../src/pipeline/node/audit/index.js";
import {writeReport} from "../src/pipeline/node/audit/report.js";
import {calibrationSummary} from "../src/pipeline/recalibration.js";
import {subgroupMetrics} from "../src/pipeline/subgroups.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {PARITY_BUNDLE, queryAudit} from "./helpers/audit.js";
import {DATA_ROOT, TMP_ROOT} from "./helpers/paths.js";

const NIH = path.join(DATA_ROOT, "cxr-nih");
const LABELS = path.join(NIH, "labels.csv");
const out = path.join(TMP_ROOT, "audit-subgroups");
const csv = csvParse(readFileSync(LABELS, "utf8"));
const files = csv.filter((r) => r.split === "test" && r.resolution === "256").slice(0, 120).map((r) => r.path!);

beforeAll(async () => {
  rmSync(out, {recursive: true, force: true});
  await initBackend();
  await runAudit({images: NIH, files, labels: [LABELS], model: PARITY_BUNDLE, out, explain: [], alphas: [10], by: ["sex", "view"], progress: "none"});
}, 600_000);

describe("subjects and subgroups", () => {
  it("subjects keeps every non-finding column of the labels CSV for each audited image", async () => {
    const rows = await queryAudit(out, `SELECT * FROM read_parquet('${path.join(out, "subjects/subjects.parquet")}') ORDER BY path, "column"`);
    const columns = new Set(rows.map((r) => String(r.column)));
    for (const c of ["age", "sex", "view", "patient", "split", "finding_labels"]) expect(columns.has(c), c).toBe(true);
    expect(columns.has("Effusion")).toBe(false); // a finding of the bundle
    expect(new Set(rows.map((r) => r.path)).size).toBe(files.length);
    const first = csv.find((r) => r.path === files[0])!;
    expect(rows.find((r) => r.path === files[0] && r.column === "sex")!.value).toBe(first.sex);
  });

  it("subgroups by sex and view equal the subgroup metrics of the audit's own predictions", async () => {
    const table = await queryAudit(out, `SELECT * FROM read_parquet('${path.join(out, "subgroups/subgroups.parquet")}') ORDER BY "by", finding, "group"`);
    const predictions = await queryAudit(out, "SELECT path, finding, probability, label FROM {predictions} WHERE label IS NOT NULL ORDER BY path");
    const byPath = new Map(csv.map((r) => [r.path!, r]));
    for (const by of ["sex", "view"] as const) {
      for (const finding of ["Pneumonia", "Effusion"]) {
        const cases = predictions
          .filter((p) => p.finding === finding)
          .map((p) => ({group: byPath.get(String(p.path))![by]!, score: Number(p.probability), label: Number(p.label) as 0 | 1}));
        const expected = subgroupMetrics(cases, 0.5);
        const rows = table.filter((r) => r.by === by && r.finding === finding);
        expect(rows.map((r) => r.group).sort()).toEqual(expected.map((m) => m.group).sort());
        expect(rows.map((r) => r.group)).toEqual(expect.arrayContaining(by === "sex" ? ["F", "M"] : ["AP", "PA"]));
        for (const m of expected) {
          const r = rows.find((x) => x.group === m.group)!;
          expect(r.n).toBe(m.n);
          expect(r.positives).toBe(m.positives);
          const same = (a: unknown, b: number) => (Number.isFinite(b) ? expect(Number(a)).toBeCloseTo(b, 12) : expect(a).toBeNull());
          same(r.auc, m.auc);
          same(r.auc_low, m.aucLow);
          same(r.auc_high, m.aucHigh);
          same(r.sensitivity, m.sensitivity);
          same(r.ppv, m.ppv);
        }
      }
    }
  });

  it("an unknown --by column is refused before anything is written", async () => {
    const other = path.join(TMP_ROOT, "audit-subgroups-bad");
    rmSync(other, {recursive: true, force: true});
    await expect(runAudit({images: NIH, files: files.slice(0, 3), labels: [LABELS], model: PARITY_BUNDLE, out: other, explain: [], by: ["shoe_size"], progress: "none"})).rejects.toThrow(
      /--by shoe_size: no such column.*sex.*patient_sex/
    );
    expect(existsSync(path.join(other, "images"))).toBe(false);
    const command = parseAuditArgs(["--images", NIH, "--by", "sex,view_position"]);
    expect(command.kind === "audit" && command.options.by).toEqual(["sex", "view_position"]);
  });

  it("--report writes one self-contained HTML page with the audit's own numbers", async () => {
    expect(parseAuditArgs(["--report", "--out", out])).toEqual({kind: "report", out});
    const file = await writeReport(out);
    const html = readFileSync(file, "utf8");
    for (const heading of ["Data", "Metrics per finding", "Calibration", "Subgroups", "Out-of-distribution gate", "Failures"]) expect(html).toContain(`<h2>${heading}</h2>`);
    expect(html).not.toMatch(/<script|https?:\/\/|src=|href=/i); // nothing to load, nothing to run
    const card = await queryAudit(out, "SELECT card_sha256 FROM {run}");
    expect(html).toContain(String(card[0]!.card_sha256));
    // The Effusion calibration row: the ECE and its CI as calibrationSummary computes them.
    const rows = await queryAudit(out, "SELECT p.probability, p.label FROM {predictions} p WHERE p.finding = 'Effusion' AND p.label IS NOT NULL ORDER BY p.path");
    const s = calibrationSummary(rows.map((r) => Number(r.probability)), rows.map((r) => Number(r.label)), {resamples: 1000, seed: 0});
    expect(html).toContain(`<td>Effusion</td><td>${rows.length}</td><td>${s.brier.toFixed(4)}</td><td>${s.ece.estimate.toFixed(4)}</td><td>${s.ece.low.toFixed(4)} – ${s.ece.high.toFixed(4)}</td>`);
    expect((html.match(/<svg /g) ?? []).length).toBe(2); // a reliability diagram per finding
  });
});
