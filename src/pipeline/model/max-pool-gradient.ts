/**
 * A backend-independent MaxPool gradient. Where a pooling window holds several equal maxima, the
 * gradient goes to ONE of them, and backends disagree on which: PyTorch and TF.js's cpu backend pick
 * the first in row-major window order, TF.js's wasm backend the last. Black borders make tied windows
 * common (a constant region gives equal activations), and saliency then differed from PyTorch by up
 * to a third of its maximum on wasm. This gradient picks the first maximum with ordinary ops
 * (strided slices, comparisons and a one-hot transposed convolution), so every backend agrees with
 * PyTorch, as fast-conv-gradient.ts does for Conv2D's input gradient.
 */
import * as tf from "@tensorflow/tfjs";

interface MaxPoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: "valid" | "same" | number;
  dimRoundingMode?: string;
}

const original = tf.getGradient("MaxPool");
let enabled = false;
let switchedOff = false;

const pair = (v: number | [number, number]): [number, number] => (Array.isArray(v) ? v : [v, v]);

/** Leading padding (top or left) of TF's "same" / "valid" / explicit padding. */
function leadingPad(pad: MaxPoolAttrs["pad"], inSize: number, outSize: number, k: number, s: number): number | null {
  if (pad === "valid") return 0;
  if (pad === "same") return Math.floor(Math.max((outSize - 1) * s + k - inSize, 0) / 2);
  if (typeof pad === "number") return pad;
  return null;
}

/**
 * dL/dx of y = maxPool(x) with the gradient of each window sent to its first maximum (row-major
 * within the window), x and y [N, H, W, C]; null for a form this does not handle (dilated, rounded).
 */
export function firstMaxPoolGradient(dy: tf.Tensor4D, x: tf.Tensor4D, y: tf.Tensor4D, attrs: MaxPoolAttrs): tf.Tensor4D | null {
  if (attrs.dimRoundingMode != null) return null;
  const [kh, kw] = pair(attrs.filterSize);
  const [sh, sw] = pair(attrs.strides);
  const [n, h, w, c] = x.shape;
  const [, ho, wo] = y.shape;
  const top = leadingPad(attrs.pad, h, ho, kh, sh);
  const left = leadingPad(attrs.pad, w, wo, kw, sw);
  if (top === null || left === null) return null;
  return tf.tidy(() => {
    // Channels into the batch, so one transposed convolution with a single output channel scatters them all.
    const planes = (t: tf.Tensor4D) => t.transpose([0, 3, 1, 2]).reshape([n * c, t.shape[1], t.shape[2], 1]) as tf.Tensor4D;
    const spanH = (ho - 1) * sh + kh;
    const spanW = (wo - 1) * sw + kw;
    // Padding never wins a window in TF (it is -infinity), so pad with -infinity.
    const padded = tf.pad(planes(x), [[0, 0], [top, Math.max(0, spanH - h - top)], [left, Math.max(0, spanW - w - left)], [0, 0]], -Infinity);
    const yPlanes = planes(y);
    const dyPlanes = planes(dy);
    let taken = tf.zerosLike(yPlanes).cast("bool");
    const routed: tf.Tensor4D[] = [];
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++) {
        const tap = tf.stridedSlice(padded, [0, i, j, 0], [n * c, i + (ho - 1) * sh + 1, j + (wo - 1) * sw + 1, 1], [1, sh, sw, 1]);
        const first = tf.logicalAnd(tap.equal(yPlanes), tf.logicalNot(taken));
        taken = tf.logicalOr(taken, first);
        routed.push(dyPlanes.mul(first.cast("float32")) as tf.Tensor4D);
      }
    // Tap t of window (p, q) lands on padded pixel (p sh + i, q sw + j): a one-hot kernel per tap.
    const oneHot = new Float32Array(kh * kw * kh * kw);
    for (let t = 0; t < kh * kw; t++) oneHot[t * kh * kw + t] = 1;
    const kernel = tf.tensor4d(oneHot, [kh, kw, 1, kh * kw]);
    const scattered = tf.conv2dTranspose(tf.concat(routed, 3) as tf.Tensor4D, kernel, [n * c, spanH, spanW, 1], [sh, sw], "valid");
    const cropped = scattered.slice([0, top, left, 0], [n * c, Math.min(h, spanH - top), Math.min(w, spanW - left), 1]);
    // Pixels beyond the last window (valid padding) get no gradient.
    const full = cropped.pad([[0, 0], [0, h - cropped.shape[1]], [0, w - cropped.shape[2]], [0, 0]]);
    return full.reshape([n, c, h, w]).transpose([0, 2, 3, 1]) as tf.Tensor4D;
  });
}

/** Turns the first-maximum MaxPool gradient on or off for every later tf.grad (tests compare both). */
export function setFirstMaxPoolGradient(on: boolean): void {
  switchedOff = !on;
  if (on && !enabled) {
    tf.registerGradient({
      kernelName: "MaxPool",
      inputsToSave: ["x"],
      outputsToSave: [true],
      gradFunc: (dy, saved, attrs) => {
        const [x, y] = saved as [tf.Tensor4D, tf.Tensor4D];
        return {x: () => firstMaxPoolGradient(dy as tf.Tensor4D, x, y, attrs as unknown as MaxPoolAttrs) ?? original.gradFunc(dy, saved, attrs).x!()};
      }
    });
  } else if (!on && enabled) {
    tf.registerGradient(original);
  }
  enabled = on;
}

/** On by default: called before input gradients are taken, unless switched off explicitly. */
export function useFirstMaxPoolGradient(): void {
  if (!enabled && !switchedOff) setFirstMaxPoolGradient(true);
}
