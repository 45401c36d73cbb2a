/**
 * Thresholds with consequences: what a threshold means for a population other than the test set's
 * (PPV and NPV at a chosen prevalence, by Bayes' rule from sensitivity and specificity), what it
 * costs (a false positive : false negative cost ratio), and the decision curve of Vickers and Elkin
 * (Med Decis Making 2006): net benefit = TP/n - FP/n * pt / (1 - pt) of treating the cases whose
 * predicted probability is at least the threshold probability pt, beside treating everyone
 * (prevalence - (1 - prevalence) * pt / (1 - pt)) and no one (0). The threshold probability is
 * also the exchange rate: at pt, one false positive is worth pt / (1 - pt) true positives, so a
 * cost ratio FP : FN of c : 1 is the threshold probability c / (1 + c).
 *
 * A case is positive when `score >= threshold`, as everywhere in the workbench. Plain TypeScript:
 * the page and the tests get the same numbers.
 */

export type Labels = ArrayLike<number | boolean>;

/** The test set sorted once: each distinct score, highest first, with the counts at or above it. */
export interface ThresholdTable {
  /** Distinct scores, descending. */
  thresholds: number[];
  /** Positives (true positives) with score >= thresholds[k]. */
  tps: number[];
  /** Negatives (false positives) with score >= thresholds[k]. */
  fps: number[];
  positives: number;
  negatives: number;
}

export function thresholdTable(scores: ArrayLike<number>, labels: Labels): ThresholdTable {
  if (labels.length !== scores.length) throw new Error(`labels has length ${labels.length} but scores has length ${scores.length}`);
  const order = Array.from({length: scores.length}, (_, i) => i);
  for (const i of order) {
    if (!Number.isFinite(scores[i]!)) throw new Error(`score at index ${i} is ${scores[i]}; scores must be finite`);
    const y = labels[i];
    if (y !== 0 && y !== 1 && y !== true && y !== false) throw new Error(`label at index ${i} is ${String(y)}; labels must be 0/1 or boolean`);
  }
  order.sort((a, b) => scores[b]! - scores[a]!);
  const table: ThresholdTable = {thresholds: [], tps: [], fps: [], positives: 0, negatives: 0};
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; ) {
    const t = scores[order[k]!]!;
    for (; k < order.length && scores[order[k]!] === t; k++) {
      if (labels[order[k]!] === 1 || labels[order[k]!] === true) tp++;
      else fp++;
    }
    table.thresholds.push(t);
    table.tps.push(tp);
    table.fps.push(fp);
  }
  table.positives = tp;
  table.negatives = fp;
  return table;
}

/** Counts of cases called positive at `threshold` (score >= threshold): a binary search in the table. */
export function countsAt(table: ThresholdTable, threshold: number): {tp: number; fp: number} {
  // The last index whose threshold is >= the given one (thresholds are descending).
  let lo = 0;
  let hi = table.thresholds.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (table.thresholds[mid]! >= threshold) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? {tp: 0, fp: 0} : {tp: table.tps[lo - 1]!, fp: table.fps[lo - 1]!};
}

function checkThresholdProbability(pt: number): void {
  if (!(pt >= 0 && pt < 1)) throw new Error(`threshold probability must be in [0, 1), got ${pt}`);
}

/** Net benefit of a strategy that treats `tp` true and `fp` false positives out of `n`, at threshold probability pt. */
export function netBenefit(tp: number, fp: number, n: number, pt: number): number {
  checkThresholdProbability(pt);
  return n > 0 ? tp / n - (fp / n) * (pt / (1 - pt)) : NaN;
}

/** Net benefit of treating everyone, at prevalence `prevalence` and threshold probability pt. */
export function treatAllNetBenefit(prevalence: number, pt: number): number {
  checkThresholdProbability(pt);
  return prevalence - (1 - prevalence) * (pt / (1 - pt));
}

