/**
 * A faster input gradient for stride-1 convolutions. The wasm backend's Conv2DBackpropInput is slow
 * (most of the time of a saliency map); for stride 1 and dilation 1 the input gradient is an
 * ordinary convolution of dy with the kernel flipped in space and its in/out channels swapped,
 * which runs on the backend's fast Conv2D. Other convolutions keep TF.js's own gradient. The
 * filter gradient is unchanged (inference never needs it).
 *
 * The flipped kernel of a model's weight is made once and kept (`cacheConvKernels`): flipping on
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
  kernel: tf.Tensor4D | null;
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
      const entry = {weight: w as tf.Tensor4D, kernel: null};
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
      e.kernel?.dispose();
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

function transposedKernel(filter: tf.Tensor4D): {kernel: tf.Tensor4D; kept: boolean} {
  const shared = byDataId.get(filter.dataId as object);
  if (shared && !shared.weight.isDisposed) {
    if (!shared.kernel || shared.kernel.isDisposed) shared.kernel = tf.keep(flip(shared.weight));
    return {kernel: shared.kernel, kept: true};
  }
  const values = cache.size && filter.dtype === "float32" ? (filter.dataSync() as Float32Array) : null;
  const entries = values ? cache.get(signature(filter.shape, values)) : undefined;
  const entry = entries?.find((e) => !e.weight.isDisposed && equal(values!, e.weight));
  if (!entry) return {kernel: flip(filter), kept: false};
  if (!entry.kernel || entry.kernel.isDisposed) entry.kernel = tf.keep(flip(entry.weight));
  return {kernel: entry.kernel, kept: true};
}

/** dL/dx of a stride-1 Conv2D as a Conv2D, or null when the fast form does not apply. */
export function convInputGradient(dy: tf.Tensor4D, filter: tf.Tensor4D, attrs: Conv2DAttrs): tf.Tensor4D | null {
  if (!isOne(attrs.strides) || !isOne(attrs.dilations) || attrs.dataFormat !== "NHWC") return null;
  const [kh, kw] = filter.shape;
  const pad = transposedPadding(attrs.pad, kh, kw);
  if (pad === null) return null;
  const {kernel, kept} = transposedKernel(filter);
  try {
    return tf.conv2d(dy, kernel, 1, pad);
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
        const [, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
        return {
          x: () => convInputGradient(dy as tf.Tensor4D, filter, attrs as unknown as Conv2DAttrs) ?? fallback.x!(),
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
