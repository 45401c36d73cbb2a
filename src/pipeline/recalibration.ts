/**
 * Calibration for real: how well probabilities match observed rates (Brier score, expected
 * calibration error with a bootstrap interval, calibration slope and intercept on the logit scale,
 * Cox 1958 / Van Calster et al. 2019), and recalibration fitted on an auditor's labelled data:
 * temperature scaling (Guo et al. 2017), Platt scaling (Platt 1999) and isotonic regression (pool
 * adjacent violators, Zadrozny and Elkan 2002). A fit is plain JSON (`Recalibration`), applied on
 * top of a bundle's sigmoid outputs; the bundle itself is never changed.
 */
import {bootstrapInterval, pick, type BootstrapInterval, type BootstrapOptions} from "./bootstrap.js";
import {reliabilityCurve} from "./metrics.js";

const EPS = 1e-7;
const clampP = (p: number) => Math.min(1 - EPS, Math.max(EPS, p));
export const logit = (p: number) => Math.log(clampP(p) / (1 - clampP(p)));
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

export function brierScore(p: ArrayLike<number>, y: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum += (p[i]! - y[i]!) ** 2;
  return p.length ? sum / p.length : NaN;
}

/** ECE over equal-width bins (metrics.ts's reliability curve) with a percentile bootstrap interval. */
export function eceInterval(p: ArrayLike<number>, y: ArrayLike<number>, {bins = 10, ...options}: BootstrapOptions & {bins?: number} = {}): BootstrapInterval {
  return bootstrapInterval(p.length, (idx) => reliabilityCurve(pick(p, idx), pick(y, idx), {bins}).ece, options);
}

/**
 * Logistic regression of y on features x (with an intercept, and an optional fixed offset), by
 * Newton-Raphson; returns [intercept, ...coefficients]. Small dimension only (1-2 parameters).
 */
function logistic(xs: number[][], y: ArrayLike<number>, offset?: ArrayLike<number>): number[] {
  const k = (xs[0]?.length ?? 0) + 1;
  let beta = new Array<number>(k).fill(0);
  for (let iteration = 0; iteration < 50; iteration++) {
    const gradient = new Array<number>(k).fill(0);
    const hessian = Array.from({length: k}, () => new Array<number>(k).fill(0));
    xs.forEach((x, i) => {
      const row = [1, ...x];
      const z = row.reduce((s, v, j) => s + v * beta[j]!, offset ? offset[i]! : 0);
      const m = sigmoid(z);
      const w = Math.max(m * (1 - m), 1e-12);
      row.forEach((a, j) => {
        gradient[j]! += (y[i]! - m) * a;
        row.forEach((b, l) => (hessian[j]![l]! += w * a * b));
      });
    });
    const step = solve(hessian, gradient);
    beta = beta.map((b, j) => b + step[j]!);
    if (Math.max(...step.map(Math.abs)) < 1e-10) return beta;
  }
  // No convergence: the classes are (nearly) separated on the logit scale, e.g. an isotonic map's
  // exact 0s and 1s; no finite slope or intercept describes that.
  return beta.map(() => NaN);
}

/** Gaussian elimination with partial pivoting, for the tiny systems above. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[pivot]![c]!)) pivot = r;
    [m[c], m[pivot]] = [m[pivot]!, m[c]!];
    if (Math.abs(m[c]![c]!) < 1e-300) return new Array<number>(n).fill(0);
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let j = c; j <= n; j++) m[r]![j]! -= f * m[c]![j]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

/**
 * Calibration slope (the coefficient of logit(p) in a logistic fit of y; 1 is ideal, < 1 means
 * overconfident) and calibration intercept (calibration-in-the-large: the intercept with logit(p)
 * as a fixed offset; 0 is ideal, > 0 means the model under-predicts).
 */
export function calibrationSlopeIntercept(p: ArrayLike<number>, y: ArrayLike<number>): {slope: number; intercept: number} {
  const z = Array.from(p, logit);
  const [, slope] = logistic(z.map((v) => [v]), y);
  const [intercept] = logistic(z.map(() => []), y, z);
  return {slope: slope!, intercept: intercept!};
}

export interface CalibrationSummary {
  n: number;
  brier: number;
  ece: BootstrapInterval;
  slope: number;
  intercept: number;
}

export function calibrationSummary(p: ArrayLike<number>, y: ArrayLike<number>, options: BootstrapOptions & {bins?: number} = {}): CalibrationSummary {
  return {n: p.length, brier: brierScore(p, y), ece: eceInterval(p, y, options), ...calibrationSlopeIntercept(p, y)};
}

// ---------------------------------------------------------------------------------------------
// Recalibration maps and their fits

export type RecalibrationMap =
  | {method: "temperature"; temperature: number}
  | {method: "platt"; a: number; b: number}
  /** Isotonic: a step function; x ascending, y non-decreasing; linear between steps' ends. */
  | {method: "isotonic"; x: number[]; y: number[]};

