/**
 * training/init_from.py loads a shipped classifier back into PyTorch, so a bundle can be fine-tuned
 * from an earlier one (the 224 px bundles start from the 128 px ones). Loaded back, the network must
 * give the bundle's own parity-fixture logits: every folded batch-norm, affine and kernel in place.
 */
import {execFileSync} from "node:child_process";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {REPO_ROOT} from "./helpers/paths.js";

const script = (bundle: string) => `
import sys, json, numpy as np, torch
sys.path.insert(0, ${JSON.stringify(path.join(REPO_ROOT, "training"))})
from models import densenet_grey
from init_from import load_exported_densenet
folder = ${JSON.stringify(path.join(REPO_ROOT, "models", bundle))}
fixture = json.load(open(folder + "/classifier-parity.json"))
labels = json.load(open(folder + "/classifier-training.json"))["labels"]
model = load_exported_densenet(densenet_grey(len(labels)), folder + "/classifier").eval()
pixels = np.array(fixture["pixels"], dtype=np.float32)
side = int(round(pixels.shape[1] ** 0.5))
with torch.no_grad():
    logits = model(torch.from_numpy(pixels.reshape(-1, 1, side, side)) * 2 - 1).numpy()
print(json.dumps({"side": side, "worst": float(np.abs(logits - np.array(fixture["logits"])).max())}))
try:
    load_exported_densenet(densenet_grey(len(labels) + 1), folder + "/classifier")
    print(json.dumps({"mismatch": None}))
except ValueError as e:
    print(json.dumps({"mismatch": str(e)}))
`;

describe("training/init_from.py", () => {
  for (const bundle of ["pediatric-pneumonia", "nih-chestxray14"]) {
    it(`loads ${bundle}'s classifier back with its parity logits, and refuses another label set`, () => {
      const [first, second] = execFileSync("/usr/bin/python3", ["-c", script(bundle)], {encoding: "utf8"}).trim().split("\n");
      const {worst, side} = JSON.parse(first!) as {worst: number; side: number};
      expect(side).toBeGreaterThanOrEqual(128);
      expect(worst).toBeLessThan(1e-4);
      expect((JSON.parse(second!) as {mismatch: string | null}).mismatch).toMatch(/dense kernel .* does not fit/);
    }, 120_000);
  }
});
