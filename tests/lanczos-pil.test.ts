/**
 * Lanczos-3 upsampling against PIL (Debian's python3-pil), which the Black Average Drop paper's
 * pipeline used: PIL drops the taps that fall outside the image and renormalises the rest (it does
 * not clamp them to the edge), which matters most on the small CAM grids (4x4, 7x7).
 */
import * as tf from "@tensorflow/tfjs";
import {execFileSync} from "node:child_process";
import {beforeAll, describe, expect, it} from "vitest";
import {upsample} from "../src/pipeline/explain/index.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {randomValues} from "./helpers/models.js";

beforeAll(async () => {
  await initBackend();
});

const PIL = `
import json, sys, numpy as np
from PIL import Image
out = []
for case in json.load(sys.stdin):
    m = np.array(case["map"], dtype=np.float32).reshape(case["h"], case["w"])
    r = Image.fromarray(m, mode="F").resize((case["W"], case["H"]), Image.LANCZOS)
    out.append(np.asarray(r, dtype=np.float64).flatten().tolist())
print(json.dumps(out))
`;

const CASES = [
  {h: 4, w: 4, H: 128, W: 128},
  {h: 7, w: 7, H: 224, W: 224},
  {h: 3, w: 5, H: 40, W: 64},
  {h: 16, w: 16, H: 12, W: 12} // downsampling widens the kernel
];

describe("Lanczos-3 matches PIL", () => {
  it("agrees with PIL's LANCZOS resize to 1e-5 of the map's range, on small grids and when downsampling", () => {
    const cases = CASES.map((c, k) => ({...c, map: Array.from(randomValues(c.h * c.w, 40 + k, 1))}));
    const pil = JSON.parse(execFileSync("/usr/bin/python3", ["-c", PIL], {input: JSON.stringify(cases), encoding: "utf8", maxBuffer: 256 * 1024 * 1024})) as number[][];
    cases.forEach((c, k) => {
      const range = Math.max(...c.map) - Math.min(...c.map);
      const ours = tf.tidy(() => upsample(tf.tensor2d(c.map, [c.h, c.w]), c.H, c.W, "lanczos").dataSync());
      const worst = Math.max(...pil[k]!.map((v, i) => Math.abs(v - ours[i]!)));
      expect(worst / range, `${c.h}x${c.w} -> ${c.H}x${c.W}`).toBeLessThan(1e-5);
    });
  });
});
