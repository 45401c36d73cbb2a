/**
 * Metrics per subgroup (any column: sex, view, site, manufacturer...): AUC with a bootstrap 95 %
 * interval, and sensitivity, specificity, PPV and NPV at the operating point (positive when
 * score >= threshold). A group with one class has an undefined (NaN) AUC, reported, not dropped.
 */
import {bootstrapInterval, pick, type BootstrapOptions} from "./bootstrap.js";
import {auc, confusionAt} from "./metrics.js";

export interface SubgroupCase {
  /** The subgroup's value; null or "" for unknown (reported as its own group, "(unknown)"). */
  group: string | null;
  score: number;
  label: 0 | 1;
}

export interface SubgroupMetrics {
  group: string;
  n: number;
  positives: number;
  auc: number;
  aucLow: number;
  aucHigh: number;
  /** Bootstrap resamples with both classes. */
  aucResamples: number;
  sensitivity: number;
  specificity: number;
  ppv: number;
  npv: number;
}

export const UNKNOWN_GROUP = "(unknown)";

/** AUC with its percentile bootstrap interval. */
export function aucInterval(scores: ArrayLike<number>, labels: ArrayLike<number>, options: BootstrapOptions = {}) {
  return bootstrapInterval(scores.length, (idx) => auc(pick(scores, idx), pick(labels, idx)), options);
}

/** One row per group (sorted by name, unknown last), plus "(all)" first. */
export function subgroupMetrics(cases: SubgroupCase[], threshold: number, options: BootstrapOptions = {}): SubgroupMetrics[] {
  const groups = new Map<string, SubgroupCase[]>();
  for (const c of cases) {
    const key = c.group === null || c.group === "" ? UNKNOWN_GROUP : c.group;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const names = [...groups.keys()].sort((a, b) => (a === UNKNOWN_GROUP ? 1 : b === UNKNOWN_GROUP ? -1 : a < b ? -1 : a > b ? 1 : 0));
  const one = (group: string, these: SubgroupCase[]): SubgroupMetrics => {
    const scores = these.map((c) => c.score);
    const labels = these.map((c) => c.label);
    const interval = aucInterval(scores, labels, options);
    const at = confusionAt(scores, labels, threshold);
    return {
      group,
      n: these.length,
      positives: labels.filter((y) => y === 1).length,
      auc: interval.estimate,
      aucLow: interval.low,
      aucHigh: interval.high,
      aucResamples: interval.used,
      sensitivity: at.sensitivity,
      specificity: at.specificity,
      ppv: at.ppv,
      npv: at.npv
    };
  };
  return [one("(all)", cases), ...names.map((name) => one(name, groups.get(name)!))];
}
