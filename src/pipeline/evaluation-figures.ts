/**
 * The figures behind a bundle's card, recomputed from its per-image evaluation tables
 * (models/<name>/evaluation/predictions.csv and ood-scores.csv, written by scripts/evaluate-bundle.ts):
 * parsing, the split or set of each row, threshold rules, ROC curves of the OOD scores, and the
 * join of classifier outputs with OOD scores for Chester's Figure 6. Plain TypeScript (no TF.js, DOM
 * or Node APIs): the pages and the tests get the same numbers.
 */
import type {GateScoreName, OodScoreName} from "./bundle/card.js";
import {auc, rocCurve, type RocCurve} from "./metrics.js";

/** The OOD score columns of ood-scores.csv, in file order. */
export const OOD_SCORE_COLUMNS: OodScoreName[] = ["l1", "l2", "ssim", "ssim8", "latent"];
/** The feature-space score columns (ood-features.ts), present when the bundle ships their statistics. */
export const FEATURE_SCORE_COLUMNS: GateScoreName[] = ["mahalanobis", "knn", "energy", "msp"];

/** `set` values of ood-scores.csv that are the bundle's own population; every other set is OOD. */
export const IN_DISTRIBUTION_SETS = ["validation", "test"] as const;

export type CsvRow = Record<string, string | undefined>;

export interface PredictionRow {
  split: string;
  path: string;
  /** Per finding, in the card's label order: 1, 0, or null where the label is unknown (empty). */
  labels: (0 | 1 | null)[];
  /** Per finding: the raw sigmoid output. */
  scores: number[];
}

export interface OodScoreRow {
  /** validation, test, or the OOD set's name. */
  set: string;
  path: string;
  scores: Record<OodScoreName, number> & Partial<Record<GateScoreName, number>>;
}

function number(row: CsvRow, column: string, line: number): number {
  const text = row[column];
  const value = text === undefined || text.trim() === "" ? NaN : Number(text);
  if (!Number.isFinite(value)) throw new Error(`row ${line}: ${column} is ${JSON.stringify(text)}, not a number`);
  return value;
}

function requireColumns(rows: CsvRow[], columns: string[], file: string): void {
  if (!rows.length) return;
  const missing = columns.filter((c) => !(c in rows[0]!));
  if (missing.length) throw new Error(`${file} has no column ${missing.join(", ")}`);
}

/** predictions.csv rows (split, path, y_<finding>, p_<finding> ...) for the card's findings. */
export function parsePredictions(rows: CsvRow[], findings: string[]): PredictionRow[] {
  requireColumns(rows, ["split", "path", ...findings.flatMap((f) => [`y_${f}`, `p_${f}`])], "predictions.csv");
  return rows.map((row, i) => ({
    split: row.split ?? "",
    path: row.path ?? "",
    labels: findings.map((f) => {
      const y = (row[`y_${f}`] ?? "").trim();
      if (y === "") return null;
      if (y === "1" || y === "0") return Number(y) as 0 | 1;
      throw new Error(`row ${i + 2}: y_${f} is ${JSON.stringify(y)}; labels are 0, 1 or empty`);
    }),
    scores: findings.map((f) => number(row, `p_${f}`, i + 2))
  }));
}

/** ood-scores.csv rows (set, path, l1, l2, ssim, ssim8, latent, and the feature scores when present). */
export function parseOodScores(rows: CsvRow[]): OodScoreRow[] {
  requireColumns(rows, ["set", "path", ...OOD_SCORE_COLUMNS], "ood-scores.csv");
  const columns = [...OOD_SCORE_COLUMNS, ...FEATURE_SCORE_COLUMNS.filter((c) => rows.length && c in rows[0]!)];
  return rows.map((row, i) => ({
    set: row.set ?? "",
    path: row.path ?? "",
    scores: Object.fromEntries(columns.map((s) => [s, number(row, s, i + 2)])) as OodScoreRow["scores"]
  }));
}

/** The score columns the rows have: the autoencoder's five, then any feature-space ones. */
export function scoreColumns(rows: OodScoreRow[]): GateScoreName[] {
  return [...OOD_SCORE_COLUMNS, ...FEATURE_SCORE_COLUMNS.filter((c) => rows.length && rows[0]!.scores[c] !== undefined)];
}

/** The OOD sets of ood-scores.csv (every set but validation and test), in file order. */
export function oodSetNames(rows: OodScoreRow[]): string[] {
  const inside = new Set<string>(IN_DISTRIBUTION_SETS);
  return [...new Set(rows.map((r) => r.set))].filter((s) => !inside.has(s));
}

/** One score of the rows of one set. */
export function scoresOf(rows: OodScoreRow[], set: string, score: GateScoreName): number[] {
  return rows.filter((r) => r.set === set).map((r) => r.scores[score]!);
}

/** Scores and known labels of one finding on one split (rows with an unknown label left out). */
export function findingColumn(rows: PredictionRow[], finding: number, split: string): {scores: number[]; labels: (0 | 1)[]; paths: string[]} {
  const scores: number[] = [];
  const labels: (0 | 1)[] = [];
  const paths: string[] = [];
  for (const row of rows) {
    const y = row.labels[finding];
    if (row.split !== split || y === null || y === undefined) continue;
    scores.push(row.scores[finding]!);
    labels.push(y);
    paths.push(row.path);
  }
  return {scores, labels, paths};
}

// ---------------------------------------------------------------------------------------------
// Threshold rules

export type InDistributionWhen = "above" | "below";

/** The side of a threshold that is in distribution, from the score's direction. */
export function inDistributionSide(higherIsOut: boolean): InDistributionWhen {
  return higherIsOut ? "below" : "above";
}

