/**
 * The fast saliency path is in use on the real graphs: the shipped bundles and Chester's DenseNet
 * (its published topology, synthetic weights). Counted from tf.profile's kernel names and shapes
 * on one saliency map, not timed, so that a change that silently falls back to TF.js's own
 * gradients (or loses a faster kernel) fails here rather than only making the benchmark slower:
 *
 * - every convolution's input gradient is one ordinary Conv2D (stride 1: the flipped kernel;
 *   the strided stem: its phases, then DepthToSpace), never TF.js's Conv2DBackpropInput;
 * - every MaxPool's gradient is the first-maximum kernel, never the backend's MaxPoolGrad;
 * - DenseNet's concatenations are chained (graph-rewrite.ts): two tensors each, and the
 *   gradient's Adds stay near the forward pass's count instead of ~650;
 * - the wasm backend runs this project's SplitV, Slice, Concat, Identity and Cast.
 * And the rewrite changes no value: the logits are bit-identical to the graph as published.
 */
import * as tf from "@tensorflow/tfjs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {loadBundle, type Bundle} from "../src/pipeline/bundle/load.js";
import {graphModelHandler} from "../src/pipeline/bundle/source.js";
import {saliencyMap} from "../src/pipeline/explain/index.js";
import {Classifier} from "../src/pipeline/model/classifier.js";
import {chainConcats} from "../src/pipeline/model/graph-rewrite.js";
import {FIRST_MAX_POOL_GRAD} from "../src/pipeline/model/max-pool-gradient.js";
import {directorySource} from "../src/pipeline/node/fs-source.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {usesFastWasmKernel} from "../src/pipeline/wasm-kernels.js";
import {CHESTER_MODELS, chesterFixture, REPO_ROOT} from "./helpers/paths.js";

beforeAll(async () => {
  expect(await initBackend({prefer: ["wasm"]})).toBe("wasm");
});

type Kernel = {name: string; inputShapes: number[][]; outputShapes: number[][]};
const count = (kernels: Kernel[], name: string) => kernels.filter((k) => k.name === name).length;

/** A smooth test image with some structure (the maps need not mean anything here). */
function image(size: number): tf.Tensor2D {
  return tf.tidy(() => {
    const r = tf.linspace(0, 1, size);
    return r.reshape([size, 1]).mul(r.reshape([1, size])).sqrt().mul(tf.sin(r.mul(17)).reshape([1, size]).mul(0.2).add(0.8)) as tf.Tensor2D;
  });
}

const SOURCES: [string, () => {folder: string; ood?: string}][] = [
  ["pediatric-pneumonia", () => ({folder: path.join(REPO_ROOT, "models/pediatric-pneumonia")})],
  ["nih-chestxray14", () => ({folder: path.join(REPO_ROOT, "models/nih-chestxray14")})],
  ["Chester's DenseNet", () => ({folder: chesterFixture(CHESTER_MODELS.densenet)})]
];

