/** Grad-CAM (Selvaraju et al.): w_k = mean_xy dS/dA^k_xy, then ReLU of the weighted sum. */
import type * as tf from "@tensorflow/tfjs";
import type {CamMethod} from "./base.js";

export const GRAD_CAM: CamMethod = {
  name: "gradcam",
  label: "Grad-CAM",
  usesGradients: true,
  relu: true,
  channelWeights: ({gradients}) => gradients.mean([0, 1]) as tf.Tensor1D
};
