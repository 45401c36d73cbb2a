/**
 * training/init_from.py loads a shipped classifier back into PyTorch, so a bundle can be fine-tuned
 * from an earlier one (the 224 px bundles start from the 128 px ones). Loaded back, the network must
 * give the bundle's own parity-fixture logits: every folded batch-norm, affine and kernel in place.
 */
import {execFileSync, spawnSync} from "node:child_process";
import {readFileSync, rmSync} from "node:fs";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {DATA_ROOT, REPO_ROOT, TMP_ROOT} from "./helpers/paths.js";

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

describe("training/train.py checkpoints", () => {
  // A tiny run (4 images at 32 px, one epoch) in a folder of its own: real data, real training.
  const work = path.join(TMP_ROOT, "train-resume");
  const train = (...extra: string[]) => spawnSync("/usr/bin/python3", [path.join(REPO_ROOT, "training/train.py"), "pediatric-pneumonia", "--part", "classifier",
    "--size", "32", "--limit", "4", "--threads", "1", "--checkpoint-steps", "0", "--workdir", work, "--data", DATA_ROOT, ...extra], {encoding: "utf8"});

  it("are resumed only by the run that wrote them: other options are refused with the difference named, --fresh starts over", () => {
    rmSync(work, {recursive: true, force: true});
    const first = train("--epochs", "1");
    expect(first.status, first.stderr).toBe(0);
    // The same run again: resumed (its one epoch done), exported again.
    const again = train("--epochs", "1");
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout + again.stderr).toMatch(/resumed after epoch 1/);
    // Two epochs is another run (another schedule): refused, nothing overwritten.
    const exported = readFileSync(path.join(work, "models/pediatric-pneumonia/classifier-training.json"), "utf8");
    const other = train("--epochs", "2", "--lr", "0.002");
    expect(other.status).not.toBe(0);
    expect(other.stderr).toMatch(/checkpoint of another run \(epochs 1 -> 2, lr .* -> 0\.002\).*--fresh/s);
    expect(readFileSync(path.join(work, "models/pediatric-pneumonia/classifier-training.json"), "utf8")).toBe(exported);
    const fresh = train("--epochs", "2", "--lr", "0.002", "--fresh");
    expect(fresh.status, fresh.stderr).toBe(0);
    expect(fresh.stdout + fresh.stderr).not.toMatch(/resumed/);
    expect(JSON.parse(readFileSync(path.join(work, "models/pediatric-pneumonia/classifier-training.json"), "utf8")).training.epochs).toBe(2);
  }, 300_000);
});
