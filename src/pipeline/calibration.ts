/**
 * Chester's calibration (Cohen et al. 2019, Eq. 1): a piecewise-linear map from a sigmoid output x
 * to a displayed probability, chosen so the finding's operating point `op` (its Youden threshold,
 * see metrics.youdenOperatingPoint) maps to 0.5, 0 to 0 and 1 to 1:
 *
 *   f(x) = x / (2 op)                    for x <= op
 *   f(x) = 1 - (1 - x) / (2 (1 - op))    otherwise
 *
 * Both pieces give 0.5 at x = op, so f is continuous and strictly increasing, and
 * "calibrated >= 0.5" is the same decision as "score >= op" (the metrics module's convention).
 * Pure TypeScript: identical in Node and the browser.
 */

export interface CalibrationOptions {
  /**
   * Chester's later config.json SCALE_UPPER (e.g. 1.3), applied after Eq. 1. NOTES.md describes it
   * only as "an extra x1.3 stretch above 0.6 after Eq. 1"; Chester's source is not available here,
   * so this is our reading: p > 0.6 ? min(1, 0.6 + (p - 0.6) * scaleUpper) : p.
   * Values at or below 0.6 (including the 0.5 operating point) are unchanged.
   */
  scaleUpper?: number;
}

/** Where SCALE_UPPER starts stretching (our reading of the note, see CalibrationOptions). */
const SCALE_UPPER_FROM = 0.6;

function checkOperatingPoint(op: number): void {
  if (!(op > 0 && op < 1)) throw new RangeError(`operating point must lie strictly between 0 and 1, got ${op}`);
}

function checkUnitInterval(value: number, name: string): void {
  if (value < 0 || value > 1) throw new RangeError(`${name} must lie in [0, 1], got ${value}`);
}

/** Eq. 1 of the Chester paper, optionally followed by the SCALE_UPPER stretch. NaN in, NaN out. */
export function calibrate(x: number, operatingPoint: number, options: CalibrationOptions = {}): number {
  checkOperatingPoint(operatingPoint);
  const {scaleUpper} = options;
  if (scaleUpper !== undefined && !(scaleUpper > 0 && Number.isFinite(scaleUpper))) {
    throw new RangeError(`scaleUpper must be a positive finite number, got ${scaleUpper}`);
  }
  if (Number.isNaN(x)) return NaN;
  checkUnitInterval(x, "score");
  const p = x <= operatingPoint ? x / (2 * operatingPoint) : 1 - (1 - x) / (2 * (1 - operatingPoint));
  if (scaleUpper === undefined || p <= SCALE_UPPER_FROM) return p;
  return Math.min(1, SCALE_UPPER_FROM + (p - SCALE_UPPER_FROM) * scaleUpper);
}

/** Calibrates each output with its own operating point (e.g. the 14 or 18 findings of a model). */
export function calibrateAll(
  values: ArrayLike<number>,
  operatingPoints: ArrayLike<number>,
  options: CalibrationOptions = {}
): number[] {
  if (values.length !== operatingPoints.length) {
    throw new Error(`${values.length} values but ${operatingPoints.length} operating points`);
  }
  return Array.from(values, (x, i) => {
    try {
      return calibrate(x, operatingPoints[i]!, options);
    } catch (error) {
      throw new RangeError(`output ${i}: ${(error as Error).message}`, {cause: error});
    }
  });
}

/**
 * Inverse of Eq. 1 (without scaleUpper, which is not invertible once it clips at 1): the raw score
 * that calibrates to `p`. Use it to draw a calibrated threshold on the raw-score scale.
 */
export function uncalibrate(p: number, operatingPoint: number): number {
  checkOperatingPoint(operatingPoint);
  if (Number.isNaN(p)) return NaN;
  checkUnitInterval(p, "calibrated probability");
  return p <= 0.5 ? 2 * operatingPoint * p : 1 - 2 * (1 - operatingPoint) * (1 - p);
}
