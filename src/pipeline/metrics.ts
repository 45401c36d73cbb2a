/**
 * Classifier and OOD-detector metrics in plain TypeScript (no TF.js, DOM or Node APIs), so the
 * numbers are identical in Node and the browser.
 *
 * Conventions used everywhere in this module:
 * - A case is called positive when `score >= threshold` (so the ROC point for threshold t counts
 *   every case scoring exactly t as positive). Calibration follows the same rule: Eq. 1 maps the
 *   operating point itself to 0.5, so "calibrated >= 0.5" and "score >= op" agree.
 * - Labels are 1/true (positive) or 0/false (negative); anything else is an error naming the index.
 * - Scores must be finite numbers; NaN or ±Infinity is an error naming the index.
 * - A rate whose denominator is zero (e.g. a TPR with no positives, an AUC with one class only) is
 *   undefined and returned as NaN rather than thrown, so a batch of findings can be scored at once.
 */

export type Labels = ArrayLike<number | boolean>;

export interface RocCurve {
  /** False positive rate per threshold, starting at 0. */
  fpr: number[];
  /** True positive rate per threshold, starting at 0. */
  tpr: number[];
  /** +Infinity first (nothing positive), then each distinct score in descending order. */
  thresholds: number[];
}

export interface OperatingPoint {
  threshold: number;
  sensitivity: number;
  specificity: number;
  /** Youden's J = sensitivity + specificity - 1 = TPR - FPR. */
  j: number;
}

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  sensitivity: number;
  specificity: number;
  ppv: number;
  npv: number;
  accuracy: number;
}

export interface HalfSplitAuc {
  /** Mean of the defined split AUCs. */
  mean: number;
  /** Sample standard deviation (n - 1) of the defined split AUCs; NaN when fewer than two. */
  std: number;
  /** One AUC per split, NaN where the half lacked a class. */
  values: number[];
  /** How many splits had both classes and entered mean and std. */
  used: number;
}

export interface ReliabilityBin {
  lo: number;
  hi: number;
  /** Mean predicted probability in the bin; NaN when the bin is empty. */
  meanPredicted: number;
  /** Share of positives in the bin; NaN when the bin is empty. */
  observedRate: number;
  count: number;
}

export interface CoveragePoint {
  /** OOD score at which images stop being kept (inclusive). */
  cutoff: number;
  /** Share of all images kept, in (0, 1]. */
  coverage: number;
  /** Classifier AUC on the kept images (NaN if they lack a class). */
  auc: number;
  /** Number of images kept. */
  kept: number;
}

// ---------------------------------------------------------------------------------------------
// Input validation

function checkedLabels(labels: Labels, n: number): Uint8Array {
  if (labels.length !== n) {
    throw new Error(`labels has length ${labels.length} but scores has length ${n}`);
  }
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    if (label === 1 || label === true) out[i] = 1;
    else if (label !== 0 && label !== false) {
      throw new Error(`label at index ${i} is ${String(label)}; labels must be 0/1 or boolean`);
    }
  }
  return out;
}

function checkedScores(scores: ArrayLike<number>, name = "score"): Float64Array {
  const out = new Float64Array(scores.length);
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i]!;
    if (!Number.isFinite(score)) throw new Error(`${name} at index ${i} is ${score}; scores must be finite`);
    out[i] = score;
  }
  return out;
}

function checkedInputs(scores: ArrayLike<number>, labels: Labels): {s: Float64Array; y: Uint8Array} {
  const s = checkedScores(scores);
  return {s, y: checkedLabels(labels, s.length)};
}

function countPositives(y: Uint8Array): number {
  let positives = 0;
  for (const label of y) positives += label;
  return positives;
}

// ---------------------------------------------------------------------------------------------
// ROC and AUC

/** Cumulative TP/FP counts per distinct score, highest first, after the +Infinity start. */
function rocCounts(scores: ArrayLike<number>, labels: Labels) {
  const {s, y} = checkedInputs(scores, labels);
  const positives = countPositives(y);
  const negatives = s.length - positives;
  const order = Array.from(s.keys()).sort((a, b) => s[b]! - s[a]!);
  const tps = [0];
  const fps = [0];
  const thresholds = [Infinity];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; ) {
    const threshold = s[order[k]!]!;
    for (; k < order.length && s[order[k]!] === threshold; k++) {
      if (y[order[k]!]) tp++;
      else fp++;
    }
    tps.push(tp);
    fps.push(fp);
    thresholds.push(threshold);
  }
  return {tps, fps, thresholds, positives, negatives};
}

/**
 * ROC curve with one point per distinct score, highest threshold first, starting at (0, 0) for
 * threshold +Infinity. Tied scores become positive together, so a tie between classes moves the
 * curve diagonally. Rates are NaN when a class is absent.
 */
export function rocCurve(scores: ArrayLike<number>, labels: Labels): RocCurve {
  const {tps, fps, thresholds, positives, negatives} = rocCounts(scores, labels);
  return {
    fpr: fps.map((fp) => (negatives === 0 ? NaN : fp / negatives)),
    tpr: tps.map((tp) => (positives === 0 ? NaN : tp / positives)),
    thresholds
  };
}