export type RecalibrationMethod = RecalibrationMap["method"];

export const RECALIBRATION_FORMAT = "cxr-workbench-recalibration/1";

/** A recalibration file: maps per finding, and what they were fitted on. */
export interface Recalibration {
  format: typeof RECALIBRATION_FORMAT;
  /** The bundle's name and SHA-256 of its card.json, so a file is never applied to another model. */
  bundle: {name: string; cardSha256: string};
  fittedOn: {description: string; n: number; at: string};
  findings: Record<string, RecalibrationMap & {before: Omit<CalibrationSummary, "ece"> & {ece: number}; after: Omit<CalibrationSummary, "ece"> & {ece: number}}>;
}

export function applyMap(map: RecalibrationMap, p: number): number {
  switch (map.method) {
    case "temperature":
      return sigmoid(logit(p) / map.temperature);
    case "platt":
      return sigmoid(map.a + map.b * logit(p));
    case "isotonic": {
      const {x, y} = map;
      if (p <= x[0]!) return y[0]!;
      if (p >= x[x.length - 1]!) return y[y.length - 1]!;
      let hi = 1;
      while (x[hi]! < p) hi++;
      const lo = hi - 1;
      return x[hi] === x[lo] ? y[hi]! : y[lo]! + ((y[hi]! - y[lo]!) * (p - x[lo]!)) / (x[hi]! - x[lo]!);
    }
  }
}

/** Temperature T minimising the log loss of sigmoid(logit(p) / T): golden-section search on log T. */
export function fitTemperature(p: ArrayLike<number>, y: ArrayLike<number>): RecalibrationMap {
  const z = Array.from(p, logit);
  const loss = (logT: number) => {
    const t = Math.exp(logT);
    let sum = 0;
    z.forEach((v, i) => {
      const q = clampP(sigmoid(v / t));
      sum -= y[i]! ? Math.log(q) : Math.log(1 - q);
    });
    return sum;
  };
  let [lo, hi] = [Math.log(0.05), Math.log(20)];
  const g = (Math.sqrt(5) - 1) / 2;
  for (let i = 0; i < 100; i++) {
    const a = hi - g * (hi - lo);
    const b = lo + g * (hi - lo);
    if (loss(a) < loss(b)) hi = b;
    else lo = a;
  }
  return {method: "temperature", temperature: Math.exp((lo + hi) / 2)};
}

export function fitPlatt(p: ArrayLike<number>, y: ArrayLike<number>): RecalibrationMap {
  const [a, b] = logistic(Array.from(p, (v) => [logit(v)]), y);
  return {method: "platt", a: a!, b: b!};
}

/** Pool adjacent violators on the cases sorted by p; ties in p pooled first. */
export function fitIsotonic(p: ArrayLike<number>, y: ArrayLike<number>): RecalibrationMap {
  const order = Array.from({length: p.length}, (_, i) => i).sort((i, j) => p[i]! - p[j]!);
  const blocks: {sum: number; count: number; lo: number; hi: number}[] = [];
  for (const i of order) {
    const last = blocks[blocks.length - 1];
    if (last && last.hi === p[i]) {
      last.sum += y[i]!;
      last.count++;
    } else blocks.push({sum: y[i]!, count: 1, lo: p[i]!, hi: p[i]!});
    while (blocks.length > 1) {
      const b = blocks[blocks.length - 1]!;
      const a = blocks[blocks.length - 2]!;
      if (a.sum / a.count <= b.sum / b.count) break;
      blocks.splice(blocks.length - 2, 2, {sum: a.sum + b.sum, count: a.count + b.count, lo: a.lo, hi: b.hi});
    }
  }
  const x: number[] = [];
  const ys: number[] = [];
  for (const b of blocks) {
    x.push(b.lo, b.hi);
    ys.push(b.sum / b.count, b.sum / b.count);
  }
  return {method: "isotonic", x, y: ys};
}

export const FITS: Record<RecalibrationMethod, (p: ArrayLike<number>, y: ArrayLike<number>) => RecalibrationMap> = {
  temperature: fitTemperature,
  platt: fitPlatt,
  isotonic: fitIsotonic
};

/**
 * Fits one map per finding and records the calibration before and after on the fitting data (the
 * honest comparison is on held-out data: fit on one part, `calibrationSummary` on another).
 */
