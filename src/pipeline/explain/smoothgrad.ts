/**
 * SmoothGrad (Smilkov et al. 2017): the mean of |dy_c/dI| over `samples` copies of the image with
 * Gaussian noise of standard deviation `noiseLevel` x (max - min) of the image (the paper's 10-20 %;
 * 15 % here), seeded so a map is reproducible. One backward pass per sample.
 */
import * as tf from "@tensorflow/tfjs";
import {seededNormalFn} from "../faithfulness/random.js";
import type {Classifier} from "../model/classifier.js";
import {classInputGradient} from "./saliency.js";

export interface SmoothGradOptions {
  samples?: number;
  noiseLevel?: number;
  seed?: number;
}

export function smoothGradMap(classifier: Classifier, grey: tf.Tensor2D, classIndex: number, options: SmoothGradOptions = {}): tf.Tensor2D {
  const {samples = 16, noiseLevel = 0.15, seed = 1} = options;
  if (!(Number.isInteger(samples) && samples >= 1)) throw new RangeError(`SmoothGrad needs a positive whole number of samples, got ${samples}`);
  const normal = seededNormalFn(seed);
  return tf.tidy(() => {
    const sigma = grey.max().sub(grey.min()).mul(noiseLevel);
    let total: tf.Tensor2D = tf.zerosLike(grey);
    for (let s = 0; s < samples; s++) {
      const noise = tf.tensor2d(Float32Array.from({length: grey.size}, () => normal()), grey.shape);
      const next = tf.tidy(() => total.add(classInputGradient(classifier, grey.add(noise.mul(sigma)) as tf.Tensor2D, classIndex).abs()) as tf.Tensor2D);
      tf.dispose([total, noise]);
      total = next;
    }
    return total.div(samples) as tf.Tensor2D;
  });
}