export interface DecisionCurvePoint {
  /** The threshold probability pt (also the classification threshold on the predicted probability). */
  threshold: number;
  model: number;
  treatAll: number;
  treatNone: 0;
  /** Net benefit of the model over the better of treat-all and treat-none (> 0: the model is worth using here). */
  advantage: number;
}

/**
 * The decision curve at each threshold probability in `thresholds` (each in [0, 1)), treating a case
 * when its predicted probability is >= pt. The probabilities should be calibrated for the
 * population (Vickers and Elkin's assumption): a recalibrated model gives a different curve.
 */
export function decisionCurve(probabilities: ArrayLike<number>, labels: Labels, thresholds: number[]): DecisionCurvePoint[] {
  const table = thresholdTable(probabilities, labels);
  const n = table.positives + table.negatives;
  const prevalence = n ? table.positives / n : NaN;
  return thresholds.map((pt) => {
    const {tp, fp} = countsAt(table, pt);
    const model = netBenefit(tp, fp, n, pt);
    const treatAll = treatAllNetBenefit(prevalence, pt);
    return {threshold: pt, model, treatAll, treatNone: 0, advantage: model - Math.max(treatAll, 0)};
  });
}

/** `count` threshold probabilities evenly from `from` to `to` (inclusive), for drawing a curve. */
export function thresholdGrid(from: number, to: number, count: number): number[] {
  if (!(count >= 2)) throw new Error(`a grid needs at least 2 points, got ${count}`);
  return Array.from({length: count}, (_, i) => from + ((to - from) * i) / (count - 1));
}

// ---------------------------------------------------------------------------------------------
// Prevalence and costs

function checkProbability(name: string, v: number): void {
  if (!(v >= 0 && v <= 1)) throw new Error(`${name} must be in [0, 1], got ${v}`);
}

/** PPV at prevalence π from sensitivity and specificity (Bayes' rule); NaN when nothing is called positive. */
export function ppvAt(sensitivity: number, specificity: number, prevalence: number): number {
  checkProbability("prevalence", prevalence);
  const truePositive = sensitivity * prevalence;
  const falsePositive = (1 - specificity) * (1 - prevalence);
  return truePositive + falsePositive > 0 ? truePositive / (truePositive + falsePositive) : NaN;
}

/** NPV at prevalence π from sensitivity and specificity; NaN when nothing is called negative. */
export function npvAt(sensitivity: number, specificity: number, prevalence: number): number {
  checkProbability("prevalence", prevalence);
  const trueNegative = specificity * (1 - prevalence);
  const falseNegative = (1 - sensitivity) * prevalence;
  return trueNegative + falseNegative > 0 ? trueNegative / (trueNegative + falseNegative) : NaN;
}

/** The costs of one false positive and one false negative, in any common unit. */
export interface Costs {
  falsePositive: number;
  falseNegative: number;
}

function checkCosts(costs: Costs): void {
  if (!(costs.falsePositive >= 0 && costs.falseNegative >= 0 && costs.falsePositive + costs.falseNegative > 0))
    throw new Error(`costs must be non-negative and not both zero, got ${costs.falsePositive} : ${costs.falseNegative}`);
}

/**
 * The threshold probability that a cost ratio FP : FN means: treat when the risk p satisfies
 * p * cost(FN) >= (1 - p) * cost(FP), i.e. p >= cost(FP) / (cost(FP) + cost(FN)).
 */
export function thresholdProbabilityForCosts(costs: Costs): number {
  checkCosts(costs);
  return costs.falsePositive / (costs.falsePositive + costs.falseNegative);
}

/** Expected cost per case at prevalence π of a test with this sensitivity and specificity. */
export function expectedCost(sensitivity: number, specificity: number, prevalence: number, costs: Costs): number {
  checkProbability("prevalence", prevalence);
  checkCosts(costs);
  return costs.falseNegative * prevalence * (1 - sensitivity) + costs.falsePositive * (1 - prevalence) * (1 - specificity);
}

// ---------------------------------------------------------------------------------------------
// Operating points

export interface ThresholdPoint {
  threshold: number;
  sensitivity: number;
  specificity: number;
  /** At the prevalence asked for (the test set's when none was given). */
  ppv: number;
  npv: number;
}

