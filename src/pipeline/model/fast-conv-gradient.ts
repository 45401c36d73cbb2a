/**
 * A faster input gradient for stride-1 convolutions. The wasm backend's Conv2DBackpropInput is slow
 * (most of the time of a saliency map); for stride 1 and dilation 1 the input gradient is an
 * ordinary convolution of dy with the kernel flipped in space and its in/out channels swapped,
 * which runs on the backend's fast Conv2D. Other convolutions keep TF.js's own gradient. The
 * filter gradient is unchanged (inference never needs it).
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

/** dL/dx of a stride-1 Conv2D as a Conv2D, or null when the fast form does not apply. */
export function convInputGradient(dy: tf.Tensor4D, filter: tf.Tensor4D, attrs: Conv2DAttrs): tf.Tensor4D | null {
  if (!isOne(attrs.strides) || !isOne(attrs.dilations) || attrs.dataFormat !== "NHWC") return null;
  const [kh, kw] = filter.shape;
  const pad = transposedPadding(attrs.pad, kh, kw);
  if (pad === null) return null;
  return tf.tidy(() => tf.conv2d(dy, tf.reverse(filter, [0, 1]).transpose([0, 1, 3, 2]) as tf.Tensor4D, 1, pad));
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
