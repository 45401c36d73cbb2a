/**
 * A load-time rewrite of DenseNet graphs exported from PyTorch (ours and Chester's alike): each
 * dense layer concatenates ALL the block's features so far, ConcatV2(x0, x1, ..., xl), so layer l's
 * inputs are layer l-1's plus one. Rewritten as ConcatV2(previous concat, xl) the values are the
 * same, bit for bit (a concatenation only copies), but the work is not: the forward pass copies
 * each pixel's channels from 2 tensors instead of up to 33, and the backward pass splits each
 * concatenation's gradient in 2 and adds it once into the previous one, instead of splitting it in
 * up to 33 pieces and adding each into its own accumulator (~600 small Adds and SplitV pieces per
 * saliency map, each one a kernel call with TF.js's bookkeeping: a tenth of a map in Chromium).
 */
import type {GraphNode} from "./graph-inspect.js";

const CONTROL_FLOW = new Set(["Enter", "Exit", "Merge", "Switch", "NextIteration", "LoopCond"]);

/**
 * Rewrites, in place, every ConcatV2 whose tensor inputs extend another ConcatV2's (same axis
 * input, at least two tensors in common) to take that concatenation instead of its inputs;
 * returns how many were rewritten.
 */
export function chainConcats(topology: {node?: GraphNode[]} | undefined): number {
  const nodes = topology?.node ?? [];
  // Not across control-flow frames (a while loop's tensors are not interchangeable by name alone).
  if (nodes.some((n) => CONTROL_FLOW.has(n.op))) return 0;
  const concats = nodes.filter((n) => n.op === "ConcatV2" && (n.input?.length ?? 0) >= 3 && !n.input!.some((i) => i.startsWith("^")));
  // The original inputs: prefixes are matched on these while nodes are rewritten.
  const original = new Map(concats.map((n) => [n, {tensors: n.input!.slice(0, -1), axis: n.input!.at(-1)!}]));
  let rewritten = 0;
  for (const node of concats) {
    const {tensors, axis} = original.get(node)!;
    let prefix: GraphNode | undefined;
    let length = 1;
    for (const other of concats) {
      const o = original.get(other)!;
      if (other === node || o.axis !== axis || o.tensors.length <= length || o.tensors.length >= tensors.length) continue;
      if (o.tensors.every((t, i) => t === tensors[i])) {
        prefix = other;
        length = o.tensors.length;
      }
    }
    if (!prefix) continue;
    node.input = [prefix.name, ...tensors.slice(length), axis];
    if (node.attr?.N) node.attr.N = {i: String(node.input.length - 1)};
    rewritten++;
  }
  return rewritten;
}
