/**
 * Pixels ordered by relevance, the step every perturbation metric starts from (Black Average Drop's
 * top alpha %, deletion and insertion curves, ROAD).
 *
 * Ties. A ReLU'd map (Grad-CAM, Grad-CAM++) is exactly 0 on much of the image; when its positive area
 * is smaller than the share to keep, the rest must come from a tied group. Breaking ties by position
 * (as a sort or tf.topk does) fills it from the top rows: a spatial bias that the metric then scores.
 * Here ties are broken by a fixed pseudo-random order of the positions (mulberry32, seed TIE_SEED, the
 * same for every image of a size): reproducible, identical in Node and the browser, and with no
 * preferred place in the image. The selection also reports how many pixels were chosen from the tied
 * group, so the true area the map singles out stays visible.
 */
import {mulberry32} from "../metrics.js";

export const TIE_SEED = 20181;

const tieKeys = new Map<number, Float64Array>();

/** The tie-breaking key of each position of an n-pixel map (cached per n). */
function keysFor(n: number): Float64Array {
  let keys = tieKeys.get(n);
  if (!keys) {
    const random = mulberry32(TIE_SEED);
    keys = Float64Array.from({length: n}, () => random());
    tieKeys.set(n, keys);
  }
  return keys;
}

/** Every pixel index, most relevant first; equal values in the seeded random order. NaN counts as least relevant. */
export function relevanceOrder(heat: ArrayLike<number>): Int32Array {
  const n = heat.length;
  const keys = keysFor(n);
  const value = (i: number) => {
    const v = heat[i]!;
    return Number.isNaN(v) ? -Infinity : v;
  };
  const order = Int32Array.from({length: n}, (_, i) => i);
  order.sort((a, b) => value(b) - value(a) || keys[a]! - keys[b]! || a - b);
  return order;
}

/** The top `count` pixels of a map and how much of that came from a tie at the cut. */
export interface TopSelection {
  /** 1 for a kept pixel, else 0, row-major like the map. */
  mask: Float32Array;
  kept: number;
  /** Pixels strictly above the cut value: the area the map itself singles out. */
  strictlyAbove: number;
  /** Kept pixels decided by the tie-break: from a group tied at the cut value that did not fit whole (0 when it did). */
  chosenByTieBreak: number;
  /** Size of the tied group at the cut. */
  tiedAtCut: number;
}

/** Pixels kept for `alphaPercent` % of n: round(alpha n / 100), at least 1. */
export function keptCount(n: number, alphaPercent: number): number {
  if (!(alphaPercent > 0 && alphaPercent <= 100)) throw new RangeError(`alpha must be in (0, 100] percent, got ${alphaPercent}`);
  return Math.min(n, Math.max(1, Math.round((alphaPercent / 100) * n)));
}

/** The top alpha % of the map by relevance (ties as above). */
export function topSelection(heat: ArrayLike<number>, alphaPercent: number, order: Int32Array = relevanceOrder(heat)): TopSelection {
  const n = heat.length;
  const kept = keptCount(n, alphaPercent);
  const mask = new Float32Array(n);
  for (let r = 0; r < kept; r++) mask[order[r]!] = 1;
  const cut = heat[order[kept - 1]!]!;
  let strictlyAbove = 0;
  let tiedAtCut = 0;
  for (let i = 0; i < n; i++) {
    const v = heat[i]!;
    if (v > cut) strictlyAbove++;
    else if (v === cut) tiedAtCut++;
  }
  return {mask, kept, strictlyAbove, chosenByTieBreak: tiedAtCut > kept - strictlyAbove ? kept - strictlyAbove : 0, tiedAtCut};
}