/**
 * Area under the ROC curve via the Mann–Whitney U statistic: the probability that a random
 * positive scores above a random negative, ties counted half. Undefined (NaN, not an error) when
 * there are no positives or no negatives. Equals the trapezoidal area under `rocCurve`.
 */
export function auc(scores: ArrayLike<number>, labels: Labels): number {
  const {s, y} = checkedInputs(scores, labels);
  const positives = countPositives(y);
  const negatives = s.length - positives;
  if (positives === 0 || negatives === 0) return NaN;

  // Sum of the positives' 1-based ranks in ascending order, tied scores sharing their mean rank.
  const order = Array.from(s.keys()).sort((a, b) => s[a]! - s[b]!);
  let positiveRankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    let positivesInTie = 0;
    for (; end < order.length && s[order[end]!] === s[order[start]!]; end++) positivesInTie += y[order[end]!]!;
    positiveRankSum += positivesInTie * ((start + 1 + end) / 2);
    start = end;
  }
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Chester's operating point: the threshold maximising Youden's J = TPR - FPR, i.e. the ROC point
 * furthest above the diagonal. Positive means `score >= threshold`. Only real score values are
 * candidates (never +Infinity); among equal J the highest threshold wins. Throws when a class is
 * absent, since no operating point exists then.
 */
export function youdenOperatingPoint(scores: ArrayLike<number>, labels: Labels): OperatingPoint {
  const {tps, fps, thresholds, positives, negatives} = rocCounts(scores, labels);
  if (positives === 0 || negatives === 0) {
    throw new Error("youdenOperatingPoint needs at least one positive and one negative label");
  }
  // Compare J * positives * negatives = tp * N - fp * P: exact integers, so equal J really tie
  // (with rates, 1 - 1/3 would beat 2/3 by one ulp).
  const scaledJ = (k: number) => tps[k]! * negatives - fps[k]! * positives;
  let best = 1;
  for (let k = 2; k < thresholds.length; k++) if (scaledJ(k) > scaledJ(best)) best = k;
  const sensitivity = tps[best]! / positives;
  const falsePositiveRate = fps[best]! / negatives;
  return {threshold: thresholds[best]!, sensitivity, specificity: 1 - falsePositiveRate, j: sensitivity - falsePositiveRate};
}

// ---------------------------------------------------------------------------------------------
// Variability of the AUC (Chester Table 1, Weng et al. column)

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1); identical in every JS engine. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * AUC over `splits` random subsets, each half the test set (floor(n/2) cases drawn without
 * replacement), as Chester's Table 1 reports ± for the Weng et al. model. Deterministic for a
 * seed. Subsets lacking a class give NaN and are left out of mean and std (`used` counts the
 * rest). The std is the sample std (divide by used - 1): the splits are a sample of the possible
 * halves, and that is what numpy's ddof=1 / most papers report; NaN when used < 2.
 */
export function aucHalfSplitStd(
  scores: ArrayLike<number>,
  labels: Labels,
  {splits = 10, seed = 0}: {splits?: number; seed?: number} = {}
): HalfSplitAuc {
  const {s, y} = checkedInputs(scores, labels);
  if (!Number.isInteger(splits) || splits < 1) throw new Error(`splits must be a positive integer, got ${splits}`);
  const random = mulberry32(seed);
  const n = s.length;
  const half = Math.floor(n / 2);
  const values: number[] = [];
  for (let split = 0; split < splits; split++) {
    // Partial Fisher–Yates: the first `half` entries become a uniform random subset.
    const indices = Array.from(s.keys());
    for (let i = 0; i < half; i++) {
      const j = i + Math.floor(random() * (n - i));
      [indices[i], indices[j]] = [indices[j]!, indices[i]!];
    }
    const subset = indices.slice(0, half);
    values.push(auc(subset.map((i) => s[i]!), subset.map((i) => y[i]!)));
  }
  const defined = values.filter((v) => !Number.isNaN(v));
  const used = defined.length;
  const mean = used > 0 ? defined.reduce((a, b) => a + b, 0) / used : NaN;
  const std = used > 1 ? Math.sqrt(defined.reduce((a, v) => a + (v - mean) ** 2, 0) / (used - 1)) : NaN;
  return {mean, std, values, used};
}

// ---------------------------------------------------------------------------------------------
// Threshold metrics and calibration quality

/** Confusion matrix at `threshold` (positive when `score >= threshold`); 0/0 ratios are NaN. */
export function confusionAt(scores: ArrayLike<number>, labels: Labels, threshold: number): Confusion {
  const {s, y} = checkedInputs(scores, labels);
  if (Number.isNaN(threshold)) throw new Error("threshold is NaN");
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  s.forEach((score, i) => {
    const predictedPositive = score >= threshold;
    if (y[i] && predictedPositive) tp++;
    else if (y[i]) fn++;
    else if (predictedPositive) fp++;
    else tn++;
  });
  return {
    tp,
    fp,
    tn,
    fn,
    sensitivity: tp / (tp + fn),
    specificity: tn / (tn + fp),
    ppv: tp / (tp + fp),
    npv: tn / (tn + fn),
    accuracy: (tp + tn) / s.length
  };
}

