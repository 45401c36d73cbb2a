/**
 * Percentile bootstrap confidence intervals (Efron and Tibshirani 1993, ch. 13): resample the cases
 * with replacement, recompute the statistic, take the alpha/2 and 1 - alpha/2 quantiles. Seeded
 * (mulberry32), so an interval is reproducible; the resample indices are exposed so a reference
 * implementation (tests: numpy) can recompute the very same resamples.
 */
import {mulberry32} from "./metrics.js";

export interface BootstrapOptions {
  /** Resamples (default 1000). */
  resamples?: number;
  /** PRNG seed (default 0). */
  seed?: number;
  /** Confidence level (default 0.95). */
  level?: number;
}

export interface BootstrapInterval {
  estimate: number;
  low: number;
  high: number;
  level: number;
  /** Resamples whose statistic was defined (e.g. an AUC needs both classes). */
  used: number;
  resamples: number;
}

/** `resamples` arrays of n indices drawn uniformly with replacement. */
export function bootstrapIndices(n: number, resamples: number, seed: number): Uint32Array[] {
  const random = mulberry32(seed);
  return Array.from({length: resamples}, () => Uint32Array.from({length: n}, () => Math.floor(random() * n)));
}

/** The q-quantile of sorted values, linear between order statistics (numpy's default "linear"). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/**
 * The statistic of the cases and its percentile interval. `statistic` gets the resampled case
 * indices and returns a number; NaN results (undefined on that resample) are left out and counted.
 */
export function bootstrapInterval(n: number, statistic: (indices: ArrayLike<number>) => number, options: BootstrapOptions = {}): BootstrapInterval {
  const {resamples = 1000, seed = 0, level = 0.95} = options;
  if (!(level > 0 && level < 1)) throw new Error(`level must lie in (0, 1), got ${level}`);
  const identity = Uint32Array.from({length: n}, (_, i) => i);
  const estimate = statistic(identity);
  const values: number[] = [];
  if (n > 0) {
    for (const indices of bootstrapIndices(n, resamples, seed)) {
      const v = statistic(indices);
      if (Number.isFinite(v)) values.push(v);
    }
  }
  values.sort((a, b) => a - b);
  const alpha = 1 - level;
  return {estimate, low: quantileSorted(values, alpha / 2), high: quantileSorted(values, 1 - alpha / 2), level, used: values.length, resamples};
}

/** Picks `values[indices[i]]`: how a statistic reads its resampled cases. */
export function pick(values: ArrayLike<number>, indices: ArrayLike<number>): Float64Array {
  return Float64Array.from({length: indices.length}, (_, i) => values[indices[i]!]!);
}
