/**
 * Reading a TF.js graph topology to find the nodes a card names, so that Chester's published
 * folders (which have no card) load unchanged.
 */
import type * as tf from "@tensorflow/tfjs";

export interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, {s?: string; i?: string; list?: {i?: string[]}; shape?: {dim?: {size: string}[]}}>;
}

export class Graph {
  readonly nodes: GraphNode[];
  private readonly byName: Map<string, GraphNode>;

  constructor(modelJson: tf.io.ModelJSON) {
    this.nodes = ((modelJson.modelTopology as {node?: GraphNode[]})?.node ?? []) as GraphNode[];
    this.byName = new Map(this.nodes.map((n) => [n.name, n]));
  }

  node(name: string): GraphNode {
    const node = this.byName.get(name);
    if (!node) throw new Error(`the graph has no node "${name}"`);
    return node;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Input node names, without control-dependency carets or output indices. */
  inputs(node: GraphNode): string[] {
    return (node.input ?? []).filter((i) => !i.startsWith("^")).map((i) => i.split(":")[0]!);
  }

  placeholders(): GraphNode[] {
    return this.nodes.filter((n) => n.op === "Placeholder");
  }

  /** Walks back from `start` through ops in `through` until one of `until`; null when none. */
  walkBack(start: string, through: Set<string>, until: Set<string>): GraphNode | null {
    let node: GraphNode | undefined = this.node(start);
    for (let steps = 0; node && steps < 64; steps++) {
      if (until.has(node.op)) return node;
      if (!through.has(node.op)) return null;
      // Follow the first non-constant input.
      node = this.inputs(node).map((n) => this.byName.get(n)).find((n) => n && n.op !== "Const");
    }
    return null;
  }

  placeholderShape(node: GraphNode): number[] {
    return (node.attr?.shape?.shape?.dim ?? []).map((d) => Number(d.size));
  }

  /** Decoded string attribute (TF stores them base64). */
  stringAttr(node: GraphNode, key: string): string | undefined {
    const s = node.attr?.[key]?.s;
    return s === undefined ? undefined : atob(s);
  }
}

export interface PooledHead {
  logitsNode: string;
  /** Input of the global pooling op: the last convolutional feature map. */
  featureNode: string;
  /** Layout if it can be told from the graph alone; Mean's axes are a weight, read after loading. */
  featureLayout: "NHWC" | "NCHW" | {meanAxesWeight: string};
  denseKernel: string;
  denseBias?: string;
}

const PASS_THROUGH = new Set(["Reshape", "Transpose", "Squeeze", "Identity", "Flatten"]);

/** From the sigmoid output back to the dense layer and the pooled feature map it reads. */
export function findPooledHead(graph: Graph, outputNode: string): PooledHead {
  const output = graph.node(outputNode);
  if (output.op !== "Sigmoid") throw new Error(`output node "${outputNode}" is a ${output.op}, expected a Sigmoid`);
  const logitsNode = graph.inputs(output)[0]!;
  const logits = graph.node(logitsNode);
  let matMul: GraphNode = logits;
  let denseBias: string | undefined;
  if (logits.op === "Add" || logits.op === "AddV2" || logits.op === "BiasAdd") {
    const [a, b] = graph.inputs(logits).map((n) => graph.node(n));
    matMul = a!.op === "MatMul" ? a! : b!;
    const bias = a!.op === "MatMul" ? b! : a!;
    if (bias.op === "Const") denseBias = bias.name;
  }
  if (matMul.op !== "MatMul") throw new Error(`no MatMul feeds the logits "${logitsNode}" (found ${matMul.op})`);
  const [features, kernel] = graph.inputs(matMul).map((n) => graph.node(n));
  if (kernel!.op !== "Const") throw new Error(`the dense kernel of "${matMul.name}" is not a constant`);
  const pool = graph.walkBack(features!.name, PASS_THROUGH, new Set(["AvgPool", "Mean"]));
  if (!pool) throw new Error(`no global pooling (AvgPool or Mean) before "${matMul.name}"`);
  const [featureNode, axes] = graph.inputs(pool);
  const featureLayout: PooledHead["featureLayout"] =
    pool.op === "AvgPool" ? (graph.stringAttr(pool, "data_format") === "NCHW" ? "NCHW" : "NHWC") : {meanAxesWeight: axes!};
  return {logitsNode, featureNode: featureNode!, featureLayout, denseKernel: kernel!.name, denseBias};
}

/** The latent code of a convolutional autoencoder: what the first transposed convolution decodes. */
export function findLatentNode(graph: Graph): string {
  const decoder = graph.nodes.find((n) => n.op === "Conv2DBackpropInput");
  if (!decoder) throw new Error("no transposed convolution (Conv2DBackpropInput) to find the latent code");
  // Conv2DBackpropInput(input_sizes, filter, out_backprop): the third input is the code being decoded.
  return graph.inputs(decoder)[2]!;
}