/**
 * Reliability diagram over `bins` equal-width bins of [0, 1] (each [lo, hi), the last closed so 1
 * is counted), and the expected calibration error: the count-weighted mean of
 * |observedRate - meanPredicted| over non-empty bins (NaN for no data).
 */
export function reliabilityCurve(
  probabilities: ArrayLike<number>,
  labels: Labels,
  {bins = 10}: {bins?: number} = {}
): {bins: ReliabilityBin[]; ece: number} {
  const {s: p, y} = checkedInputs(probabilities, labels);
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`bins must be a positive integer, got ${bins}`);
  const count = new Array<number>(bins).fill(0);
  const sumPredicted = new Array<number>(bins).fill(0);
  const sumPositive = new Array<number>(bins).fill(0);
  p.forEach((probability, i) => {
    if (probability < 0 || probability > 1) {
      throw new Error(`probability at index ${i} is ${probability}; probabilities must lie in [0, 1]`);
    }
    const bin = Math.min(bins - 1, Math.floor(probability * bins));
    count[bin]!++;
    sumPredicted[bin]! += probability;
    sumPositive[bin]! += y[i]!;
  });
  let ece = 0;
  const result = count.map((c, b) => {
    const meanPredicted = sumPredicted[b]! / c;
    const observedRate = sumPositive[b]! / c;
    if (c > 0) ece += (c / p.length) * Math.abs(observedRate - meanPredicted);
    return {lo: b / bins, hi: (b + 1) / bins, meanPredicted, observedRate, count: c};
  });
  return {bins: result, ece: p.length > 0 ? ece : NaN};
}

// ---------------------------------------------------------------------------------------------
// Out-of-distribution detection

/**
 * Chester's Figure 6: keep only images the OOD detector calls in-distribution, tighten the cutoff
 * step by step, and report the share kept and the classifier's AUC on them. Cutoffs are the OOD
 * scores at coverage 1, (steps-1)/steps, ..., 1/steps of the images (quantiles, so the points are
 * evenly spread in coverage whatever the score scale); an image is kept when its OOD score is at
 * least as in-distribution as the cutoff (`>=` when `inDistributionIsHigh`, e.g. SSIM; `<=`
 * otherwise, e.g. reconstruction error). Ties keep together, so coverage may exceed the target;
 * repeated cutoffs are reported once. Least strict first.
 */
export function coverageVersusAuc(
  oodScores: ArrayLike<number>,
  inDistributionIsHigh: boolean,
  classifierScores: ArrayLike<number>,
  labels: Labels,
  {steps = 20}: {steps?: number} = {}
): CoveragePoint[] {
  const ood = checkedScores(oodScores, "OOD score");
  const {s, y} = checkedInputs(classifierScores, labels);
  if (ood.length !== s.length) {
    throw new Error(`oodScores has length ${ood.length} but classifierScores has length ${s.length}`);
  }
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be a positive integer, got ${steps}`);
  const n = s.length;
  if (n === 0) return [];
  const sign = inDistributionIsHigh ? 1 : -1;
  // Most in-distribution first.
  const mostInDistribution = Array.from(ood).sort((a, b) => sign * (b - a));
  const points: CoveragePoint[] = [];
  for (let step = steps; step >= 1; step--) {
    const target = Math.max(1, Math.round((n * step) / steps));
    const cutoff = mostInDistribution[target - 1]!;
    if (points.length > 0 && points[points.length - 1]!.cutoff === cutoff) continue;
    const keptIndices = Array.from(ood.keys()).filter((i) => sign * (ood[i]! - cutoff) >= 0);
    points.push({
      cutoff,
      coverage: keptIndices.length / n,
      auc: auc(keptIndices.map((i) => s[i]!), keptIndices.map((i) => y[i]!)),
      kept: keptIndices.length
    });
  }
  return points;
}

/**
 * AUROC of an OOD detector separating out-of-distribution (the positive class) from
 * in-distribution images. Set `higherMeansOut` for scores that grow with strangeness (L1/L2 error),
 * clear it for similarity scores (SSIM). 0.5 is chance; NaN if either set is empty.
 */
export function oodAuroc(inScores: ArrayLike<number>, outScores: ArrayLike<number>, higherMeansOut: boolean): number {
  const sign = higherMeansOut ? 1 : -1;
  const inside = checkedScores(inScores, "in-distribution score");
  const outside = checkedScores(outScores, "out-of-distribution score");
  const scores = [...inside, ...outside].map((v) => sign * v);
  const labels = [...new Array<number>(inScores.length).fill(0), ...new Array<number>(outScores.length).fill(1)];
  return auc(scores, labels);
}
