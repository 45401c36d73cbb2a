/**
 * The model card's gate section renders both reports: ood-stats' first one on N images per set,
 * and npm run evaluate's on every image (no imagesPerSet), each with every score's AUROC per set.
 */
import {readFileSync} from "node:fs";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {parseCard} from "../src/pipeline/bundle/card.js";
import {renderGateSection} from "../scripts/model-card-gate.js";
import {REPO_ROOT} from "./helpers/paths.js";

const card = (file: string) => parseCard(JSON.parse(readFileSync(path.join(REPO_ROOT, file), "utf8")));

describe("the model card's gate section", () => {
  it("says a full evaluation was on every image, and lists every score per set", () => {
    const evaluated = card("training/init/pediatric-pneumonia-224px/evaluated/card.json");
    const text = renderGateSection(evaluated).join("\n");
    expect(text).toContain("measured on every image of each set");
    expect(text).toContain("`npm run evaluate -- pediatric-pneumonia`: the test split and every image");
    expect(text).not.toMatch(/evenly spaced images per set/);
    // One row per set in the every-score table, the adult set's Mahalanobis AUROC among them.
    const report = (evaluated.metrics as {oodGate: {everyScore: {set: string; auroc: Record<string, number>}[]}}).oodGate;
    expect(report.everyScore.map((s) => s.set)).toEqual(["knee", "cifar10", "mnist", "adult (cxr-nih test)"]);
    expect(text).toContain(report.everyScore[3]!.auroc.mahalanobis!.toFixed(3));
  });

  it("says a first report was on N images per set", () => {
    const shipped = card("models/pediatric-pneumonia/card.json");
    const n = (shipped.metrics as {oodGate?: {imagesPerSet?: number}}).oodGate?.imagesPerSet;
    expect(n).toBeGreaterThan(0);
    expect(renderGateSection(shipped).join("\n")).toContain(`measured on ${n} evenly spaced images per set`);
  });
});
