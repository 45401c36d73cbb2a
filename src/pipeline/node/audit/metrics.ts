/**
 * Node-only: the `metrics` table, computed from the union of every shard's tables (so it can be
 * recomputed at any time, e.g. after the shards of several machines were copied into one folder).
 */
import {GATE_SCORE_NAMES, type GateScoreName} from "../../bundle/card.js";
import {auc, aucHalfSplitStd, confusionAt, coverageVersusAuc, oodAuroc} from "../../metrics.js";
import {GATE_SCORE_HIGHER_IS_OUT} from "../../ood.js";
import {fprAtTpr} from "../../ood-evaluation.js";
import type {ParquetStore, Row} from "./parquet.js";
import {METRICS, tableScan} from "./tables.js";

/** Splits for the AUC's spread (Chester Table 1: 10 random half-size subsets of the test set). */
export const HALF_SPLITS = 10;
/** Points of the coverage-versus-AUC curve (Chester Figure 6). */
export const COVERAGE_STEPS = 20;
/** The name of the union of every out-of-distribution set in the OOD rows. */
export const ALL_OOD_SETS = "all";

type MetricRow = Partial<Record<(typeof METRICS.columns)[number][0], string | number | null>>;

const toRow = (m: MetricRow): Row => METRICS.columns.map(([name]) => m[name] ?? null);
const num = (v: unknown) => (v === null || v === undefined ? NaN : Number(v));

/**
 * Every metric the papers report, from the tables under `out`:
 * - kind "finding": per finding with labels, AUC, its std over 10 half-size splits, positives, the
 *   bundle's operating point and the sensitivity / specificity there;
 * - kind "ood": per out-of-distribution set and OOD score, the AUROC against the in-distribution
 *   images, and the share of the set that the bundle's gate rejects;
 * - kind "coverage": per finding and OOD score, Chester's Figure 6 (coverage and AUC as the cutoff tightens);
 * - kind "explanation": per finding, method and alpha, AD, BAD, Increase in Confidence and Incorrect, in percent.
 */
