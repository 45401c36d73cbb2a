/**
 * Agreement across metrics: every method under every metric, each metric's ranking of the methods,
 * and Kendall's tau-b between each pair of metrics' rankings. This answers the Black Average Drop
 * paper's claim directly: does BAD rank the methods as the radiologists' boxes and the deletion
 * curves do? tau = 1: the same order; -1: reversed; near 0: unrelated. Each metric says whether a
 * higher value is better (insertion area, pointing game) or a lower one (AD, BAD, deletion area), so
 * a tau compares "better" with "better".
 */
import {averageRanks, kendallTau} from "./rank-correlation.js";

export interface MetricValues {
  metric: string;
  higherIsBetter: boolean;
  /** One value per method, in the methods' order; NaN where the metric has no value for a method. */
  values: number[];
}

export interface AgreementTable {
  methods: string[];
  metrics: MetricValues[];
  /** ranks[metric][method]: 1 = best, ties share their average rank; NaN without a value. */
  ranks: number[][];
  /** Kendall's tau-b between each pair of metrics over the methods both have values for. */
  pairs: {a: string; b: string; tau: number; methods: number}[];
}

/** Higher = better, whatever the metric's direction. */
const goodness = (m: MetricValues) => m.values.map((v) => (m.higherIsBetter ? v : -v));

export function metricAgreement(methods: string[], metrics: MetricValues[]): AgreementTable {
  for (const m of metrics)
    if (m.values.length !== methods.length) throw new RangeError(`metric ${m.metric} has ${m.values.length} values for ${methods.length} methods`);
  const ranks = metrics.map((m) => {
    const g = goodness(m);
    const present = g.flatMap((v, i) => (Number.isFinite(v) ? [i] : []));
    // averageRanks ranks ascending; rank 1 must be the best, so rank the negated goodness.
    const r = averageRanks(present.map((i) => -g[i]!));
    const out = new Array<number>(methods.length).fill(NaN);
    present.forEach((i, k) => (out[i] = r[k]!));
    return out;
  });
  const pairs: AgreementTable["pairs"] = [];
  for (let a = 0; a < metrics.length; a++)
    for (let b = a + 1; b < metrics.length; b++) {
      const ga = goodness(metrics[a]!);
      const gb = goodness(metrics[b]!);
      const both = ga.flatMap((v, i) => (Number.isFinite(v) && Number.isFinite(gb[i]!) ? [i] : []));
      pairs.push({
        a: metrics[a]!.metric,
        b: metrics[b]!.metric,
        tau: both.length >= 2 ? kendallTau(both.map((i) => ga[i]!), both.map((i) => gb[i]!)) : NaN,
        methods: both.length
      });
    }
  return {methods, metrics, ranks, pairs};
}

/** Means per method of per-image values (NaN values skipped), methods in first-seen order. */
export function meanByMethod(rows: {method: string; value: number}[]): Map<string, number> {
  const sums = new Map<string, {sum: number; n: number}>();
  for (const {method, value} of rows) {
    const s = sums.get(method) ?? {sum: 0, n: 0};
    if (Number.isFinite(value)) {
      s.sum += value;
      s.n++;
    }
    sums.set(method, s);
  }
  return new Map([...sums].map(([m, s]) => [m, s.n ? s.sum / s.n : NaN]));
}