/**
 * The gate's rule, as ood.isInDistribution: in distribution when strictly above (SSIM) or strictly
 * below (L1, L2, latent) the threshold, so an image exactly at the threshold is rejected.
 */
export function isRejected(value: number, threshold: number, inDistributionWhen: InDistributionWhen): boolean {
  return inDistributionWhen === "above" ? !(value > threshold) : !(value < threshold);
}

/** Share of `values` the rule rejects (NaN for none). */
export function rejectedShare(values: ArrayLike<number>, threshold: number, inDistributionWhen: InDistributionWhen): number {
  let rejected = 0;
  for (let i = 0; i < values.length; i++) if (isRejected(values[i]!, threshold, inDistributionWhen)) rejected++;
  return values.length ? rejected / values.length : NaN;
}

/**
 * The card's threshold rule for any score: the value at the (1 - accept) quantile of the
 * validation images, counted from the out-of-distribution side (sorted so the most suspicious come
 * first, index floor((1 - accept) n)), as scripts/evaluate-bundle.ts picks the SSIM gate. About
 * `accept` of the validation images stay in distribution.
 */
export function acceptanceThreshold(validation: ArrayLike<number>, higherIsOut: boolean, accept = 0.95): number {
  if (!(accept > 0 && accept <= 1)) throw new RangeError(`accept must lie in (0, 1], got ${accept}`);
  if (!validation.length) return NaN;
  const sorted = Array.from(validation).sort((a, b) => (higherIsOut ? b - a : a - b));
  return sorted[Math.min(sorted.length - 1, Math.floor((1 - accept) * sorted.length))]!;
}

/**
 * ROC curve of an OOD score separating an OOD set (the positive class) from in-distribution images,
 * the curve whose area is metrics.oodAuroc: the score is negated first when lower means "out".
 */
export function oodRocCurve(inScores: ArrayLike<number>, outScores: ArrayLike<number>, higherIsOut: boolean): RocCurve {
  const sign = higherIsOut ? 1 : -1;
  const scores = [...Array.from(inScores), ...Array.from(outScores)].map((v) => sign * v);
  const labels = [...new Array<number>(inScores.length).fill(0), ...new Array<number>(outScores.length).fill(1)];
  const curve = rocCurve(scores, labels);
  return {...curve, thresholds: curve.thresholds.map((t) => sign * t)};
}

/** Thins a ROC curve to at most about `points` vertices for drawing (the first and last kept). */
export function thinCurve(curve: RocCurve, points = 400): RocCurve {
  const n = curve.fpr.length;
  if (n <= points) return curve;
  const stride = (n - 1) / (points - 1);
  const keep = Array.from({length: points}, (_, i) => Math.round(i * stride));
  return {fpr: keep.map((k) => curve.fpr[k]!), tpr: keep.map((k) => curve.tpr[k]!), thresholds: keep.map((k) => curve.thresholds[k]!)};
}

// ---------------------------------------------------------------------------------------------
// Chester Figure 6: the classifier behind the gate

export interface JoinedRow {
  path: string;
  /** The classifier's rows: labels and sigmoid outputs per finding. */
  labels: (0 | 1 | null)[];
  scores: number[];
  ood: Record<OodScoreName, number>;
}

/**
 * Rows of one split of predictions.csv joined on `path` with the rows of the same set of
 * ood-scores.csv (e.g. "test" with "test"). Rows without a partner are counted, not joined.
 */
export function joinOnPath(predictions: PredictionRow[], ood: OodScoreRow[], split: string): {rows: JoinedRow[]; unmatched: number} {
  const byPath = new Map(ood.filter((r) => r.set === split).map((r) => [r.path, r.scores]));
  const rows: JoinedRow[] = [];
  let unmatched = 0;
  for (const p of predictions) {
    if (p.split !== split) continue;
    const scores = byPath.get(p.path);
    if (!scores) unmatched++;
    else rows.push({path: p.path, labels: p.labels, scores: p.scores, ood: scores});
  }
  return {rows, unmatched};
}

/** The classifier's AUC on the images a threshold keeps, and the share kept (Figure 6 at one cutoff). */
export function aucWhenKept(
  oodScores: ArrayLike<number>,
  threshold: number,
  inDistributionWhen: InDistributionWhen,
  classifierScores: ArrayLike<number>,
  labels: ArrayLike<number>
): {coverage: number; kept: number; auc: number} {
  if (oodScores.length !== classifierScores.length || labels.length !== classifierScores.length)
    throw new Error(`${oodScores.length} OOD scores, ${classifierScores.length} classifier scores and ${labels.length} labels`);
  const s: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < oodScores.length; i++) {
    if (isRejected(oodScores[i]!, threshold, inDistributionWhen)) continue;
    s.push(classifierScores[i]!);
    y.push(labels[i]!);
  }
  return {coverage: oodScores.length ? s.length / oodScores.length : NaN, kept: s.length, auc: auc(s, y)};
}

// ---------------------------------------------------------------------------------------------
// Eq. 1, drawn

/**
 * Points of a curve over [0, 1] for drawing: `n` evenly spaced raw scores plus the given breaks
 * (e.g. the operating point, where Eq. 1 bends), sorted and without repeats.
 */
export function curvePoints(f: (x: number) => number, {n = 201, breaks = []}: {n?: number; breaks?: number[]} = {}): {x: number; y: number}[] {
  const xs = [...Array.from({length: n}, (_, i) => i / (n - 1)), ...breaks.filter((b) => b >= 0 && b <= 1)];
  return [...new Set(xs)].sort((a, b) => a - b).map((x) => ({x, y: f(x)}));
}
