/**
 * The SQL page's threshold tables (components/sql-thresholds.ts) in real DuckDB: the presets call
 * findings and reject images exactly as the pages decide (pipeline/thresholds.ts, ood.ts).
 */
import {DuckDBInstance} from "@duckdb/node-api";
import {describe, expect, it} from "vitest";
import {THRESHOLD_PRESETS, thresholdTablesSql} from "../src/components/sql-thresholds.js";
import {isInDistribution} from "../src/pipeline/ood.js";

async function database() {
  const connection = await (await DuckDBInstance.create(":memory:")).connect();
  await connection.run(`CREATE TABLE predictions AS SELECT * FROM (VALUES
    ('a.png', 'Pneumonia', 0.30, 0.9, 0.5, false, 1), ('b.png', 'Pneumonia', 0.45, 0.95, 0.5, false, 0),
    ('c.png', 'Pneumonia', 0.70, 0.99, 0.5, true, 1), ('a.png', 'Effusion', 0.20, 0.2, 0.25, false, 0)
  ) t(path, finding, probability, calibrated, operating_point, predicted, label)`);
  await connection.run(`CREATE TABLE ood AS SELECT * FROM (VALUES
    ('a.png', 0.05, 0.004, 0.80, 0.8, 10.0, 20.0, 1.0, -3.0, 0.9, 'mahalanobis', NULL, true),
    ('b.png', 0.09, 0.010, 0.55, 0.5, 14.0, 45.0, 2.0, -1.0, 0.6, 'mahalanobis', NULL, false),
    ('c.png', 0.07, 0.006, 0.66, 0.6, 12.0, NULL, 1.5, -2.0, 0.8, 'mahalanobis', NULL, true)
  ) t(path, l1, l2, ssim, ssim8, latent, mahalanobis, knn, energy, msp, gate, "check", in_distribution)`);
  const run = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJson();
  const apply = async (thresholds: Parameters<typeof thresholdTablesSql>[0]) => {
    for (const statement of thresholdTablesSql(thresholds)) await connection.run(statement);
  };
  return {run, apply};
}

const [callsPreset, gatePreset] = THRESHOLD_PRESETS.map(([, sql]) => sql) as [string, string];

describe("the SQL page's threshold tables", () => {
  it("are empty while the card's thresholds apply, and the presets then agree with the card", async () => {
    const {run, apply} = await database();
    await apply({});
    expect(await run("SELECT count(*) AS n FROM main.my_thresholds")).toEqual([{n: "0"}]);
    expect(await run(gatePreset)).toEqual([]);
    const calls = await run(callsPreset);
    expect(calls).toHaveLength(4);
    for (const row of calls) expect(row.called).toBe(row.card_call);
  });

  it("call each finding at the user's threshold, and reject by the user's gate in its direction", async () => {
    const {run, apply} = await database();
    await apply({findings: {Pneumonia: 0.4, "O'Brien": 0.1}, gate: {score: "ssim", cutoff: 0.6}});
    const calls = await run(callsPreset);
    const called = Object.fromEntries(calls.filter((r) => r.finding === "Pneumonia").map((r) => [r.path, r.called]));
    expect(called).toEqual({"a.png": false, "b.png": true, "c.png": true});
    // The user's threshold first among the changed calls; Effusion keeps the card's.
    expect(calls[0]).toMatchObject({path: "b.png", yours: true, card_call: false, called: true});
    expect(calls.find((r) => r.finding === "Effusion")).toMatchObject({yours: false, threshold: 0.25, called: false});
    // SSIM: higher is in distribution, so the gate rejects at or below its cutoff (b only).
    const rejected = (await run(gatePreset)).map((r) => r.path);
    const decision = {score: "ssim", threshold: 0.6, inDistributionWhen: "above"} as const;
    expect(rejected).toEqual(["b.png"]);
    expect(isInDistribution({ssim: 0.55} as never, decision)).toBe(false);

    // Mahalanobis: higher is out; an image without the score is rejected, as the pages decide.
    await apply({gate: {score: "mahalanobis", cutoff: 30}});
    expect(await run("SELECT count(*) AS n FROM main.my_thresholds")).toEqual([{n: "0"}]);
    expect((await run(gatePreset)).map((r) => r.path).sort()).toEqual(["b.png", "c.png"]);
  });

  it("refuse a threshold that is not a number", () => {
    expect(() => thresholdTablesSql({findings: {Pneumonia: Number.NaN}, gate: {score: "ssim", cutoff: Infinity}})).toThrow(/not a finite threshold/);
  });
});
