/**
 * Integrated Gradients (Sundararajan et al. 2017): (I - I') o mean_k dy_c/dI at I' + t_k (I - I'),
 * with the black image I' = 0 as baseline (0 in the image's own intensity, as Black Average Drop's
 * black) and t_k = (k - 1/2) / steps (the midpoint rule). The attributions keep their sign and sum to
 * about y_c(I) - y_c(I') (completeness; the tests check it). One backward pass per step.
 */
import * as tf from "@tensorflow/tfjs";
import type {Classifier} from "../model/classifier.js";
import {classInputGradient} from "./saliency.js";

export interface IntegratedGradientsOptions {
  steps?: number;
}

export function integratedGradientsMap(classifier: Classifier, grey: tf.Tensor2D, classIndex: number, options: IntegratedGradientsOptions = {}): tf.Tensor2D {
  const {steps = 32} = options;
  if (!(Number.isInteger(steps) && steps >= 1)) throw new RangeError(`Integrated Gradients needs a positive whole number of steps, got ${steps}`);
  return tf.tidy(() => {
    let total: tf.Tensor2D = tf.zerosLike(grey);
    for (let k = 1; k <= steps; k++) {
      const t = (k - 0.5) / steps;
      const next = tf.tidy(() => total.add(classInputGradient(classifier, grey.mul(t) as tf.Tensor2D, classIndex)) as tf.Tensor2D);
      total.dispose();
      total = next;
    }
    return grey.mul(total).div(steps) as tf.Tensor2D;
  });
}
