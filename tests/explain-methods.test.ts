/**
 * The methods added beside saliency, CAM, Grad-CAM and Grad-CAM++: HiResCAM, XGrad-CAM, LayerCAM,
 * Eigen-CAM, Score-CAM, SmoothGrad and Integrated Gradients. Hand-computed cases on the 2x2 model,
 * a PyTorch reference of the same model (Debian's python3-torch), and where they coincide with
 * Grad-CAM on a pooled head (and do not on another head).
 */
import * as tf from "@tensorflow/tfjs";
import {execFileSync} from "node:child_process";
import {beforeAll, describe, expect, it} from "vitest";
import {loadBundle} from "../src/pipeline/bundle/load.js";
import {firstComponentScores} from "../src/pipeline/explain/eigencam.js";
import {ALL_EXPLANATION_METHODS, classGradientMap, classInputGradient, explainTensors, integratedGradientsMap, smoothGradMap} from "../src/pipeline/explain/index.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {handModel} from "./helpers/explain.js";
import {randomValues, testBundle} from "./helpers/models.js";

beforeAll(async () => {
  await initBackend();
});

const values = (t: tf.Tensor) => Array.from(t.dataSync());
const closeTo = (got: ArrayLike<number>, want: ArrayLike<number>, digits = 5) => Array.from(want).forEach((v, i) => expect(got[i]).toBeCloseTo(v, digits));
const PIXELS = [[0, 0.25], [0.75, 1]];

const TORCH = `
import json, torch, torch.nn.functional as F
p0 = torch.tensor(${JSON.stringify(PIXELS)}, dtype=torch.float32)
W = torch.tensor([[2., -1.], [1., 3.]]); b = torch.tensor([0.1, -0.2])
def feats(p):  # [N, 2, 2] -> [N, 2 (k), 2, 2]
    x = 2 * p - 1
    return torch.stack([F.relu(x), F.relu(-x)], 1)
def logits(p): return feats(p).mean((2, 3)) @ W + b
out = {}
A = feats(p0[None])[0]
for c in (0, 1):
    mins = A.amin((1, 2), keepdim=True); rng = A.amax((1, 2), keepdim=True) - mins
    H = torch.where(rng > 0, (A - mins) / torch.where(rng > 0, rng, torch.ones_like(rng)), torch.zeros_like(A))
    w = torch.softmax(logits(p0[None] * H)[:, c], 0)
    out[f"scorecam{c}"] = F.relu((w[:, None, None] * A).sum(0)).flatten().tolist()
    steps = 8; total = torch.zeros_like(p0)
    for k in range(1, steps + 1):
        q = (p0 * (k - 0.5) / steps).requires_grad_(True)
        logits(q[None])[0, c].backward(); total += q.grad
    out[f"intgrad{c}"] = (p0 * total / steps).flatten().tolist()
print(json.dumps(out))
`;

describe("new methods on the hand-computed 2x2 model", () => {
  // pixels [[0, .25], [.75, 1]] -> A1 = [[0, 0], [.5, 1]], A2 = [[1, .5], [0, 0]]; W = [[2, -1], [1, 3]]
  it("XGrad-CAM, HiResCAM and LayerCAM by hand", async () => {
    const bundle = await handModel();
    const grey = tf.tensor2d(PIXELS);
    const a = explainTensors(bundle.classifier, grey, 0, ["xgradcam", "hirescam", "layercam", "gradcam"]);
    // class 0: g = W_k0 / 4 = [.5, .25] everywhere; XGrad-CAM w = sum (A / sum A) g = g -> relu(.5 A1 + .25 A2)
    closeTo(values(a.xgradcam!), [0.25, 0.125, 0.25, 0.5]);
    closeTo(values(a.hirescam!), [0.25, 0.125, 0.25, 0.5]);
    closeTo(values(a.layercam!), [0.25, 0.125, 0.25, 0.5]);
    // class 1: g = [-.25, .75]; LayerCAM keeps relu(g) = [0, .75] -> .75 A2; Grad-CAM relu(-.25 A1 + .75 A2)
    const b = explainTensors(bundle.classifier, grey, 1, ["layercam", "gradcam"]);
    closeTo(values(b.layercam!), [0.75, 0.375, 0, 0]);
    closeTo(values(b.gradcam!), [0.75, 0.375, 0, 0]);
    tf.dispose([grey, ...Object.values(a), ...Object.values(b)]);
    bundle.dispose();
  });

  it("Score-CAM and Integrated Gradients agree with PyTorch on the same model", async () => {
    const reference = JSON.parse(execFileSync("/usr/bin/python3", ["-c", TORCH], {encoding: "utf8"})) as Record<string, number[]>;
    const bundle = await handModel();
    const grey = tf.tensor2d(PIXELS);
    for (const c of [0, 1]) {
      const maps = explainTensors(bundle.classifier, grey, c, ["scorecam"]);
      closeTo(values(maps.scorecam!), reference[`scorecam${c}`]!);
      const ig = integratedGradientsMap(bundle.classifier, grey, c, {steps: 8});
      closeTo(values(ig), reference[`intgrad${c}`]!);
      tf.dispose([ig, ...Object.values(maps)]);
    }
    grey.dispose();
    bundle.dispose();
  });
});

