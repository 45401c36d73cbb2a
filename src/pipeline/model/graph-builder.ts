/**
 * Writes TF.js graph models (model.json + one weight file) from a few ops, with weights the caller
 * knows exactly. Tests use it to build small models; it is also the reference for the format the
 * PyTorch exporter writes (training/export.py emits the same node and attribute shapes).
 */
import type * as tf from "@tensorflow/tfjs";

type Attr = Record<string, unknown>;
interface NodeDef {
  name: string;
  op: string;
  input: string[];
  attr: Attr;
}

const FLOAT = {type: "DT_FLOAT"};
const encode = (s: string) => btoa(s);
const ints = (values: number[]) => ({list: {i: values.map(String)}});
const shapeOf = (shape: number[]) => ({dim: shape.map((size) => ({size: String(size)}))});

export class GraphBuilder {
  private readonly nodes: NodeDef[] = [];
  private readonly weights: {name: string; shape: number[]; dtype: "float32" | "int32"; data: Float32Array | Int32Array}[] = [];

  placeholder(name: string, shape: number[]): string {
    this.nodes.push({name, op: "Placeholder", input: [], attr: {dtype: FLOAT, shape: {shape: shapeOf(shape)}}});
    return name;
  }

  constant(name: string, values: ArrayLike<number>, shape: number[], dtype: "float32" | "int32" = "float32"): string {
    const size = shape.reduce((a, b) => a * b, 1);
    if (values.length !== size) throw new Error(`constant ${name}: ${values.length} values for shape [${shape}]`);
    const data = dtype === "float32" ? Float32Array.from(values) : Int32Array.from(values);
    this.weights.push({name, shape, dtype, data});
    const type = dtype === "float32" ? "DT_FLOAT" : "DT_INT32";
    this.nodes.push({name, op: "Const", input: [], attr: {value: {tensor: {dtype: type, tensorShape: shapeOf(shape)}}, dtype: {type}}});
    return name;
  }

  op(name: string, op: string, input: string[], attr: Attr = {}): string {
    this.nodes.push({name, op, input, attr: {T: FLOAT, ...attr}});
    return name;
  }

  conv2d(name: string, x: string, kernel: string, strides = 1, padding: "SAME" | "VALID" = "SAME"): string {
    return this.op(name, "Conv2D", [x, kernel], {
      strides: ints([1, strides, strides, 1]),
      padding: {s: encode(padding)},
      data_format: {s: encode("NHWC")},
      dilations: ints([1, 1, 1, 1])
    });
  }

  avgPool(name: string, x: string, size: number, padding: "SAME" | "VALID" = "VALID"): string {
    return this.op(name, "AvgPool", [x], {
      ksize: ints([1, size, size, 1]),
      strides: ints([1, size, size, 1]),
      padding: {s: encode(padding)},
      data_format: {s: encode("NHWC")}
    });
  }

  mean(name: string, x: string, axes: number[], keepDims = false): string {
    const axesName = this.constant(`${name}/axes`, axes, [axes.length], "int32");
    return this.op(name, "Mean", [x, axesName], {keep_dims: {b: keepDims}, Tidx: {type: "DT_INT32"}});
  }

  reshape(name: string, x: string, shape: number[]): string {
    const shapeName = this.constant(`${name}/shape`, shape, [shape.length], "int32");
    return this.op(name, "Reshape", [x, shapeName], {Tshape: {type: "DT_INT32"}});
  }

  matMul(name: string, a: string, b: string): string {
    return this.op(name, "MatMul", [a, b], {transpose_a: {b: false}, transpose_b: {b: false}});
  }

  /** model.json (as an object) and the weight bytes it points to ("weights.bin"). */
  toFiles(weightsPath = "weights.bin"): {modelJson: tf.io.ModelJSON; weights: Uint8Array} {
    const total = this.weights.reduce((n, w) => n + w.data.byteLength, 0);
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const w of this.weights) {
      bytes.set(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength), offset);
      offset += w.data.byteLength;
    }
    return {
      modelJson: {
        format: "graph-model",
        generatedBy: "cxr-workbench GraphBuilder",
        convertedBy: null,
        modelTopology: {node: this.nodes, library: {}, versions: {producer: 1}},
        weightsManifest: [{paths: [weightsPath], weights: this.weights.map(({name, shape, dtype}) => ({name, shape, dtype}))}]
      } as unknown as tf.io.ModelJSON,
      weights: bytes
    };
  }
}