describe.each(SOURCES)("saliency on %s", (_name, where) => {
  let bundle: Bundle;
  let grey: tf.Tensor2D;
  let forward: Kernel[];
  let saliency: Kernel[];

  beforeAll(async () => {
    const {folder} = where();
    bundle = await loadBundle(directorySource(folder));
    const {classifier} = bundle;
    grey = image(classifier.spec.inputSize);
    saliencyMap(classifier, grey).dispose(); // keeps the derived kernels
    const input = tf.tidy(() => classifier.toInput(grey));
    forward = (await tf.profile(() => tf.tidy(() => void classifier.logits(input).dataSync()))).kernels as unknown as Kernel[];
    saliency = (await tf.profile(() => tf.tidy(() => void saliencyMap(classifier, grey).dataSync()))).kernels as unknown as Kernel[];
    input.dispose();
  }, 120_000);
  afterAll(() => {
    grey?.dispose();
    bundle?.dispose();
  });

  it("takes every convolution's input gradient as one Conv2D, strided ones by phases", () => {
    const convs = forward.filter((k) => k.name === "Conv2D");
    // A strided conv's output is smaller than a stride-1 conv's could be (in - k + 1).
    const strided = convs.filter((k) => k.outputShapes[0]![1]! < k.inputShapes[0]![1]! - k.inputShapes[1]![0]! + 1).length;
    expect(convs.length).toBeGreaterThan(100);
    expect(strided).toBeGreaterThanOrEqual(1);
    expect(count(saliency, "Conv2DBackpropInput")).toBe(0);
    expect(count(saliency, "Conv2D")).toBe(2 * convs.length);
    expect(count(saliency, "DepthToSpace")).toBe(strided);
  });

  it("sends each MaxPool's gradient through the first-maximum kernel", () => {
    expect(count(forward, "MaxPool")).toBeGreaterThanOrEqual(1);
    expect(count(saliency, FIRST_MAX_POOL_GRAD)).toBe(count(forward, "MaxPool"));
    expect(count(saliency, "MaxPoolGrad")).toBe(0);
  });

  it("runs DenseNet's concatenations chained, so the gradient has few Adds", () => {
    const concats = forward.filter((k) => k.name === "Concat");
    expect(concats.length).toBe(58);
    expect(concats.every((k) => k.inputShapes.length === 2)).toBe(true);
    // Unchained, one Add per piece of every concatenation's gradient: ~650 here.
    const adds = count(forward, "Add");
    expect(count(saliency, "Add")).toBeLessThan(adds + 2 * concats.length + 10);
  });

  it("uses the faster wasm kernels", () => {
    for (const name of ["SplitV", "Slice", "Concat", "Identity", "Cast"]) expect(usesFastWasmKernel(name), name).toBe(true);
  });

  it("gives the published graph's logits, bit for bit", async () => {
    const {folder} = where();
    const spec = bundle.card.classifier;
    const plain = new Classifier(await tf.loadGraphModel(graphModelHandler(directorySource(folder), spec.path)), spec, bundle.card.labels);
    try {
      const [ours, theirs] = tf.tidy(() => [bundle.classifier, plain].map((c) => Array.from(c.logits(c.toInput(grey)).dataSync())));
      expect(ours).toEqual(theirs);
    } finally {
      plain.dispose();
    }
  });
});

describe("chainConcats", () => {
  const concat = (name: string, inputs: string[]) => ({name, op: "ConcatV2", input: inputs, attr: {N: {i: String(inputs.length - 1)}}});
  it("takes the longest earlier concatenation of the same leading tensors and axis, and nothing else", () => {
    const topology = {
      node: [
        concat("c2", ["a", "b", "axis"]),
        concat("c3", ["a", "b", "c", "axis"]),
        concat("c4", ["a", "b", "c", "d", "axis"]),
        concat("other-axis", ["a", "b", "c", "axis0"]),
        concat("not-a-prefix", ["b", "a", "c", "axis"]),
        {...concat("controlled", ["a", "b", "c", "axis"]), input: ["a", "b", "c", "axis", "^x"]}
      ]
    };
    expect(chainConcats(topology)).toBe(2);
    const inputs = Object.fromEntries(topology.node.map((n) => [n.name, n.input]));
    expect(inputs.c3).toEqual(["c2", "c", "axis"]);
    expect(inputs.c4).toEqual(["c3", "d", "axis"]);
    expect(topology.node[2]!.attr.N).toEqual({i: "2"});
    expect(inputs["other-axis"]).toEqual(["a", "b", "c", "axis0"]);
    expect(inputs["not-a-prefix"]).toEqual(["b", "a", "c", "axis"]);
    expect(inputs.controlled).toEqual(["a", "b", "c", "axis", "^x"]);
  });

  it("leaves graphs with control flow alone", () => {
    const c3 = concat("c3", ["a", "b", "c", "axis"]);
    expect(chainConcats({node: [concat("c2", ["a", "b", "axis"]), c3, {name: "loop", op: "Enter"}]})).toBe(0);
    expect(c3.input).toEqual(["a", "b", "c", "axis"]);
  });
});
