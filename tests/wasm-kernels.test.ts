/**
 * The faster wasm kernels (src/pipeline/wasm-kernels.ts) give the backend's own kernels' values,
 * bit for bit, on every axis and shape form they take (whole, partial and empty pieces, ranks 1-5,
 * float32, int32 and bool), and they are the ones registered once the backend starts.
 */
import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {originalWasmKernel, usesFastWasmKernel} from "../src/pipeline/wasm-kernels.js";
import {randomValues} from "./helpers/models.js";

beforeAll(async () => {
  expect(await initBackend({prefer: ["wasm"]})).toBe("wasm");
});

/** The backend's own kernel `name` on these inputs, as tensors. */
function own(name: string, inputs: tf.NamedTensorMap | tf.Tensor[], attrs: Record<string, unknown>): tf.Tensor[] {
  const out = originalWasmKernel(name)!.kernelFunc({inputs: inputs as unknown as tf.NamedTensorMap, attrs: attrs as tf.NamedAttrMap, backend: tf.backend()});
  return (Array.isArray(out) ? out : [out]).map((info) => tf.engine().makeTensorFromTensorInfo(info));
}

function same(ours: tf.Tensor[], theirs: tf.Tensor[]) {
  expect(ours.map((t) => t.shape)).toEqual(theirs.map((t) => t.shape));
  expect(ours.map((t) => t.dtype)).toEqual(theirs.map((t) => t.dtype));
  ours.forEach((t, i) => expect(Array.from(t.dataSync())).toEqual(Array.from(theirs[i]!.dataSync())));
  tf.dispose([...ours, ...theirs]);
}

function tensor(shape: number[], dtype: "float32" | "int32" | "bool", seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = randomValues(n, seed, 10);
  if (dtype === "float32") return tf.tensor(values, shape);
  if (dtype === "int32") return tf.tensor(Array.from(values, Math.round), shape, "int32");
  return tf.tensor(Array.from(values, (v) => v > 0), shape, "bool");
}

describe("faster wasm kernels", () => {
  it("are the ones registered for wasm", () => {
    for (const name of ["Identity", "Cast", "Slice", "SplitV", "Concat"]) expect(usesFastWasmKernel(name), name).toBe(true);
  });

  it.each([
    [[7], [2], [4]],
    [[5, 6], [1, 0], [3, 6]],
    [[5, 6], [0, 2], [5, 3]],
    [[2, 5, 6, 7], [0, 1, 2, 0], [2, 3, 3, 7]],
    [[2, 5, 6, 7], [1, 0, 0, 3], [1, 5, 6, 2]],
    [[1, 4, 4, 3], [0, 0, 0, 0], [1, 4, 4, 3]],
    [[2, 3, 4, 5, 6], [1, 1, 0, 2, 1], [1, 2, 4, 3, 5]],
    [[3, 4], [1, 1], [0, 2]]
  ])("Slice %j from %j, size %j equals the backend's", (shape, begin, size) => {
    for (const [i, dtype] of (["float32", "int32", "bool"] as const).entries()) {
      const x = tensor(shape, dtype, 20 + i);
      same([tf.slice(x, begin, size)], own("Slice", {x}, {begin, size}));
      x.dispose();
    }
  });

  it.each([
    [[1, 8, 8, 96], [64, 32], 3],
    [[1, 8, 8, 96], [32, 32, 32], -1],
    [[2, 6, 5, 4], [1, 3, 2], 1],
    [[2, 6, 5, 4], [2, 0], 0],
    [[12], [5, 7], 0],
    [[3, 4, 5], 5, 2]
  ])("SplitV of %j into %j on axis %i equals the backend's", (shape, splits, axis) => {
    for (const [i, dtype] of (["float32", "int32", "bool"] as const).entries()) {
      const x = tensor(shape, dtype, 30 + i);
      same(tf.split(x, splits, axis), own("SplitV", {x}, {numOrSizeSplits: splits, axis}));
      x.dispose();
    }
  });

  it.each([
    [[[1, 8, 8, 64], [1, 8, 8, 32], [1, 8, 8, 32]], 3],
    [[[2, 3, 4], [2, 5, 4]], 1],
    [[[2, 3], [4, 3], [0, 3]], 0],
    [[[3, 1], [3, 2]], -1],
    [[[4], [0]], 0],
    [[[2, 2, 2, 2, 1], [2, 2, 2, 2, 3]], 4]
  ])("Concat of %j on axis %i equals the backend's", (shapes, axis) => {
    for (const [i, dtype] of (["float32", "int32", "bool"] as const).entries()) {
      const xs = shapes.map((s, j) => tensor(s, dtype, 40 + 3 * j + i));
      same([tf.concat(xs, axis)], own("Concat", xs, {axis}));
      tf.dispose(xs);
    }
  });

  it("Cast and Identity share the data where the backend copies it, and still convert", () => {
    const x = tensor([3, 4], "float32", 50);
    const cast = tf.cast(x, "float32");
    const clone = tf.clone(x);
    expect(cast.dataId).toBe(x.dataId);
    expect(clone.dataId).toBe(x.dataId);
    // Disposing the input leaves the shared data alive for the others.
    const values = Array.from(x.dataSync());
    x.dispose();
    expect(Array.from(cast.dataSync())).toEqual(values);
    expect(Array.from(clone.dataSync())).toEqual(values);
    const ints = tf.cast(cast, "int32");
    const bools = tf.cast(cast, "bool");
    same([ints, bools], [...own("Cast", {x: cast}, {dtype: "int32"}), ...own("Cast", {x: cast}, {dtype: "bool"})]);
    tf.dispose([cast, clone]);
  });
});
