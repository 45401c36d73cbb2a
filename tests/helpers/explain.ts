/** Shared check: the CAM family's fast path against the gradient path. */
import * as tf from "@tensorflow/tfjs";
import {explainTensors} from "../../src/pipeline/explain/index.js";
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