describe("where methods coincide", () => {
  it("HiResCAM and XGrad-CAM equal Grad-CAM on a pooled head, not on a max head; LayerCAM differs", async () => {
    const grey = tf.tensor2d(randomValues(32 * 32, 31, 0.3).map((v) => Math.min(1, Math.max(0, 0.5 + v))), [32, 32]);
    const diff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => a.sub(b).abs().max().dataSync()[0]! / Math.max(1e-9, b.abs().max().dataSync()[0]!));
    const pooled = await loadBundle(testBundle({seed: 5}).source);
    const m = explainTensors(pooled.classifier, grey, 0, ["gradcam", "hirescam", "xgradcam", "layercam"], {path: "gradient"});
    expect(diff(m.hirescam!, m.gradcam!)).toBeLessThan(1e-5);
    expect(diff(m.xgradcam!, m.gradcam!)).toBeLessThan(1e-5);
    expect(diff(m.layercam!, m.gradcam!)).toBeGreaterThan(1e-3);
    const max = await loadBundle(testBundle({seed: 5, head: "max"}).source);
    const n = explainTensors(max.classifier, grey, 0, ["gradcam", "hirescam", "xgradcam"], {path: "gradient"});
    expect(diff(n.hirescam!, n.gradcam!)).toBeGreaterThan(1e-3);
    expect(diff(n.xgradcam!, n.gradcam!)).toBeGreaterThan(1e-3);
    tf.dispose([grey, ...Object.values(m), ...Object.values(n)]);
    pooled.dispose();
    max.dispose();
  });
});

describe("Eigen-CAM, SmoothGrad, Integrated Gradients", () => {
  it("Eigen-CAM's component equals PyTorch's SVD (up to sign)", () => {
    const n = 16, k = 40;
    const x = randomValues(n * k, 3, 1);
    const script = `
import json, sys, torch
d = json.load(sys.stdin); X = torch.tensor(d, dtype=torch.float64).reshape(${n}, ${k})
X = X - X.mean(0); U, S, Vh = torch.linalg.svd(X, full_matrices=False)
print(json.dumps((X @ Vh[0]).tolist()))`;
    const reference = JSON.parse(execFileSync("/usr/bin/python3", ["-c", script], {input: JSON.stringify([...x]), encoding: "utf8"})) as number[];
    const ours = firstComponentScores(x, n, k);
    const sign = Math.sign(ours[0]!) * Math.sign(reference[0]!);
    reference.forEach((v, i) => expect(sign * ours[i]!).toBeCloseTo(v, 4));
  });

  it("SmoothGrad without noise is |class gradient|; Integrated Gradients is complete", async () => {
    const bundle = await loadBundle(testBundle({seed: 8}).source);
    const grey = tf.tensor2d(randomValues(32 * 32, 32, 0.2).map((v) => Math.min(1, Math.max(0, 0.5 + v))), [32, 32]);
    const plain = classGradientMap(bundle.classifier, grey, 1);
    const smooth0 = smoothGradMap(bundle.classifier, grey, 1, {samples: 2, noiseLevel: 0});
    closeTo(values(smooth0), values(plain));
    const smooth = smoothGradMap(bundle.classifier, grey, 1, {samples: 4});
    expect(values(smooth).some((v, i) => Math.abs(v - plain.dataSync()[i]!) > 1e-4)).toBe(true);
    const ig = integratedGradientsMap(bundle.classifier, grey, 1, {steps: 64});
    const logit = (t: tf.Tensor2D) => tf.tidy(() => bundle.classifier.logits(bundle.classifier.toInput(t)).dataSync()[1]!);
    const black = tf.zerosLike(grey) as tf.Tensor2D;
    const gap = logit(grey) - logit(black);
    const sum = ig.sum().dataSync()[0]!;
    expect(Math.abs(sum - gap)).toBeLessThan(0.05 * Math.abs(gap) + 1e-3);
    tf.dispose([grey, plain, smooth0, smooth, ig, black]);
    bundle.dispose();
  });

  it("every method's map, with no tensor left behind", async () => {
    const bundle = await loadBundle(testBundle({seed: 9}).source);
    const grey = tf.tensor2d(randomValues(32 * 32, 33, 0.2).map((v) => Math.min(1, Math.max(0, 0.5 + v))), [32, 32]);
    const run = () => tf.tidy(() => {
      const maps = explainTensors(bundle.classifier, grey, 0, ALL_EXPLANATION_METHODS);
      return ALL_EXPLANATION_METHODS.map((m) => (maps[m] ? maps[m]!.shape.join("x") : "missing"));
    });
    run();
    const before = tf.memory().numTensors;
    const shapes = run();
    expect(tf.memory().numTensors).toBe(before);
    expect(shapes).not.toContain("missing");
    const g = classInputGradient(bundle.classifier, grey, 0);
    expect(g.shape).toEqual([32, 32]);
    tf.dispose([grey, g]);
    bundle.dispose();
  });
});
