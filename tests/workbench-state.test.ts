/**
 * The workbench state's address form and the thresholds applied after the fact: pure functions, so
 * every page decides alike (the browser tour in tests/site.test.ts drives them for real).
 */
import {describe, expect, it} from "vitest";
import {EMPTY_STATE, mergeState, modelKey, stateFromParams, stateToParams, type WorkbenchState} from "../src/components/workbench-params.js";
import type {Analysis} from "../src/pipeline/analyse.js";
import {applyThresholds, shownAnalysis, userDecision} from "../src/pipeline/thresholds.js";

describe("the workbench state in an address", () => {
  it("round-trips the model, a sample image, finding, fit, gate and per-finding thresholds", () => {
    const state: WorkbenchState = {
      ...EMPTY_STATE,
      model: {kind: "site", name: "nih-chestxray14"},
      images: [{kind: "sample", path: "cxr-nih/images/00001.png", name: "00001.png"}],
      finding: "Pleural_Thickening",
      resize: "stretch",
      backend: "wasm",
      projector: true,
      thresholds: {"nih-chestxray14": {gate: {score: "mahalanobis", cutoff: 31.5}, findings: {"Pleural_Thickening": 0.02, "A,b:c": 0.5}}}
    };
    const params = stateToParams(state);
    const back = mergeState(null, stateFromParams(new URLSearchParams(params.toString())));
    expect(back.model).toEqual(state.model);
    expect(back.images).toEqual(state.images);
    expect([back.finding, back.resize, back.backend, back.projector]).toEqual(["Pleural_Thickening", "stretch", "wasm", true]);
    expect(back.thresholds["nih-chestxray14"]).toEqual(state.thresholds["nih-chestxray14"]);
  });

  it("never puts an uploaded image in the address, and keeps other parameters", () => {
    const state: WorkbenchState = {...EMPTY_STATE, images: [{kind: "upload", id: "abc", name: "patient.dcm"}]};
    const params = stateToParams(state, new URLSearchParams("sql=1&image=old.png"));
    expect(params.get("image")).toBeNull();
    expect(params.toString()).not.toMatch(/patient|abc/);
    expect(params.get("sql")).toBe("1");
  });

  it("never puts a recalibration file in the address; the remembered one per model is kept, a malformed one dropped", () => {
    const state: WorkbenchState = {...EMPTY_STATE, model: {kind: "site", name: "nih-chestxray14"}, recalibrations: {"nih-chestxray14": {id: "r1", name: "hospital-platt.json"}}};
    expect(stateToParams(state).toString()).not.toMatch(/r1|hospital|recalibration/);
    const merged = mergeState({recalibrations: {"nih-chestxray14": {id: "r1", name: "hospital-platt.json"}, other: {id: 3}}} as never, stateFromParams(new URLSearchParams("bundle=nih-chestxray14")));
    expect(merged.recalibrations).toEqual({"nih-chestxray14": {id: "r1", name: "hospital-platt.json"}});
  });

  it("lets the address win over the remembered state, and drops malformed remembered values", () => {
    const remembered = {model: {kind: "site", name: "pediatric-pneumonia"}, images: [{kind: "upload", id: "x", name: "a.png"}, {kind: "bogus"}], current: 7, resize: "squash", projector: "yes"} as never;
    const merged = mergeState(remembered, stateFromParams(new URLSearchParams("bundle=nih-chestxray14&thr=Effusion:0.3,Bad:2,Nope")));
    expect(merged.model).toEqual({kind: "site", name: "nih-chestxray14"});
    expect(merged.images).toEqual([{kind: "upload", id: "x", name: "a.png"}]);
    expect(merged.current).toBe(0);
    expect(merged.resize).toBeNull();
    expect(merged.projector).toBe(false);
    expect(merged.thresholds[modelKey(merged.model)]).toEqual({findings: {Effusion: 0.3}});
  });
});

function analysis(overrides: Partial<Analysis> = {}): Analysis {
  const decision = {score: "ssim", threshold: 0.6, inDistributionWhen: "above"} as const;
  return {
    width: 10, height: 10, box: {x: 0, y: 0, width: 10, height: 10}, resize: "crop", timings: {},
    ood: {scores: {l1: 0.05, l2: 0.004, ssim: 0.7, ssim8: 0.7, latent: 9}, featureScores: {mahalanobis: 40, knn: 0.3, energy: -1, msp: 0.9}, inDistribution: true, decision, size: 2, input: new Float32Array(4), reconstruction: new Float32Array(4), errorMap: new Float32Array(4)},
    gate: {check: {ok: true}, featureScores: {mahalanobis: 40, knn: 0.3, energy: -1, msp: 0.9}, decision, inDistribution: true},
    predictions: [{index: 0, label: "Pneumonia", raw: 0.5, calibrated: 0.6, operatingPoint: 0.4}],
    predictedDespiteRejection: false,
    explanation: null,
    evaluation: null,
    ...overrides
  } as unknown as Analysis;
}

describe("thresholds applied after the analysis", () => {
  it("re-decides the gate on any score, in that score's direction, and says the threshold is the user's", () => {
    const higher = applyThresholds(analysis(), {gate: {score: "ssim", cutoff: 0.75}});
    expect(higher.gate.inDistribution).toBe(false);
    expect(higher.ood!.inDistribution).toBe(false);
    expect(higher.predictedDespiteRejection).toBe(true);
    expect(higher.userThresholds.gate).toBe(true);
    // Mahalanobis: larger is stranger, so 40 is out at a cutoff of 32 and in at 45.
    expect(applyThresholds(analysis(), {gate: {score: "mahalanobis", cutoff: 32}}).gate.inDistribution).toBe(false);
    expect(applyThresholds(analysis(), {gate: {score: "mahalanobis", cutoff: 45}}).gate.inDistribution).toBe(true);
    expect(userDecision({score: "msp", cutoff: 0.5}).inDistributionWhen).toBe("above");
    // A score the analysis does not have leaves the verdict alone.
    expect(applyThresholds(analysis(), {gate: {score: "nonsense", cutoff: 1}}).userThresholds.gate).toBe(false);
  });

  it("never lets a threshold pass an image the pixel check refused", () => {
    const refused = analysis({gate: {check: {ok: false, code: "near-constant", message: "blank"}, featureScores: null, decision: null, inDistribution: false}} as never);
    expect(applyThresholds(refused, {gate: {score: "ssim", cutoff: 0}}).gate.inDistribution).toBe(false);
  });

  it("re-calibrates a finding at the user's threshold (Eq. 1 puts it at 0.5) and flips its call", () => {
    const moved = applyThresholds(analysis(), {findings: {Pneumonia: 0.6}});
    const p = moved.predictions![0]!;
    expect(p.operatingPoint).toBe(0.6);
    expect(p.calibrated).toBeCloseTo(0.5 / 0.6 * 0.5, 12);
    expect(p.raw >= p.operatingPoint).toBe(false);
    expect(moved.userThresholds.findings).toEqual(["Pneumonia"]);
    // The card's own operating point is not "yours".
    expect(applyThresholds(analysis(), {findings: {Pneumonia: 0.4}}).userThresholds.findings).toEqual([]);
  });

  it("hides a rejected image's predictions unless asked", () => {
    const rejected = applyThresholds(analysis(), {gate: {score: "ssim", cutoff: 0.9}});
    expect(shownAnalysis(rejected, false).predictions).toBeNull();
    expect(shownAnalysis(rejected, true).predictions).not.toBeNull();
    expect(shownAnalysis(analysis(), false).predictions).not.toBeNull();
  });
});