function pointAt(table: ThresholdTable, k: number, prevalence: number): ThresholdPoint {
  const sensitivity = table.tps[k]! / table.positives;
  const specificity = 1 - table.fps[k]! / table.negatives;
  return {threshold: table.thresholds[k]!, sensitivity, specificity, ppv: ppvAt(sensitivity, specificity, prevalence), npv: npvAt(sensitivity, specificity, prevalence)};
}

function needBothClasses(table: ThresholdTable, what: string): void {
  if (table.positives === 0 || table.negatives === 0) throw new Error(`${what} needs at least one positive and one negative label`);
}

const ownPrevalence = (table: ThresholdTable) => table.positives / (table.positives + table.negatives);

/** Sensitivity, specificity, PPV and NPV (at `prevalence`, default the data's) at any threshold. */
export function pointAtThreshold(table: ThresholdTable, threshold: number, prevalence = ownPrevalence(table)): ThresholdPoint {
  needBothClasses(table, "an operating point");
  const {tp, fp} = countsAt(table, threshold);
  const sensitivity = tp / table.positives;
  const specificity = 1 - fp / table.negatives;
  return {threshold, sensitivity, specificity, ppv: ppvAt(sensitivity, specificity, prevalence), npv: npvAt(sensitivity, specificity, prevalence)};
}

/**
 * Youden's J = sensitivity + specificity - 1 at its maximum; among equal J the highest threshold
 * (as metrics.ts's youdenOperatingPoint, which the cards' operating points come from).
 */
export function youdenPoint(table: ThresholdTable, prevalence = ownPrevalence(table)): ThresholdPoint {
  needBothClasses(table, "Youden's operating point");
  let best = 0;
  const scaled = (k: number) => table.tps[k]! * table.negatives - table.fps[k]! * table.positives;
  for (let k = 1; k < table.thresholds.length; k++) if (scaled(k) > scaled(best)) best = k;
  return pointAt(table, best, prevalence);
}

/** The highest threshold whose sensitivity reaches `target` (the most specific such point). */
export function pointForSensitivity(table: ThresholdTable, target: number, prevalence = ownPrevalence(table)): ThresholdPoint {
  needBothClasses(table, "a sensitivity operating point");
  checkProbability("target sensitivity", target);
  const k = table.tps.findIndex((tp) => tp / table.positives >= target - 1e-12);
  return pointAt(table, k, prevalence);
}

/**
 * The most sensitive threshold whose PPV (at `prevalence`) reaches `target` (the lowest such
 * threshold; PPV need not fall monotonically as the threshold falls), or null when no threshold does.
 */
export function pointForPpv(table: ThresholdTable, target: number, prevalence = ownPrevalence(table)): ThresholdPoint | null {
  needBothClasses(table, "a PPV operating point");
  checkProbability("target PPV", target);
  for (let k = table.thresholds.length - 1; k >= 0; k--) {
    const point = pointAt(table, k, prevalence);
    if (point.ppv >= target - 1e-12) return point;
  }
  return null;
}

/**
 * The threshold of least expected cost per case at `prevalence`; among equal costs the highest
 * threshold. "Call every case negative" (threshold above every score) is a candidate too: then
 * `threshold` is Infinity.
 */
export function costOptimalPoint(table: ThresholdTable, prevalence: number, costs: Costs): ThresholdPoint & {cost: number} {
  needBothClasses(table, "a cost-optimal operating point");
  let best: ThresholdPoint & {cost: number} = {threshold: Infinity, sensitivity: 0, specificity: 1, ppv: NaN, npv: npvAt(0, 1, prevalence), cost: expectedCost(0, 1, prevalence, costs)};
  for (let k = 0; k < table.thresholds.length; k++) {
    const point = pointAt(table, k, prevalence);
    const cost = expectedCost(point.sensitivity, point.specificity, prevalence, costs);
    if (cost < best.cost - 1e-15) best = {...point, cost};
  }
  return best;
}
