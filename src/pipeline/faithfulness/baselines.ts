/**
 * Perturbation baselines: what a "removed" pixel becomes. Every perturbation metric (Average Drop,
 * Black Average Drop, deletion and insertion, ROAD) removes pixels, and its ranking of methods
 * depends on what replaces them (Quantus and torch-cam report rankings that flip with it), so the
 * baseline is a control of each metric rather than a fixed choice:
 *
 * - black: 0 in the image's own intensity (Black Average Drop; RISE's deletion);
 * - mean: the image's mean intensity;
 * - blur: a Gaussian-blurred copy of the image (RISE's insertion canvas);
 * - noisy linear imputation (ROAD, Rong et al. 2022): each removed pixel is the weighted mean of its
 *   8 neighbours (1/6 direct, 1/12 diagonal), removed neighbours included, solved as one linear
 *   system, plus Gaussian noise; it leaves no sharp edge for the model to read the mask from.
 *
 * Images are grey, row-major, in [0, 1]; `removed` is 1 where a pixel is removed. Plain arrays, the
 * same in Node and the browser.
 */
import {seededNormalFn} from "./random.js";

export type BaselineName = "black" | "mean" | "blur" | "noisy-linear";

export interface Baseline {
  readonly name: BaselineName;
  readonly label: string;
  /** The image with every removed pixel replaced (kept pixels unchanged). */
  replace(image: Float32Array, height: number, width: number, removed: Uint8Array): Float32Array;
}

function check(image: Float32Array, height: number, width: number, removed: Uint8Array): void {
  if (image.length !== height * width || removed.length !== height * width)
    throw new RangeError(`image and mask must hold ${height} x ${width} = ${height * width} pixels (got ${image.length} and ${removed.length})`);
}

function fillFrom(image: Float32Array, removed: Uint8Array, source: (i: number) => number): Float32Array {
  const out = Float32Array.from(image);
  for (let i = 0; i < out.length; i++) if (removed[i]) out[i] = source(i);
  return out;
}

function mean(image: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < image.length; i++) s += image[i]!;
  return image.length ? s / image.length : 0;
}

export const BLACK: Baseline = {
  name: "black",
  label: "black",
  replace(image, height, width, removed) {
    check(image, height, width, removed);
    return fillFrom(image, removed, () => 0);
  }
};

export const MEAN: Baseline = {
  name: "mean",
  label: "image mean",
  replace(image, height, width, removed) {
    check(image, height, width, removed);
    const m = mean(image);
    return fillFrom(image, removed, () => m);
  }
};

/**
 * Separable Gaussian blur; near the border the kernel is cut and renormalised (no padding value
 * enters the image).
 */
export function gaussianBlur(image: Float32Array, height: number, width: number, sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = Float64Array.from({length: 2 * radius + 1}, (_, k) => Math.exp(-((k - radius) ** 2) / (2 * sigma * sigma)));
  const pass = (src: Float32Array, along: "row" | "column") => {
    const out = new Float32Array(src.length);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        let s = 0;
        let w = 0;
        for (let k = -radius; k <= radius; k++) {
          const yy = along === "column" ? y + k : y;
          const xx = along === "row" ? x + k : x;
          if (yy < 0 || yy >= height || xx < 0 || xx >= width) continue;
          const kw = kernel[k + radius]!;
          s += kw * src[yy * width + xx]!;
          w += kw;
        }
        out[y * width + x] = s / w;
      }
    return out;
  };
  return pass(pass(image, "row"), "column");
}

/** Blur baseline; sigma in pixels, by default 5 % of the image's shorter side (at least 1). */
export function blurBaseline(sigma?: number): Baseline {
  return {
    name: "blur",
    label: "blurred",
    replace(image, height, width, removed) {
      check(image, height, width, removed);
      const blurred = gaussianBlur(image, height, width, sigma ?? Math.max(1, 0.05 * Math.min(height, width)));
      return fillFrom(image, removed, (i) => blurred[i]!);
    }
  };
}

const NEIGHBOURS: [number, number, number][] = [
  [-1, -1, 1 / 12], [-1, 0, 1 / 6], [-1, 1, 1 / 12],
  [0, -1, 1 / 6], [0, 1, 1 / 6],
  [1, -1, 1 / 12], [1, 0, 1 / 6], [1, 1, 1 / 12]
];

/**
 * ROAD's linear imputation without noise: the removed pixels x solve, for each removed pixel i,
 * (sum of its in-image neighbours' weights) x_i = sum_j w_ij v_j over those neighbours (known
 * values or unknowns). The system is symmetric positive definite whenever some pixel is known
 * (every removed region borders a known pixel), so conjugate gradients solve it to `tolerance`.
 * With nothing known there is no neighbour to impute from: the image's mean is used.
 */
