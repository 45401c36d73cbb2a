/**
 * The workbench's thresholds as SQL tables, so the SQL page's queries use what the user set on
 * Prediction and Out-of-distribution: `my_thresholds` (finding, threshold: the user's, per finding;
 * the audit's `operating_point` is the card's) and `my_gate` (the OOD score, cutoff and direction
 * the user chose; no row when the card's gate is in use). Pure: SQL text in, run by the page.
 */
import {OOD} from "../pipeline/audit-schema.js";
import {GATE_SCORE_HIGHER_IS_OUT} from "../pipeline/ood.js";
import type {GateScoreName} from "../pipeline/bundle/card.js";
import type {ModelThresholds} from "./workbench-params.js";

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
const number = (value: number) => {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite threshold: ${value}`);
  return `${value}::DOUBLE`;
};

/** Statements that (re)create main.my_thresholds and main.my_gate from the model's thresholds. */
export function thresholdTablesSql(thresholds: ModelThresholds): string[] {
  const findings = Object.entries(thresholds.findings ?? {}).filter(([, t]) => Number.isFinite(t));
  const gate = thresholds.gate;
  const direction = gate ? ((GATE_SCORE_HIGHER_IS_OUT[gate.score as GateScoreName] ?? true) ? "below" : "above") : "";
  return [
    "CREATE OR REPLACE TABLE main.my_thresholds (finding VARCHAR, threshold DOUBLE)",
    ...(findings.length ? [`INSERT INTO main.my_thresholds VALUES ${findings.map(([f, t]) => `(${literal(f)}, ${number(t)})`).join(", ")}`] : []),
    "CREATE OR REPLACE TABLE main.my_gate (score VARCHAR, cutoff DOUBLE, in_distribution_when VARCHAR)",
    ...(gate ? [`INSERT INTO main.my_gate VALUES (${literal(gate.score)}, ${number(gate.cutoff)}, ${literal(direction)})`] : [])
  ];
}

/** The `ood` table's value of the gate's score, whichever score it is (a CASE over the table's score columns). */
export function gateScoreSql(alias: string, gateAlias: string): string {
  const scores = OOD.columns.filter(([name, type]) => type === "DOUBLE" && name !== "path").map(([name]) => name);
  return `CASE ${gateAlias}.score ${scores.map((s) => `WHEN ${literal(s)} THEN ${alias}."${s}"`).join(" ")} END`;
}

/** Presets that decide with the user's thresholds (the card's where the user set none). */
export const THRESHOLD_PRESETS: [string, string][] = [
  ["Calls at your thresholds (set on Prediction; the card's operating point elsewhere)", `SELECT p.path, p.finding, round(p.probability, 4) AS probability,
       coalesce(t.threshold, p.operating_point) AS threshold, t.threshold IS NOT NULL AS yours,
       p.probability >= coalesce(t.threshold, p.operating_point) AS called, p.predicted AS card_call, p.label
FROM predictions p LEFT JOIN main.my_thresholds t USING (finding)
ORDER BY (p.probability >= coalesce(t.threshold, p.operating_point)) <> p.predicted DESC, p.path, p.finding`],
  ["Images your OOD gate rejects (set on Out-of-distribution)", `SELECT o.path, g.score, round(${gateScoreSql("o", "g")}, 4) AS value, g.cutoff, o.in_distribution AS card_gate_accepts
FROM ood o, main.my_gate g
WHERE ${gateScoreSql("o", "g")} IS NULL -- no value: rejected, as the pages decide
   OR CASE g.in_distribution_when WHEN 'below' THEN ${gateScoreSql("o", "g")} >= g.cutoff ELSE ${gateScoreSql("o", "g")} <= g.cutoff END
ORDER BY value DESC`]
];
