/**
 * A faster input gradient for convolutions. The wasm backend's Conv2DBackpropInput is slow (most
 * of the time of a saliency map once, and still ~0.1 s for a 224 px stem); the input gradient is
 * an ordinary convolution, which runs on the backend's fast Conv2D:
 *
 * - stride 1, dilation 1: a convolution of dy with the kernel flipped in space and its in/out
 *   channels swapped;
 * - stride s > 1 (equal on both axes), dilation 1: each of the s x s phases of dx (rows and columns
 *   at the same offset modulo s) is a stride-1 convolution of dy with every s-th tap of the flipped
 *   kernel. All phases run as one convolution (their kernels side by side as output channels), and
 *   depthToSpace interleaves them: the work of the forward convolution, not of the
 *   s^2-times-larger zero-stuffed input of a transposed convolution.
 *
 * Other convolutions keep TF.js's own gradient. The filter gradient is unchanged (inference never
 * needs it).
 *
 * The kernels made from a model's weight are made once and kept (`cacheConvKernels`): flipping on
 * every call cost more than the convolutions themselves (wasm's Reverse is slow, and the backend
 * prepares, XNNPACK-packs, each new filter tensor afresh, whereas a kept one is packed once).
 */
import * as tf from "@tensorflow/tfjs";

type Pad = "same" | "valid" | number | [[number, number], [number, number], [number, number], [number, number]];
interface Conv2DAttrs {
  strides: number | [number, number];
  pad: Pad;
  dataFormat: "NHWC" | "NCHW";
  dilations: number | [number, number];
}

const original = tf.getGradient("Conv2D");
let enabled = false;

const isOne = (v: number | [number, number]) => (Array.isArray(v) ? v.every((x) => x === 1) : v === 1);

/** The padding of the equivalent forward convolution, or null where the identity does not apply. */
function transposedPadding(pad: Pad, kh: number, kw: number): "same" | [[number, number], [number, number], [number, number], [number, number]] | null {
  if (pad === "valid") return [[0, 0], [kh - 1, kh - 1], [kw - 1, kw - 1], [0, 0]];
  if (pad === "same" && kh % 2 === 1 && kw % 2 === 1) return "same";
  return null;
}

/**
 * Kept kernels by weight. TF.js saves a copy of each input for the backward pass: a copy that
 * shares the weight's data (cpu, WebGL, and wasm with wasm-kernels.ts's sharing Identity) is found by its
 * data id; a copy of the data (wasm's own Identity) by its shape and a few sampled values, then
 * confirmed equal element by element.
 */
interface CachedKernel {
  weight: tf.Tensor4D;
  /** Made on first use, by form: "flip" (stride 1), "phases:s" (stride s). */
  kernels: Map<string, tf.Tensor4D>;
}
const cache = new Map<string, CachedKernel[]>();
/** The same entries by data id: where the saved copy shares the weight's data, found without reading it. */
const byDataId = new Map<object, CachedKernel>();

const SAMPLES = 8;
function signature(shape: number[], values: ArrayLike<number>): string {
  const n = values.length;
  const picks = Array.from({length: SAMPLES}, (_, i) => values[Math.floor((i * (n - 1)) / (SAMPLES - 1))]);
  return `${shape.join("x")}:${picks.join(",")}`;
}

/** Lets the fast gradient keep the flipped kernels of these weights (a model's constants). */
export function cacheConvKernels(weights: tf.Tensor[]): void {
  for (const w of weights) {
    if (w.rank !== 4 || w.dtype !== "float32") continue;
    const key = signature(w.shape, w.dataSync());
    const entries = cache.get(key) ?? [];
    if (!entries.some((e) => e.weight === w)) {
      const entry: CachedKernel = {weight: w as tf.Tensor4D, kernels: new Map()};
      entries.push(entry);
      byDataId.set(w.dataId as object, entry);
    }
    cache.set(key, entries);
  }
}

/** Disposes the kept kernels of these weights (call when disposing the model). */
export function releaseConvKernels(weights: tf.Tensor[]): void {
  for (const [key, entries] of cache) {
    const left = entries.filter((e) => {
      if (!weights.includes(e.weight)) return true;
      tf.dispose([...e.kernels.values()]);
      e.kernels.clear();
      if (byDataId.get(e.weight.dataId as object) === e) byDataId.delete(e.weight.dataId as object);
      return false;
    });
    if (left.length) cache.set(key, left);
    else cache.delete(key);
  }
}

function flip(filter: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = filter.shape;
    // A 1x1 kernel needs no flip, only the channel swap.
    const flipped = kh * kw === 1 ? filter : tf.reverse(filter, [0, 1]);
    return flipped.transpose([0, 1, 3, 2]) as tf.Tensor4D;
  });
}

/** Bit-for-bit equality of two float32 tensors' values (`a` already read). */
function equal(a: Float32Array, b: tf.Tensor): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const bv = b.dataSync() as Float32Array;
  const y = new Uint32Array(bv.buffer, bv.byteOffset, bv.length);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * dx's kernels for the s x s phases of a stride-s convolution, side by side as output channels:
 * K[th, tw, o, (ph s + pw) ci + c] = W[ph + s (M - 1 - th), pw + s (M - 1 - tw), c, o], zero past
 * the kernel's edge (M = ceil(k / s) taps per phase). Made in JavaScript once per weight.
 */
