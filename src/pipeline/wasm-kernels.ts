/**
 * Faster forms of a few TF.js wasm kernels that are written in JavaScript in the backend and were
 * most of the time of a saliency map (issue 16): the backward pass of a DenseNet splits its
 * gradient at every concatenation, and
 *
 * - SplitV (and Slice) read their input with `readSync`, a COPY of the whole tensor, once per
 *   output: a split into n pieces copied the tensor n times (through the dense blocks, tens of MB
 *   per map at 128 px), then copied each pixel's channels with a new subarray;
 * - Concat copies each pixel's channels of each input with a new subarray;
 * - Identity and a Cast to the same dtype copy their input, and TF.js runs them for every saved
 *   input of the gradient tape and for every ReLU's gradient mask.
 *
 * Here the copies move bytes within the wasm heap (`copyWithin`, a memmove), or share the data
 * (tensors are immutable; the cpu and WebGL backends share it the same way). Same values, bit for
 * bit (tests/wasm-kernels.test.ts compares each with the backend's own kernel).
 */
import * as tf from "@tensorflow/tfjs";

interface WasmData {
  memoryOffset: number;
}
interface WasmBackendLike {
  incRef(dataId: object): void;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  dataIdMap: {get(dataId: object): WasmData};
  wasm: {HEAPU8: Uint8Array};
}

const BYTES: Partial<Record<tf.DataType, number>> = {float32: 4, int32: 4, bool: 1};

/** The kernels replaced here, each with the backend's own kernel (kept for strings and for the tests). */
const originals = new Map<string, tf.KernelConfig>();

/** The backend's own kernel for `name` (tests compare with it), or undefined before installation. */
export function originalWasmKernel(name: string): tf.KernelConfig | undefined {
  return originals.get(name);
}

const offset = (backend: WasmBackendLike, t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId as object).memoryOffset;
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Shares the input's data (an immutable tensor needs no copy). */
function share(backend: WasmBackendLike, x: tf.TensorInfo, shape = x.shape): tf.TensorInfo {
  backend.incRef(x.dataId as object);
  return {dataId: x.dataId, shape: [...shape], dtype: x.dtype};
}

/**
 * Copies x[begin : begin + extent] into a new tensor, by runs of contiguous bytes within the heap.
 * The trailing axes that are taken whole and the last partial one make one run.
 */
function sliceInto(backend: WasmBackendLike, x: tf.TensorInfo, begin: number[], extent: number[]): tf.TensorInfo {
  const bytes = BYTES[x.dtype]!;
  const out = backend.makeOutput(extent, x.dtype);
  if (size(extent) === 0) return out;
  // Offsets after the allocation: it may have grown (and so replaced) the heap.
  const heap = backend.wasm.HEAPU8;
  const from = offset(backend, x);
  let to = offset(backend, out);
  const rank = x.shape.length;
  const strides = new Array<number>(rank);
  for (let d = rank - 1, s = bytes; d >= 0; d--) {
    strides[d] = s;
    s *= x.shape[d]!;
  }
  // The run: the trailing whole axes, and the axis before them.
  let axis = rank - 1;
  while (axis > 0 && extent[axis] === x.shape[axis] && begin[axis] === 0) axis--;
  const run = extent[axis]! * strides[axis]!;
  const base = from + begin.reduce((sum, b, d) => sum + b * strides[d]!, 0);
  if (axis === 0) {
    heap.copyWithin(to, base, base + run);
    return out;
  }
  // Walk the outer axes [0, axis) like an odometer.
  const index = new Array<number>(axis).fill(0);
  let source = base;
  for (;;) {
    heap.copyWithin(to, source, source + run);
    to += run;
    let d = axis - 1;
    for (; d >= 0; d--) {
      if (++index[d]! < extent[d]!) {
        source += strides[d]!;
        break;
      }
      source -= (extent[d]! - 1) * strides[d]!;
      index[d] = 0;
    }
    if (d < 0) return out;
  }
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

function slice(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const {inputs, attrs} = args;
  const x = inputs.x as tf.TensorInfo;
  if (!BYTES[x.dtype]) return originals.get("Slice")!.kernelFunc(args);
  if (x.shape.length === 0) return share(args.backend as unknown as WasmBackendLike, x);
  const [begin, extent] = tf.slice_util.parseSliceParams(x, attrs!.begin as number[], attrs!.size as number[]);
  return sliceInto(args.backend as unknown as WasmBackendLike, x, begin!, extent!);
}

function splitV(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const {inputs, attrs} = args;
  const x = inputs.x as tf.TensorInfo;
  if (!BYTES[x.dtype]) return originals.get("SplitV")!.kernelFunc(args);
  const axis = tf.util.parseAxisParam(attrs!.axis as number, x.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs!.numOrSizeSplits as number[] | number, axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const extent = [...x.shape];
    extent[axis] = s;
    const piece = sliceInto(args.backend as unknown as WasmBackendLike, x, [...begin], extent);
    begin[axis]! += s;
    return piece;
  });
}

function concat(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as unknown as WasmBackendLike;
  const all = args.inputs as unknown as tf.TensorInfo[];
  const first = all[0]!;
  if (!BYTES[first.dtype]) return originals.get("Concat")!.kernelFunc(args);
  const axis = tf.util.parseAxisParam(args.attrs!.axis as number, first.shape)[0]!;
  tf.backend_util.assertParamsConsistent(all.map((t) => t.shape), axis);
  const outShape = tf.backend_util.computeOutShape(all.map((t) => t.shape), axis);
  const inputs = all.filter((t) => size(t.shape) > 0);
  if (inputs.length === 1) return share(backend, inputs[0]!, outShape);
  const out = backend.makeOutput(outShape, first.dtype);
  if (size(outShape) === 0) return out;
  const bytes = BYTES[first.dtype]!;
  const heap = backend.wasm.HEAPU8;
  const outer = size(first.shape.slice(0, axis));
  const runs = inputs.map((t) => size(t.shape.slice(axis)) * bytes);
  const sources = inputs.map((t) => offset(backend, t));
  let to = offset(backend, out);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inputs.length; i++) {
      const run = runs[i]!;
      const from = sources[i]! + o * run;
      heap.copyWithin(to, from, from + run);
      to += run;
    }
  return out;
}

function cast(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const x = args.inputs.x as tf.TensorInfo;
  if (x.dtype === args.attrs!.dtype && x.dtype !== "string") return share(args.backend as unknown as WasmBackendLike, x);
  return originals.get("Cast")!.kernelFunc(args);
}

function identity(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const x = args.inputs.x as tf.TensorInfo;
  if (x.dtype === "string") return originals.get("Identity")!.kernelFunc(args);
  return share(args.backend as unknown as WasmBackendLike, x);
}

const REPLACEMENTS: Record<string, tf.KernelFunc> = {Identity: identity, Cast: cast, Slice: slice, SplitV: splitV, Concat: concat};

/** Registers the faster kernels for the wasm backend (once; the backend's own ones are kept aside). */
export function installFastWasmKernels(): void {
  for (const [name, kernelFunc] of Object.entries(REPLACEMENTS)) {
    if (originals.has(name)) continue;
    const original = tf.getKernel(name, "wasm");
    if (!original) continue;
    originals.set(name, original);
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel({kernelName: name, backendName: "wasm", kernelFunc});
  }
}

/** Whether `name`'s wasm kernel is this module's (a test guards against losing one silently). */
export function usesFastWasmKernel(name: string): boolean {
  return tf.getKernel(name, "wasm")?.kernelFunc === REPLACEMENTS[name];
}
