/**
 * The CAM family shares one shape (as in jacobgil/pytorch-grad-cam): a heat map is a weighted sum of
 * the last feature maps, L = sum_k w_k A^k, and each method only chooses the channel weights w_k
 * (from the dense weights or from dS/dA, the gradient of the class logit S w.r.t. the features).
 */
import * as tf from "@tensorflow/tfjs";
import type {Classifier} from "../model/classifier.js";
import {leanGrad} from "../model/lean-gradient.js";

export interface CamInputs {
  /** Feature maps A, [h, w, K]. */
  features: tf.Tensor3D;
  /** dS_c/dA for the explained class c, [h, w, K]. */
  gradients: tf.Tensor3D;
  /** Column c of the final dense layer, [K]. */
  denseWeights: tf.Tensor1D;
}

export type CamName = "cam" | "gradcam" | "gradcampp" | "hirescam" | "xgradcam" | "layercam" | "eigencam";

/**
 * A CAM-family method: one of channel weights w_k (L = sum_k w_k A^k), per-position weights W_xyk
 * (L = sum_k W^k o A^k: HiResCAM, LayerCAM), or a map of its own (Eigen-CAM).
 */
export interface CamMethod {
  readonly name: CamName | "scorecam";
  readonly label: string;
  /** Whether the method reads dS/dA (CAM and Eigen-CAM do not). */
  readonly usesGradients: boolean;
  /** Channel weights w_k, [K]. */
  channelWeights?(inputs: CamInputs): tf.Tensor1D;
  /** Per-position weights, [h, w, K]. */
  positionWeights?(inputs: CamInputs): tf.Tensor3D;
  /** The whole map, [h, w], for a method that is not a weighted sum. */
  customMap?(inputs: CamInputs): tf.Tensor2D;
  /** Whether negative evidence is cut (ReLU); CAM keeps the sign. */
  readonly relu: boolean;
}

/** L = sum_k w_k A^k (or sum_k W^k o A^k), then ReLU where the method says so, [h, w]. */
export function camMap(method: CamMethod, inputs: CamInputs): tf.Tensor2D {
  return tf.tidy(() => {
    let map: tf.Tensor2D;
    if (method.customMap) map = method.customMap(inputs);
    else if (method.positionWeights) map = inputs.features.mul(method.positionWeights(inputs)).sum(2) as tf.Tensor2D;
    else if (method.channelWeights) map = inputs.features.mul(method.channelWeights(inputs)).sum(2) as tf.Tensor2D;
    else throw new Error(`CAM method ${method.name} defines no weights`);
    return method.relu ? map.relu() : map;
  });
}

/**
 * How dS/dA is obtained. "fast": with a global-average-pool head S = mean_xy(A) . W + b, so
 * dS/dA^k_xy = W_kc / (h w) everywhere, with no backward pass. "gradient": tf.grad through the
 * head, valid for any head. "auto": fast when the warm-up verified the pooled head.
 */
export type GradientPath = "auto" | "fast" | "gradient";

export function featureGradients(classifier: Classifier, features: tf.Tensor4D, classIndex: number, path: GradientPath = "auto"): tf.Tensor3D {
  const fast = path === "fast" || (path === "auto" && classifier.fastPathVerified);
  if (path === "fast" && classifier.spec.head !== "global-average-pool")
    throw new Error("the fast CAM path needs a global-average-pool head");
  return tf.tidy(() => {
    const [, h, w, k] = features.shape;
    if (fast) {
      const column = denseColumn(classifier, classIndex).div(h * w);
      return column.reshape([1, 1, k]).tile([h, w, 1]) as tf.Tensor3D;
    }
    const logitOf = (a: tf.Tensor) => classifier.logitsFromFeatures(a as tf.Tensor4D).slice([0, classIndex], [1, 1]).sum();
    return leanGrad(logitOf)(features).squeeze([0]) as tf.Tensor3D;
  });
}

export function denseColumn(classifier: Classifier, classIndex: number): tf.Tensor1D {
  if (!(classIndex >= 0 && classIndex < classifier.outputs)) throw new RangeError(`class index ${classIndex} is not in [0, ${classifier.outputs})`);
  return tf.tidy(() => classifier.denseKernel.slice([0, classIndex], [-1, 1]).reshape([-1]) as tf.Tensor1D);
}