export async function computeMetrics(store: ParquetStore, out: string, findings: string[], operatingPoints: number[]): Promise<Row[]> {
  const rows: MetricRow[] = [];
  const images = tableScan(out, "images");
  const predictions = tableScan(out, "predictions");
  const ood = tableScan(out, "ood");
  const explanations = tableScan(out, "explanations");

  // Labelled predictions of readable images, with their OOD scores (NULL without an OOD model).
  const labelled = await store.query(`
    SELECT p.finding, p.probability, p.label, ${GATE_SCORE_NAMES.map((s) => `o.${s}`).join(", ")}
    FROM ${predictions} p
    JOIN ${images} i ON i.path = p.path AND i.status = 'ok'
    LEFT JOIN ${ood} o ON o.path = p.path
    WHERE p.label IS NOT NULL
    ORDER BY p.path`);
  const finite = (v: unknown) => v !== null && v !== undefined && Number.isFinite(Number(v));
  const byFinding = new Map<unknown, Record<string, unknown>[]>();
  for (const r of labelled) {
    if (!finite(r.probability)) continue;
    const list = byFinding.get(r.finding);
    if (list) list.push(r);
    else byFinding.set(r.finding, [r]);
  }
  findings.forEach((finding, k) => {
    const these = byFinding.get(finding) ?? [];
    if (!these.length) return;
    const scores = these.map((r) => num(r.probability));
    const labels = these.map((r) => num(r.label));
    const positives = labels.filter((y) => y === 1).length;
    const spread = aucHalfSplitStd(scores, labels, {splits: HALF_SPLITS, seed: 0});
    const at = confusionAt(scores, labels, operatingPoints[k]!);
    rows.push({
      kind: "finding",
      finding,
      n: these.length,
      positives,
      auc: auc(scores, labels),
      auc_std: spread.std,
      auc_splits: spread.used,
      operating_point: operatingPoints[k]!,
      sensitivity: at.sensitivity,
      specificity: at.specificity
    });
    // Coverage versus AUC: only images with OOD scores, only when both classes are present.
    for (const score of GATE_SCORE_NAMES) {
      const scored = these.filter((r) => finite(r[score]));
      const ys = scored.map((r) => num(r.label));
      if (!ys.includes(1) || !ys.includes(0)) continue;
      const curve = coverageVersusAuc(scored.map((r) => num(r[score])), !GATE_SCORE_HIGHER_IS_OUT[score], scored.map((r) => num(r.probability)), ys, {steps: COVERAGE_STEPS});
      for (const point of curve)
        rows.push({kind: "coverage", finding, ood_score: score, n: scored.length, cutoff: point.cutoff, coverage: point.coverage, kept: point.kept, auc: point.auc});
    }
  });

  // OOD AUROC per set and score: in-distribution = every readable image outside the OOD sets.
  const oodRows = await store.query(`
    SELECT i.ood_set, o.in_distribution, ${GATE_SCORE_NAMES.map((s) => `o.${s}`).join(", ")}
    FROM ${ood} o JOIN ${images} i ON i.path = o.path AND i.status = 'ok'
    ORDER BY o.path`);
  const inside = oodRows.filter((r) => r.ood_set === null || r.ood_set === undefined);
  const sets = [...new Set(oodRows.map((r) => r.ood_set).filter((s): s is string => typeof s === "string"))].sort();
  const groups: [string, Record<string, unknown>[]][] = sets.map((set) => [set, oodRows.filter((r) => r.ood_set === set)]);
  if (sets.length > 1) groups.push([ALL_OOD_SETS, oodRows.filter((r) => typeof r.ood_set === "string")]);
  if (inside.length) {
    for (const [set, outside] of groups) {
      for (const score of GATE_SCORE_NAMES as GateScoreName[]) {
        const scoredIn = inside.filter((r) => finite(r[score]));
        const scoredOut = outside.filter((r) => finite(r[score]));
        // A score the bundle does not compute (no feature statistics) gets no row.
        if (!scoredIn.length && !scoredOut.length) continue;
        const valuesIn = scoredIn.map((r) => num(r[score]));
        const valuesOut = scoredOut.map((r) => num(r[score]));
        rows.push({
          kind: "ood",
          ood_set: set,
          ood_score: score,
          n: outside.length,
          n_in: inside.length,
          auroc: oodAuroc(valuesIn, valuesOut, GATE_SCORE_HIGHER_IS_OUT[score]),
          fpr_at_95_tpr: fprAtTpr(valuesIn, valuesOut, GATE_SCORE_HIGHER_IS_OUT[score]),
          rejected: outside.filter((r) => r.in_distribution === false).length / outside.length
        });
      }
    }
    // The gate's false rejections: in-distribution images it calls out of distribution.
    rows.push({kind: "ood", ood_set: null, n: inside.length, rejected: inside.filter((r) => r.in_distribution === false).length / inside.length});
  }

  // Explanation metrics (BAD paper): means over images, in percent.
  const explained = await store.query(`
    SELECT finding, method, alpha, CAST(count(*) AS INTEGER) AS n,
      avg(average_drop) AS average_drop, avg(black_average_drop) AS black_average_drop,
      100 * avg(CAST(increase_in_confidence AS DOUBLE)) AS increase_in_confidence,
      100 * avg(CAST(incorrect AS DOUBLE)) AS incorrect
    FROM ${explanations} GROUP BY ALL ORDER BY finding, method, alpha`);
  for (const e of explained)
    rows.push({
      kind: "explanation",
      finding: e.finding as string,
      method: e.method as string,
      alpha: num(e.alpha),
      n: num(e.n),
      average_drop: num(e.average_drop),
      black_average_drop: num(e.black_average_drop),
      increase_in_confidence: num(e.increase_in_confidence),
      incorrect: num(e.incorrect)
    });
  return rows.map(toRow);
}
