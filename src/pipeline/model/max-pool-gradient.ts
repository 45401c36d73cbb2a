/**
 * A backend-independent MaxPool gradient. Where a pooling window holds several equal maxima, the
 * gradient goes to ONE of them, and backends disagree on which: PyTorch and TF.js's cpu backend pick
 * the first in row-major window order, TF.js's wasm backend the last. Black borders make tied windows
 * common (a constant region gives equal activations), and saliency then differed from PyTorch by up
 * to a third of its maximum on wasm. This gradient sends each window's gradient to its first
 * maximum on every backend, as fast-conv-gradient.ts does for Conv2D's input gradient:
 *
 * - on wasm and cpu by a kernel of its own, `FirstMaxPoolGrad`: one pass over the windows in
 *   JavaScript, reading the tensors where they lie (the wasm heap). Built from ordinary ops it cost
 *   more than the rest of a saliency map on wasm (strided slices, and a channel-by-channel concat
 *   that wasm copies element by element: ~0.5 s of a 1.4 s map at 128 px);
 * - elsewhere (WebGL, WebGPU) from ordinary ops (strided slices, comparisons and a one-hot
 *   transposed convolution), which a GPU runs in parallel.
 */
import * as tf from "@tensorflow/tfjs";

interface MaxPoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: "valid" | "same" | number;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

const original = tf.getGradient("MaxPool");
let enabled = false;
let switchedOff = false;

/** The kernel's name, as tf.profile reports it (tests count it). */
export const FIRST_MAX_POOL_GRAD = "FirstMaxPoolGrad";

const pair = (v: number | [number, number]): [number, number] => (Array.isArray(v) ? v : [v, v]);

/** Where the windows are: TF.js's own pooling geometry (what the forward MaxPool used). */
function geometry(shape: number[], attrs: MaxPoolAttrs) {
  return tf.backend_util.computePool2DInfo(shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
}

/**
 * dx of one MaxPool, first maximum of each window (row-major), NHWC, into `dx` (zeroed). Pixels
 * outside the input are padding, which never wins a window in TF (it is -infinity).
 */
function routeFirstMax(x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, info: ReturnType<typeof geometry>): void {
  const {batchSize, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw} = info;
  const {top, left} = info.padInfo;
  // The window's pixels inside the input, in row-major order (their offsets in x).
  const taps = new Int32Array(kh * kw);
  for (let b = 0; b < batchSize; b++)
    for (let p = 0; p < ho; p++)
      for (let q = 0; q < wo; q++) {
        let n = 0;
        for (let i = 0; i < kh; i++) {
          const r = p * sh - top + i;
          if (r < 0 || r >= h) continue;
          for (let j = 0; j < kw; j++) {
            const col = q * sw - left + j;
            if (col >= 0 && col < w) taps[n++] = ((b * h + r) * w + col) * c;
          }
        }
        const o = ((b * ho + p) * wo + q) * c;
        for (let k = 0; k < c; k++) {
          const max = y[o + k]!;
          for (let t = 0; t < n; t++)
            if (x[taps[t]! + k] === max) {
              dx[taps[t]! + k]! += dy[o + k]!;
              break;
            }
        }
      }
}

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}
interface CpuBackendLike {
  readSync(dataId: object): Float32Array;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

function registerKernels(): void {
  if (!tf.getKernel(FIRST_MAX_POOL_GRAD, "wasm"))
    tf.registerKernel({
      kernelName: FIRST_MAX_POOL_GRAD,
      backendName: "wasm",
      kernelFunc: ({inputs, attrs, backend}) => {
        const [x, y, dy] = [inputs.x, inputs.y, inputs.dy] as tf.TensorInfo[];
        const wasm = backend as unknown as WasmBackendLike;
        const out = wasm.makeOutput([...x!.shape], "float32");
        // Views after the allocation, which may have grown the heap.
        const dx = wasm.typedArrayFromHeap(out);
        dx.fill(0);
        routeFirstMax(wasm.typedArrayFromHeap(x!), wasm.typedArrayFromHeap(y!), wasm.typedArrayFromHeap(dy!), dx, geometry(x!.shape, attrs as unknown as MaxPoolAttrs));
        return out;
      }
    });
  if (!tf.getKernel(FIRST_MAX_POOL_GRAD, "cpu"))
    tf.registerKernel({
      kernelName: FIRST_MAX_POOL_GRAD,
      backendName: "cpu",
      kernelFunc: ({inputs, attrs, backend}) => {
        const [x, y, dy] = [inputs.x, inputs.y, inputs.dy] as tf.TensorInfo[];
        const cpu = backend as unknown as CpuBackendLike;
        const dx = new Float32Array(x!.shape.reduce((a, b) => a * b, 1));
        routeFirstMax(cpu.readSync(x!.dataId), cpu.readSync(y!.dataId), cpu.readSync(dy!.dataId), dx, geometry(x!.shape, attrs as unknown as MaxPoolAttrs));
        return cpu.makeTensorInfo([...x!.shape], "float32", dx);
      }
    });
}

/**
 * dL/dx of y = maxPool(x) with the gradient of each window sent to its first maximum (row-major
 * within the window), x and y [N, H, W, C]: the kernel where the backend has it, else ordinary ops.
 */
export function firstMaxPoolGradient(dy: tf.Tensor4D, x: tf.Tensor4D, y: tf.Tensor4D, attrs: MaxPoolAttrs): tf.Tensor4D | null {
  registerKernels();
  if (x.dtype === "float32" && tf.getKernel(FIRST_MAX_POOL_GRAD, tf.getBackend()))
    return tf.engine().runKernel(FIRST_MAX_POOL_GRAD, {x, y, dy} as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  return firstMaxPoolGradientOps(dy, x, y, attrs);
}

/** The same gradient from ordinary ops (any backend; what GPU backends run); null for a form it does not handle. */
export function firstMaxPoolGradientOps(dy: tf.Tensor4D, x: tf.Tensor4D, y: tf.Tensor4D, attrs: MaxPoolAttrs): tf.Tensor4D | null {
  if (attrs.dimRoundingMode != null) return null;
  const [kh, kw] = pair(attrs.filterSize);
  const [sh, sw] = pair(attrs.strides);
  const [n, h, w, c] = x.shape;
  const [, ho, wo] = y.shape;
  const {top, left} = geometry(x.shape, attrs).padInfo;
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
