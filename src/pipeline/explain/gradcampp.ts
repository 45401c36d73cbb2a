/**
 * Grad-CAM++ (Chattopadhay et al.) in closed form: with Y = exp(S) the higher derivatives are powers
 * of g = dS/dA, so alpha = g^2 / (2 g^2 + sum_ab A_ab g^3) and w_k = sum_xy alpha relu(g). The
 * exp(S) factor of dY/dA is positive and common to all channels, so it is left out. S is the logit:
 * through a saturated sigmoid or softmax the gradients vanish (BAD paper, section 5.3).
 */
import * as tf from "@tensorflow/tfjs";
import type {CamMethod} from "./base.js";

export const GRAD_CAM_PLUS_PLUS: CamMethod = {
  name: "gradcampp",
  label: "Grad-CAM++",
  usesGradients: true,
  relu: true,
  channelWeights: ({features, gradients}) =>
    tf.tidy(() => {
      const g2 = gradients.square();
      const g3 = g2.mul(gradients);
      const sumA = features.sum([0, 1], true);
      const denominator = g2.mul(2).add(sumA.mul(g3));
      // Where the denominator is 0 (g = 0, or A sums to exactly -2/g) alpha is set to 0, not NaN.
      const safe = tf.where(denominator.equal(0), tf.onesLike(denominator), denominator);
      const alpha = tf.where(denominator.equal(0), tf.zerosLike(g2), g2.div(safe));
      return alpha.mul(gradients.relu()).sum([0, 1]) as tf.Tensor1D;
    })
};
