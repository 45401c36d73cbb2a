/**
 * Gradient saliency (Chester Eq. 3): max(0, sum_i dy_i/dI) over the pre-sigmoid outputs y_i, one
 * backward pass for all findings; and the per-class |dy_c/dI| that Chester's app shows. Gradients
 * are taken w.r.t. the grey pixels in [0, 1], before normalisation and channel replication, so the
 * map lives on the image the user sees.
 */
import * as tf from "@tensorflow/tfjs";
import type {Classifier} from "../model/classifier.js";
import {useFastConvInputGradient} from "../model/fast-conv-gradient.js";
import {leanGrad} from "../model/lean-gradient.js";
import {useFirstMaxPoolGradient} from "../model/max-pool-gradient.js";

/** Outputs that carry a finding (Chester's blank labels mark unused outputs). */
export function usedOutputs(labels: string[]): number[] {
  return labels.flatMap((label, i) => (label.trim() ? [i] : []));
}

/** Eq. 3 over the given outputs (default: all labelled ones), [S, S]. */
export function saliencyMap(classifier: Classifier, grey: tf.Tensor2D, outputs?: number[]): tf.Tensor2D {
  useFastConvInputGradient();
  useFirstMaxPoolGradient();
  return tf.tidy(() => {
    // A 0/1 mask, not gather: gather's gradient needs UnsortedSegmentSum, which wasm lacks.
    const mask = outputs ? tf.tensor2d(Array.from({length: classifier.outputs}, (_, i) => (outputs.includes(i) ? 1 : 0)), [1, classifier.outputs]) : null;
    const total = (pixels: tf.Tensor) => {
      const logits = classifier.logits(classifier.toInput(pixels as tf.Tensor2D));
      return (mask ? logits.mul(mask) : logits).sum();
    };
    return leanGrad(total)(grey).relu() as tf.Tensor2D;
  });
}

/** dy_c/dI for one output c and one or more grey images: [S, S] -> [S, S], [B, S, S] -> [B, S, S]. */
export function classInputGradient<T extends tf.Tensor2D | tf.Tensor3D>(classifier: Classifier, grey: T, classIndex: number): T {
  useFastConvInputGradient();
  useFirstMaxPoolGradient();
  return tf.tidy(() => {
    const logit = (pixels: tf.Tensor) => classifier.logits(classifier.toInput(pixels as tf.Tensor2D)).slice([0, classIndex], [-1, 1]).sum();
    return leanGrad(logit)(grey) as T;
  });
}

/** |dy_c/dI| for one output c, [S, S]. */
export function classGradientMap(classifier: Classifier, grey: tf.Tensor2D, classIndex: number): tf.Tensor2D {
  return tf.tidy(() => classInputGradient(classifier, grey, classIndex).abs());
}