function phaseKernels(filter: tf.Tensor4D, s: number): tf.Tensor4D {
  const [kh, kw, ci, co] = filter.shape;
  const mh = Math.ceil(kh / s);
  const mw = Math.ceil(kw / s);
  const w = filter.dataSync();
  const out = new Float32Array(mh * mw * co * s * s * ci);
  const channels = s * s * ci;
  for (let th = 0; th < mh; th++)
    for (let tw = 0; tw < mw; tw++)
      for (let ph = 0; ph < s; ph++)
        for (let pw = 0; pw < s; pw++) {
          const i = ph + s * (mh - 1 - th);
          const j = pw + s * (mw - 1 - tw);
          if (i >= kh || j >= kw) continue;
          for (let c = 0; c < ci; c++)
            for (let o = 0; o < co; o++) out[((th * mw + tw) * co + o) * channels + (ph * s + pw) * ci + c] = w[((i * kw + j) * ci + c) * co + o]!;
        }
  return tf.tensor4d(out, [mh, mw, co, channels]);
}

/** The kept kernel of this form for a model's weight (found by data id, or by value), or a new one to dispose. */
function derivedKernel(filter: tf.Tensor4D, form: string): {kernel: tf.Tensor4D; kept: boolean} {
  const make = (w: tf.Tensor4D) => (form === "flip" ? flip(w) : phaseKernels(w, Number(form.split(":")[1])));
  let entry: CachedKernel | undefined = byDataId.get(filter.dataId as object);
  if (!entry || entry.weight.isDisposed) {
    const values = cache.size && filter.dtype === "float32" ? (filter.dataSync() as Float32Array) : null;
    entry = values ? cache.get(signature(filter.shape, values))?.find((e) => !e.weight.isDisposed && equal(values, e.weight)) : undefined;
  }
  if (!entry) return {kernel: make(filter), kept: false};
  let kernel = entry.kernels.get(form);
  if (!kernel || kernel.isDisposed) {
    kernel = tf.keep(make(entry.weight));
    entry.kernels.set(form, kernel);
  }
  return {kernel, kept: true};
}

/** dL/dx of a Conv2D as a Conv2D, or null when no fast form applies. */
export function convInputGradient(dy: tf.Tensor4D, filter: tf.Tensor4D, attrs: Conv2DAttrs, xShape?: number[]): tf.Tensor4D | null {
  if (!isOne(attrs.dilations) || attrs.dataFormat !== "NHWC") return null;
  const [kh, kw] = filter.shape;
  if (isOne(attrs.strides)) {
    const pad = transposedPadding(attrs.pad, kh, kw);
    if (pad === null) return null;
    const {kernel, kept} = derivedKernel(filter, "flip");
    try {
      return tf.conv2d(dy, kernel, 1, pad);
    } finally {
      if (!kept) kernel.dispose();
    }
  }
  const [sh, sw] = Array.isArray(attrs.strides) ? attrs.strides : [attrs.strides, attrs.strides];
  if (sh !== sw || !xShape || xShape.length !== 4) return null;
  return stridedInputGradient(dy, filter, attrs, xShape as [number, number, number, number], sh);
}

/** The phase form (module comment) for stride s. */
function stridedInputGradient(dy: tf.Tensor4D, filter: tf.Tensor4D, attrs: Conv2DAttrs, xShape: [number, number, number, number], s: number): tf.Tensor4D | null {
  const [n, h, w, ci] = xShape;
  const [kh, kw] = filter.shape;
  const info = tf.backend_util.computeConv2DInfo(xShape, filter.shape, s, 1, attrs.pad);
  if (info.outHeight !== dy.shape[1] || info.outWidth !== dy.shape[2]) return null;
  const {top, left} = info.padInfo;
  const mh = Math.ceil(kh / s);
  const mw = Math.ceil(kw / s);
  // Phase rows R = 0 .. lh - 1 cover dx's rows once the leading padding is counted.
  const lh = Math.ceil((h + top) / s);
  const lw = Math.ceil((w + left) / s);
  const {kernel, kept} = derivedKernel(filter, `phases:${s}`);
  try {
    return tf.tidy(() => {
      // dy rows past lh reach no pixel of dx.
      const used = dy.shape[1] > lh || dy.shape[2] > lw ? dy.slice([0, 0, 0, 0], [-1, Math.min(lh, dy.shape[1]), Math.min(lw, dy.shape[2]), -1]) : dy;
      const padded = used.pad([[0, 0], [mh - 1, lh - used.shape[1]], [mw - 1, lw - used.shape[2]], [0, 0]]);
      const phases = tf.conv2d(padded as tf.Tensor4D, kernel, 1, "valid");
      return tf.depthToSpace(phases, s).slice([0, top, left, 0], [n, h, w, ci]) as tf.Tensor4D;
    });
  } finally {
    if (!kept) kernel.dispose();
  }
}

let switchedOff = false;

/** Turns the fast gradient on or off for every later tf.grad (benchmarks compare both). */
export function setFastConvInputGradient(on: boolean): void {
  switchedOff = !on;
  if (on && !enabled) {
    tf.registerGradient({
      kernelName: "Conv2D",
      inputsToSave: ["x", "filter"],
      gradFunc: (dy, saved, attrs) => {
        const fallback = original.gradFunc(dy, saved, attrs);
        const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
        return {
          x: () => convInputGradient(dy as tf.Tensor4D, filter, attrs as unknown as Conv2DAttrs, x.shape) ?? fallback.x!(),
          filter: fallback.filter!
        };
      }
    });
  } else if (!on && enabled) {
    tf.registerGradient(original);
  }
  enabled = on;
}

/** On by default: called before input gradients are taken, unless switched off explicitly. */
export function useFastConvInputGradient(): void {
  if (!enabled && !switchedOff) setFastConvInputGradient(true);
}
