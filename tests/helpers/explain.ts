/** Shared checks: the CAM family's fast path against the gradient path; a model small enough to work out by hand. */
import * as tf from "@tensorflow/tfjs";
import {loadBundle, type Bundle} from "../../src/pipeline/bundle/load.js";
import {memorySource} from "../../src/pipeline/bundle/source.js";
import {explainTensors} from "../../src/pipeline/explain/index.js";
import {GraphBuilder} from "../../src/pipeline/model/graph-builder.js";
import type {Classifier} from "../../src/pipeline/model/classifier.js";

/** Largest relative difference between the fast and gradient paths over Grad-CAM and Grad-CAM++. */
export function fastVersusGradientError(classifier: Classifier, grey: tf.Tensor2D, classIndex: number): number {
  const fast = explainTensors(classifier, grey, classIndex, ["gradcam", "gradcampp"], {path: "fast"});
  const slow = explainTensors(classifier, grey, classIndex, ["gradcam", "gradcampp"], {path: "gradient"});
  try {
    return Math.max(
      ...(["gradcam", "gradcampp"] as const).map((m) => {
        const scale = Math.max(1e-6, fast[m]!.abs().max().dataSync()[0]!);
        return fast[m]!.sub(slow[m]!).abs().max().dataSync()[0]! / scale;
      })
    );
  } finally {
    tf.dispose([...Object.values(fast), ...Object.values(slow)]);
  }
}

/**
 * A 2x2 model small enough to work out by hand. Pixels p -> input 2p - 1 ("symmetric"), a 1x1 conv
 * with kernel [1, -1] and ReLU gives A1 = relu(2p - 1), A2 = relu(1 - 2p), then mean, W, b.
 */
export async function handModel(): Promise<Bundle> {
  const g = new GraphBuilder();
  const x = g.placeholder("input", [1, 2, 2, 1]);
  const features = g.op("features", "Relu", [g.conv2d("conv", x, g.constant("conv/kernel", [1, -1], [1, 1, 1, 2]))]);
  const pooled = g.mean("pool", features, [1, 2]);
  // W = [[2, -1], [1, 3]] (K x C), b = [0.1, -0.2]
  const logits = g.op("logits", "Add", [g.matMul("dense", pooled, g.constant("dense/kernel", [2, -1, 1, 3], [2, 2])), g.constant("dense/bias", [0.1, -0.2], [2])]);
  g.op("probabilities", "Sigmoid", [logits]);
  const {modelJson, weights} = g.toFiles();
  const card = {
    format: "cxr-workbench/bundle@1",
    name: "hand",
    labels: ["A", "B"],
    operatingPoints: [0.5, 0.5],
    resize: "crop",
    classifier: {
      path: "m/model.json", inputNode: "input", inputLayout: "NHWC", inputSize: 2, channels: 1, normalisation: "symmetric",
      outputNode: "probabilities", logitsNode: "logits", featureNode: "features", featureLayout: "NHWC",
      denseKernel: "dense/kernel", denseBias: "dense/bias", head: "global-average-pool"
    }
  };
  return loadBundle(memorySource({"card.json": JSON.stringify(card), "m/model.json": JSON.stringify(modelJson), "m/weights.bin": weights}));
}