export function fitRecalibration(
  method: RecalibrationMethod,
  data: Record<string, {p: ArrayLike<number>; y: ArrayLike<number>}>,
  about: {bundle: Recalibration["bundle"]; description: string},
  options: BootstrapOptions & {bins?: number} = {}
): Recalibration {
  const findings: Recalibration["findings"] = {};
  let n = 0;
  for (const [finding, {p, y}] of Object.entries(data)) {
    const map = FITS[method](p, y);
    const after = Array.from(p, (v) => applyMap(map, v));
    const flat = (s: CalibrationSummary) => ({...s, ece: s.ece.estimate});
    findings[finding] = {...map, before: flat(calibrationSummary(p, y, {...options, resamples: 0})), after: flat(calibrationSummary(after, y, {...options, resamples: 0}))};
    n = Math.max(n, p.length);
  }
  return {format: RECALIBRATION_FORMAT, bundle: about.bundle, fittedOn: {description: about.description, n, at: new Date().toISOString()}, findings};
}

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const short = (hash: string | undefined) => (hash ? `${hash.slice(0, 12)}…` : "(none)");

/** What a recalibration file is checked against: the bundle it is to be applied to. */
export interface RecalibrationTarget {
  /** The bundle's name, for messages. */
  name?: string;
  /** SHA-256 of its card.json (or of Chester's config.json), hex. */
  cardSha256: string;
  labels: string[];
}

/** The problems of one finding's map (empty when it is usable). */
function mapProblems(finding: string, map: Partial<RecalibrationMap> & Record<string, unknown>): string[] {
  switch (map?.method) {
    case "temperature":
      return finite(map.temperature) && map.temperature > 0 ? [] : [`${finding}: the temperature must be a positive number, got ${JSON.stringify(map.temperature)}`];
    case "platt":
      return finite(map.a) && finite(map.b) ? [] : [`${finding}: Platt scaling needs numbers a and b, got ${JSON.stringify({a: map.a, b: map.b})}`];
    case "isotonic": {
      const {x, y} = map as {x?: unknown; y?: unknown};
      if (!Array.isArray(x) || !Array.isArray(y) || !x.length || x.length !== y.length)
        return [`${finding}: an isotonic map needs x and y arrays of one non-zero length`];
      if (!x.every(finite) || !y.every((v) => finite(v) && v >= 0 && v <= 1)) return [`${finding}: isotonic x must be numbers and y probabilities in [0, 1]`];
      if (x.some((v, i) => i > 0 && v < x[i - 1]!) || y.some((v, i) => i > 0 && v < y[i - 1]!)) return [`${finding}: isotonic x and y must be non-decreasing`];
      return [];
    }
    default:
      return [`${finding}: unknown method ${JSON.stringify(map?.method)} (temperature, platt or isotonic)`];
  }
}

/**
 * Checks a parsed recalibration file against the bundle it is to be applied to; every problem at
 * once. A file fitted for another model (another card, so another bundle or another finding set)
 * is refused: its maps describe that model's outputs, not this one's.
 */
export function checkRecalibration(value: unknown, bundle: RecalibrationTarget): Recalibration {
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw new Error(`recalibration file does not apply: it is not a JSON object (a file written by fitting, format "${RECALIBRATION_FORMAT}")`);
  const problems: string[] = [];
  const r = value as Partial<Recalibration>;
  if (r.format !== RECALIBRATION_FORMAT) problems.push(`format is ${JSON.stringify(r.format)}, expected "${RECALIBRATION_FORMAT}"`);
  if (r.bundle?.cardSha256 !== bundle.cardSha256)
    problems.push(
      `it was fitted for card ${short(r.bundle?.cardSha256)} (bundle ${JSON.stringify(r.bundle?.name ?? "?")}), not this bundle's ${short(bundle.cardSha256)}` +
        `${bundle.name ? ` (${JSON.stringify(bundle.name)})` : ""}: a recalibration fits one model's outputs and applies to that model only`
    );
  const findings = r.findings && typeof r.findings === "object" ? Object.entries(r.findings) : [];
  if (!findings.length) problems.push("it recalibrates no finding");
  const unknown = findings.filter(([finding]) => !bundle.labels.includes(finding)).map(([finding]) => finding);
  if (unknown.length) problems.push(`finding${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} ${unknown.length > 1 ? "are" : "is"} not among the bundle's (${bundle.labels.filter((l) => l.trim()).join(", ")})`);
  for (const [finding, map] of findings) problems.push(...mapProblems(finding, map as never));
  if (problems.length) throw new Error(`recalibration file does not apply: ${problems.join("; ")}`);
  return r as Recalibration;
}

/** A recalibration file's text, parsed and checked (checkRecalibration); not JSON is said so. */
export function parseRecalibration(text: string, bundle: RecalibrationTarget): Recalibration {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`recalibration file does not apply: it is not JSON (${(error as Error).message})`);
  }
  return checkRecalibration(value, bundle);
}

/** The recalibrated probability of a finding, or null where the file has no map for it. */
export function recalibrated(file: Recalibration, finding: string, p: number): number | null {
  const map = file.findings[finding];
  return map ? applyMap(map, p) : null;
}
