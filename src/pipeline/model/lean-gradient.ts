/**
 * tf.grad(f)(x) with a backward pass that frees memory as it goes.
 *
 * TF.js's own backward pass (tfjs-core's Engine.gradients and tape.ts backpropagateGradients) keeps
 * every node's output gradient and every tensor the forward pass saved for it until the whole pass
 * ends. For one DenseNet-121 saliency map at 128 px that is a 264 MB peak of tensors, and the wasm
 * backend's heap, which never shrinks, stays at that size for the life of the page or process.
 *
 * Here the tape is walked exactly as TF.js walks it (same nodes, same order, same kernels, the same
 * accumulation by `add`, so the result is bit-identical), but when a node is done its outputs'
 * gradients and its saved tensors are disposed: the tape runs in reverse order of the forward pass,
 * so every consumer of a node's outputs has already been processed and nothing reads them again.
 * The peak is then the forward pass's saved tensors plus the gradients in flight.
 *
 * Follows tfjs-core 4.x (Apache-2.0): getFilteredNodesXToY and backpropagateGradients are restated
 * below, and the engine's tape is used through tf.engine(). Nested gradients (a tape already
 * recording) take TF.js's own path, which keeps what an outer tape may still need.
 */
import * as tf from "@tensorflow/tfjs";

interface TapeNode {
  id: number;
  kernelName: string;
  outputs: tf.Tensor[];
  inputs: Record<string, tf.Tensor>;
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

/** The parts of TF.js's Engine this uses (stable across tfjs-core 4.x, but not public API). */
interface EngineTape {
  state: {activeTape: TapeNode[] | null; gradientDepth: number};
  startTape(): void;
  endTape(): void;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  tidy<T extends tf.TensorContainer>(name: string, f: () => T): T;
}

function engineTape(): EngineTape {
  const engine = tf.engine() as unknown as EngineTape;
  if (typeof engine.startTape !== "function" || typeof engine.scopedRun !== "function" || !engine.state)
    throw new Error("this TF.js version's engine has no tape to walk (lean-gradient.ts follows tfjs-core 4.x)");
  return engine;
}

/** The nodes on a path from x to y, each with only its inputs that depend on x (tfjs-core's getFilteredNodesXToY). */
function nodesFromXToY(tape: TapeNode[], x: tf.Tensor, y: tf.Tensor): TapeNode[] {
  const fromX = new Set<number>([x.id]);
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    for (const name in node.inputs) {
      if (fromX.has(node.inputs[name]!.id)) {
        for (const output of node.outputs) fromX.add(output.id);
        nodesFromX.add(node.id);
        break;
      }
    }
  }
  const leadToY = new Set<number>([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    if (node.outputs.some((o) => leadToY.has(o.id))) {
      for (const name in node.inputs) leadToY.add(node.inputs[name]!.id);
      nodesToY.add(node.id);
    }
  }
  const filtered: TapeNode[] = [];
  for (const node of tape) {
    if (!(nodesFromX.has(node.id) && nodesToY.has(node.id))) continue;
    const inputs: Record<string, tf.Tensor> = {};
    for (const name in node.inputs) if (fromX.has(node.inputs[name]!.id)) inputs[name] = node.inputs[name]!;
    filtered.push({...node, inputs, outputs: node.outputs});
  }
  return filtered;
}

/** Gradient tensors by the id of the tensor they are the gradient of, counting shared objects. */
class GradientMap {
  private readonly byId = new Map<number, tf.Tensor>();
  private readonly refs = new Map<tf.Tensor, number>();
  get(id: number): tf.Tensor | undefined {
    return this.byId.get(id);
  }
  holds(gradient: tf.Tensor): boolean {
    return this.refs.has(gradient);
  }
  set(id: number, gradient: tf.Tensor): void {
    this.byId.set(id, gradient);
    this.refs.set(gradient, (this.refs.get(gradient) ?? 0) + 1);
  }
  /** Forgets the gradient of `id`; disposes it unless another entry holds the same tensor. */
  release(id: number): void {
    const gradient = this.byId.get(id);
    if (!gradient) return;
    this.byId.delete(id);
    const left = (this.refs.get(gradient) ?? 1) - 1;
    if (left > 0) this.refs.set(gradient, left);
    else {
      this.refs.delete(gradient);
      gradient.dispose();
    }
  }
}

/** d f(x) / dx, as tf.grad(f)(x) computes it, freeing the backward pass's tensors as it goes. */
export function leanGrad(f: (x: tf.Tensor) => tf.Tensor): (x: tf.Tensor) => tf.Tensor {
  return (x) => {
    const engine = engineTape();
    if (engine.state.gradientDepth > 0) return tf.grad(f)(x);
    return tf.tidy(() => {
      const y = engine.scopedRun(
        () => engine.startTape(),
        () => engine.endTape(),
        () => engine.tidy("forward", () => f(x))
      );
      if (!(y instanceof tf.Tensor)) throw new Error("the function given to leanGrad must return a tensor");
      const tape = engine.state.activeTape ?? [];
      const filtered = nodesFromXToY(tape, x, y);
      if (!filtered.length) throw new Error("cannot compute the gradient of y = f(x) with respect to x: no operation leads from x to y");
      try {
        return engine.tidy("backward", () => {
          const gradients = new GradientMap();
          gradients.set(y.id, tf.onesLike(y));
          for (let i = filtered.length - 1; i >= 0; i--) {
            const node = filtered[i]!;
            if (!node.gradient) throw new Error(`cannot compute gradient: no gradient function for ${node.kernelName}`);
            const inputGradients = node.gradient(node.outputs.map((o) => gradients.get(o.id) ?? null));
            for (const name in node.inputs) {
              if (!(name in inputGradients)) throw new Error(`cannot backprop through input ${name} of ${node.kernelName}`);
              const dx = tf.tidy(() => inputGradients[name]!());
              const input = node.inputs[name]!;
              if (dx.dtype !== "float32") throw new Error(`the gradient of ${node.kernelName}'s input ${name} is ${dx.dtype}, not float32`);
              if (!tf.util.arraysEqual(dx.shape, input.shape))
                throw new Error(`the gradient of ${node.kernelName}'s input ${name} has shape ${dx.shape}, not its input's ${input.shape}`);
              const current = gradients.get(input.id);
              if (current) {
                const sum = tf.add(current, dx);
                gradients.release(input.id);
                if (!gradients.holds(dx)) dx.dispose();
                gradients.set(input.id, sum);
              } else gradients.set(input.id, dx);
            }
            // Done with this node: nothing reads its outputs' gradients or its saved tensors again.
            for (const output of node.outputs) gradients.release(output.id);
            for (const saved of node.saved ?? []) saved.dispose();
          }
          const dx = gradients.get(x.id);
          if (!dx) throw new Error("cannot compute the gradient of y = f(x) with respect to x");
          return dx;
        });
      } finally {
        // As TF.js does once the outermost gradient is done: the tape's saved tensors go.
        for (const node of tape) for (const saved of node.saved ?? []) saved.dispose();
        engine.state.activeTape = null;
      }
    });
  };
}
