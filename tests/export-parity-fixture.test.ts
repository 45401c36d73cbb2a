/**
 * training/export.py's parity fixture must hold the outputs of the pixels it stores (rounded to 6
 * decimals), not of the unrounded ones: a steep model (here x 1e6) would otherwise fail the 1e-4
 * parity test on the rounding alone. Runs the exporter's own function on Debian's python3-torch.
 */
import {execFileSync} from "node:child_process";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {REPO_ROOT} from "./helpers/paths.js";

const SCRIPT = `
import sys, json, numpy as np, torch
sys.path.insert(0, ${JSON.stringify(path.join(REPO_ROOT, "training"))})
from export import parity_fixture
rng = np.random.default_rng(3)
inputs = rng.random((2, 4, 4)).astype(np.float32)
steep = lambda x: (x.flatten(1) * 1e6,)
record = parity_fixture(steep, inputs, lambda x: x, ["logits"])
print(json.dumps(record))
`;

describe("export.py parity fixture", () => {
  it("stores outputs computed from the stored (rounded) pixels", () => {
    const out = execFileSync("/usr/bin/python3", ["-c", SCRIPT], {encoding: "utf8"});
    const record = JSON.parse(out) as {pixels: number[][]; logits: number[][]};
    let worst = 0;
    record.pixels.forEach((row, n) =>
      row.forEach((p, i) => {
        // The TS side reads the stored pixels as float32, as the model does.
        worst = Math.max(worst, Math.abs(Math.fround(p) * 1e6 - record.logits[n]![i]!));
      })
    );
    // float32 products: 1e6 x p rounds to ~0.06 at most; the unrounded pixels were up to 0.5 apart x 1e6.
    expect(worst).toBeLessThan(0.1);
    // Every stored pixel has at most 6 decimals.
    for (const row of record.pixels) for (const p of row) expect(Math.abs(p * 1e6 - Math.round(p * 1e6))).toBeLessThan(1e-6);
  });
});