export function linearImputation(image: Float32Array, height: number, width: number, removed: Uint8Array, tolerance = 1e-7): Float32Array {
  check(image, height, width, removed);
  const n = height * width;
  const unknown: number[] = [];
  const index = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) if (removed[i]) index[i] = unknown.push(i) - 1;
  const out = Float32Array.from(image);
  const m = unknown.length;
  if (!m) return out;
  if (m === n) return out.fill(mean(image));
  // Per unknown: its diagonal (sum of in-image neighbour weights), right-hand side, and unknown neighbours.
  const diagonal = new Float64Array(m);
  const rhs = new Float64Array(m);
  const links: number[][] = Array.from({length: m}, () => []);
  const linkWeights: number[][] = Array.from({length: m}, () => []);
  for (let u = 0; u < m; u++) {
    const i = unknown[u]!;
    const y = Math.floor(i / width);
    const x = i - y * width;
    for (const [dy, dx, w] of NEIGHBOURS) {
      const yy = y + dy;
      const xx = x + dx;
      if (yy < 0 || yy >= height || xx < 0 || xx >= width) continue;
      const j = yy * width + xx;
      diagonal[u] += w;
      if (removed[j]) {
        links[u]!.push(index[j]!);
        linkWeights[u]!.push(w);
      } else rhs[u] += w * image[j]!;
    }
  }
  const apply = (v: Float64Array, out: Float64Array) => {
    for (let u = 0; u < m; u++) {
      let s = diagonal[u]! * v[u]!;
      const l = links[u]!;
      const lw = linkWeights[u]!;
      for (let k = 0; k < l.length; k++) s -= lw[k]! * v[l[k]!]!;
      out[u] = s;
    }
  };
  // Conjugate gradients from the known mean.
  const known = mean(Array.from({length: n}, (_, i) => i).filter((i) => !removed[i]).map((i) => image[i]!));
  const x = new Float64Array(m).fill(known);
  const r = new Float64Array(m);
  const p = new Float64Array(m);
  const q = new Float64Array(m);
  apply(x, q);
  let rr = 0;
  let bb = 0;
  for (let u = 0; u < m; u++) {
    r[u] = rhs[u]! - q[u]!;
    p[u] = r[u]!;
    rr += r[u]! * r[u]!;
    bb += rhs[u]! * rhs[u]!;
  }
  const stop = tolerance * tolerance * Math.max(bb, 1e-30);
  for (let iteration = 0; iteration < 10 * m && rr > stop; iteration++) {
    apply(p, q);
    let pq = 0;
    for (let u = 0; u < m; u++) pq += p[u]! * q[u]!;
    const step = rr / pq;
    let next = 0;
    for (let u = 0; u < m; u++) {
      x[u] += step * p[u]!;
      r[u] -= step * q[u]!;
      next += r[u]! * r[u]!;
    }
    const beta = next / rr;
    rr = next;
    for (let u = 0; u < m; u++) p[u] = r[u]! + beta * p[u]!;
  }
  for (let u = 0; u < m; u++) out[unknown[u]!] = x[u]!;
  return out;
}

/** ROAD's noisy linear imputation: linear imputation plus N(0, noise^2) on each removed pixel (seeded). */
export function noisyLinearBaseline(noise = 0.01, seed = 7): Baseline {
  return {
    name: "noisy-linear",
    label: "noisy linear imputation",
    replace(image, height, width, removed) {
      const filled = linearImputation(image, height, width, removed);
      const normal = seededNormalFn(seed);
      for (let i = 0; i < filled.length; i++) if (removed[i]) filled[i] += noise * normal();
      return filled;
    }
  };
}

export const BASELINE_NAMES: BaselineName[] = ["black", "mean", "blur", "noisy-linear"];

/** A baseline by name, with its default settings. */
export function baselineByName(name: string): Baseline {
  switch (name) {
    case "black":
      return BLACK;
    case "mean":
      return MEAN;
    case "blur":
      return blurBaseline();
    case "noisy-linear":
      return noisyLinearBaseline();
    default:
      throw new RangeError(`unknown perturbation baseline "${name}" (one of ${BASELINE_NAMES.join(", ")})`);
  }
}

/** The baseline image itself: every pixel removed (the canvas insertion starts from, and AD's blend). */
export function baselineImage(baseline: Baseline, image: Float32Array, height: number, width: number): Float32Array {
  return baseline.replace(image, height, width, new Uint8Array(height * width).fill(1));
}
