/**
 * Score-CAM (Wang et al. 2020): each feature map A^k, upsampled to the image and min-max scaled to
 * [0, 1], masks the image; w = softmax_k (S_c(I o H^k) - S_c(black)) over the K channels, and
 * L = relu(sum_k w_k A^k). Gradient-free, but K forward passes (1,024 for DenseNet-121), batched;
 * channels constant over the image (their mask is all zeros) share one pass.
 */
import * as tf from "@tensorflow/tfjs";
import type {Classifier} from "../model/classifier.js";
import {camMap, type CamInputs, type CamMethod} from "./base.js";
import {normaliseMap, upsample} from "./upsample.js";

/** The channel weights: softmax over channels of the class logit on each masked image. */
export function scoreCamWeights(classifier: Classifier, grey: tf.Tensor2D, features: tf.Tensor3D, classIndex: number, batch = 16): tf.Tensor1D {
  const [h, w, k] = features.shape;
  const [height, width] = grey.shape;
  const ranges = tf.tidy(() => features.max([0, 1]).sub(features.min([0, 1])).dataSync());
  const scores = new Float32Array(k);
  const logitsOf = (images: tf.Tensor3D) => tf.tidy(() => classifier.logits(classifier.toInput(images)).slice([0, classIndex], [-1, 1]).reshape([-1]).dataSync());
  const flat = [...Array(k).keys()].filter((c) => !(ranges[c]! > 0));
  if (flat.length) {
    const black = logitsOf(tf.zerosLike(grey).expandDims(0) as tf.Tensor3D)[0]!;
    for (const c of flat) scores[c] = black;
  }
  const varying = [...Array(k).keys()].filter((c) => ranges[c]! > 0);
  const groupSize = classifier.batchable ? batch : 1;
  for (let start = 0; start < varying.length; start += groupSize) {
    const group = varying.slice(start, start + groupSize);
    const values = tf.tidy(() => {
      const masks = group.map((c) => {
        const channel = features.slice([0, 0, c], [h, w, 1]).reshape([h, w]) as tf.Tensor2D;
        return grey.mul(normaliseMap(upsample(channel, height, width, "bilinear")));
      });
      return logitsOf(tf.stack(masks) as tf.Tensor3D);
    });
    group.forEach((c, i) => (scores[c] = values[i]!));
  }
  // softmax is unchanged by subtracting S_c(black), so the raw logits serve.
  return tf.tidy(() => tf.softmax(tf.tensor1d(scores)) as tf.Tensor1D);
}

/** Score-CAM's map given its precomputed weights (camMap on the shared base). */
export function scoreCamMap(classifier: Classifier, grey: tf.Tensor2D, features: tf.Tensor3D, classIndex: number): tf.Tensor2D {
  return tf.tidy(() => {
    const weights = scoreCamWeights(classifier, grey, features, classIndex);
    const method: CamMethod = {name: "scorecam", label: "Score-CAM", usesGradients: false, relu: true, channelWeights: () => weights.clone()};
    const inputs: CamInputs = {features, gradients: features, denseWeights: weights};
    return camMap(method, inputs);
  });
}
