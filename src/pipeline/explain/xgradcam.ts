/**
 * XGrad-CAM (Fu et al. 2020): w_k = sum_xy (A^k_xy / sum_ab A^k_ab) dS/dA^k_xy, then ReLU. With a
 * pooled head the gradient is constant over positions, so w_k = W_kc / (h w) and XGrad-CAM equals
 * Grad-CAM exactly.
 */
import * as tf from "@tensorflow/tfjs";
import type {CamMethod} from "./base.js";

export const X_GRAD_CAM: CamMethod = {
  name: "xgradcam",
  label: "XGrad-CAM",
  usesGradients: true,
  relu: true,
  channelWeights: ({features, gradients}) =>
    tf.tidy(() => {
      const total = features.sum([0, 1], true);
      // A channel that is zero everywhere gets weight 0 (its share is undefined and it adds nothing).
      const share = tf.where(total.equal(0), tf.zerosLike(features), features.div(tf.where(total.equal(0), tf.onesLike(total), total)));
      return share.mul(gradients).sum([0, 1]) as tf.Tensor1D;
    })
};
