/**
 * Recalibration in the audit, on real NIH images with their labels: `--fit-recalibration` fits a
 * file on one audit's labelled predictions (tied to the audited card's hash); `--recalibration FILE`
 * applies it to an audit of other images: the predictions table keeps the raw probability beside
 * the recalibrated one (the file's map, exactly), the run table the file's SHA-256, the report
 * shows before and after. A file fitted for another bundle, or for findings the bundle lacks, is
 * refused before anything is written.
 */
import {createHash} from "node:crypto";
import {existsSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import path from "node:path";
import {csvParse} from "d3";
import {beforeAll, describe, expect, it} from "vitest";
import {parseAuditArgs, runAudit} from "../src/pipeline/node/audit/index.js";
import {fitFromAudit} from "../src/pipeline/node/audit/recalibration.js";
import {writeReport} from "../src/pipeline/node/audit/report.js";
import {applyMap, type Recalibration} from "../src/pipeline/recalibration.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {PARITY_BUNDLE, queryAudit} from "./helpers/audit.js";
import {DATA_ROOT, TMP_ROOT} from "./helpers/paths.js";

const NIH = path.join(DATA_ROOT, "cxr-nih");
const LABELS = path.join(NIH, "labels.csv");
const root = path.join(TMP_ROOT, "audit-recalibration");
const fitOut = path.join(root, "fit");
const applyOut = path.join(root, "apply");
// Test images at 256 px, both classes of both findings of the parity bundle (Pneumonia, Effusion):
// alternate ones to the fitting audit and to the audit the file is applied in.
const rows = csvParse(readFileSync(LABELS, "utf8")).filter((r) => r.split === "test" && r.resolution === "256");
const positive = rows.filter((r) => r.Pneumonia === "1" || r.Effusion === "1").slice(0, 24);
const negative = rows.filter((r) => r.Pneumonia === "0" && r.Effusion === "0").slice(0, 24);
const chosen = [...positive, ...negative].map((r) => r.path!).sort();
const fitFiles = chosen.filter((_, i) => i % 2 === 0);
const applyFiles = chosen.filter((_, i) => i % 2 === 1);
const cardSha256 = createHash("sha256").update(readFileSync(path.join(PARITY_BUNDLE, "card.json"))).digest("hex");
let fitted: {file: string; recalibration: Recalibration};

const audit = (out: string, files: string[], recalibration?: string) =>
  runAudit({images: NIH, files, labels: [LABELS], model: PARITY_BUNDLE, out, explain: [], progress: "none", ...(recalibration ? {recalibration} : {})});

beforeAll(async () => {
  rmSync(root, {recursive: true, force: true});
  await initBackend();
  await audit(fitOut, fitFiles);
  fitted = await fitFromAudit(fitOut, "platt");
  await audit(applyOut, applyFiles, fitted.file);
}, 600_000);

describe("recalibration files in the audit", () => {
  it("--fit-recalibration fits each finding on the audit's labelled predictions, for the audited card", async () => {
    expect(parseAuditArgs(["--fit-recalibration", "platt", "--out", fitOut])).toEqual({kind: "fit-recalibration", out: fitOut, method: "platt"});
    expect(() => parseAuditArgs(["--fit-recalibration", "spline"])).toThrow(/--fit-recalibration takes temperature, platt, isotonic, got "spline"/);
    expect(fitted.file).toBe(path.join(fitOut, "recalibration-platt.json"));
    const file = JSON.parse(readFileSync(fitted.file, "utf8")) as Recalibration;
    expect(file.bundle.cardSha256).toBe(cardSha256);
    expect((await queryAudit(fitOut, "SELECT DISTINCT card_sha256 FROM {run}"))[0]!.card_sha256).toBe(cardSha256);
    expect(Object.keys(file.findings).sort()).toEqual(["Effusion", "Pneumonia"]);
    // Platt lowers the log loss it minimises on the data it was fitted on, so the Brier score there too (here).
    for (const f of Object.values(file.findings)) expect(f.after.brier).toBeLessThanOrEqual(f.before.brier + 1e-12);
  });

  it("--recalibration FILE: raw and recalibrated probability side by side, the file's hash in the run table", async () => {
    expect(parseAuditArgs(["--images", NIH, "--recalibration", fitted.file])).toMatchObject({kind: "audit", options: {recalibration: fitted.file}});
    const predictions = await queryAudit(applyOut, "SELECT path, finding, probability, recalibrated, label FROM {predictions} ORDER BY path, finding");
    expect(predictions).toHaveLength(applyFiles.length * 2);
    for (const p of predictions) {
      const map = fitted.recalibration.findings[String(p.finding)]!;
      expect(Number(p.recalibrated)).toBeCloseTo(applyMap(map, Number(p.probability)), 12);
    }
    // The raw probability is the bundle's own: an audit of the same images without the file gives the same.
    const plain = path.join(root, "plain");
    await audit(plain, applyFiles.slice(0, 6));
    const raw = await queryAudit(plain, "SELECT path, finding, probability, recalibrated FROM {predictions} ORDER BY path, finding");
    expect(raw.every((r) => r.recalibrated === null)).toBe(true);
    for (const r of raw) expect(predictions.find((p) => p.path === r.path && p.finding === r.finding)!.probability).toBe(r.probability);
    const run = await queryAudit(applyOut, "SELECT recalibration, recalibration_sha256 FROM {run}");
    expect(run[0]!.recalibration).toBe(fitted.file);
    expect(run[0]!.recalibration_sha256).toBe(createHash("sha256").update(readFileSync(fitted.file)).digest("hex"));
    expect((JSON.parse(readFileSync(path.join(applyOut, "audit.json"), "utf8")) as {fingerprint: {recalibrationSha256: string}}).fingerprint.recalibrationSha256).toBe(run[0]!.recalibration_sha256);
  }, 300_000);

  it("the report shows calibration before and after the file", async () => {
    const html = readFileSync(await writeReport(applyOut), "utf8");
    expect(html).toContain("<h2>Recalibration</h2>");
    expect(html).toContain(createHash("sha256").update(readFileSync(fitted.file)).digest("hex"));
    expect(html).toMatch(/<td>Effusion<\/td><td>24<\/td>/);
  });

  it("refuses a file fitted for another bundle, or for findings this one lacks, before writing anything", async () => {
    const other = JSON.parse(readFileSync(fitted.file, "utf8")) as Recalibration;
    const otherBundle = path.join(root, "other-bundle.json");
    writeFileSync(otherBundle, JSON.stringify({...other, bundle: {name: "nih-chestxray14", cardSha256: "ab".repeat(32)}}));
    const out = path.join(root, "refused");
    await expect(audit(out, applyFiles.slice(0, 2), otherBundle)).rejects.toThrow(/fitted for card abababababab… \(bundle "nih-chestxray14"\), not this bundle's/);
    const otherFindings = path.join(root, "other-findings.json");
    writeFileSync(otherFindings, JSON.stringify({...other, findings: {...other.findings, Hernia: other.findings.Effusion}}));
    await expect(audit(out, applyFiles.slice(0, 2), otherFindings)).rejects.toThrow(/finding Hernia is not among the bundle's \(Pneumonia, Effusion\)/);
    const notJson = path.join(root, "not-json.json");
    writeFileSync(notJson, "temperature = 2\n");
    await expect(audit(out, applyFiles.slice(0, 2), notJson)).rejects.toThrow(/--recalibration .*not-json\.json: recalibration file does not apply: it is not JSON/);
    await expect(audit(out, applyFiles.slice(0, 2), path.join(root, "missing.json"))).rejects.toThrow(/missing\.json is not a file/);
    expect(existsSync(out)).toBe(false);
    // Another file into the same output folder is not mixed with the first one's rows.
    const isotonic = await fitFromAudit(fitOut, "isotonic");
    await expect(audit(applyOut, applyFiles, isotonic.file)).rejects.toThrow(/different configuration \(recalibrationSha256 differs\)/);
  }, 300_000);
});
