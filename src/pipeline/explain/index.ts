/** Every explanation of one image and one finding, as plain arrays (no tensors escape). */
import * as tf from "@tensorflow/tfjs";
import type {Classifier} from "../model/classifier.js";
import {camMap, denseColumn, featureGradients, type CamMethod, type GradientPath} from "./base.js";
import {CAM} from "./cam.js";
import {GRAD_CAM} from "./gradcam.js";
import {GRAD_CAM_PLUS_PLUS} from "./gradcampp.js";
import {classGradientMap, saliencyMap, usedOutputs} from "./saliency.js";

export {CAM, GRAD_CAM, GRAD_CAM_PLUS_PLUS, camMap, featureGradients, denseColumn, saliencyMap, classGradientMap, usedOutputs};
export type {CamMethod, GradientPath};
export {upsample, normaliseMap, lanczosMatrix, type UpsampleMethod} from "./upsample.js";

export const CAM_METHODS: Record<CamMethod["name"], CamMethod> = {cam: CAM, gradcam: GRAD_CAM, gradcampp: GRAD_CAM_PLUS_PLUS};
export type ExplanationMethod = "saliency" | "classGradient" | CamMethod["name"];
export const EXPLANATION_METHODS: ExplanationMethod[] = ["saliency", "cam", "gradcam", "gradcampp"];
export const EXPLANATION_LABELS: Record<ExplanationMethod, string> = {
  saliency: "Gradient saliency",
  classGradient: "Class gradient",
  cam: "CAM",
  gradcam: "Grad-CAM",
  gradcampp: "Grad-CAM++"
};

export interface HeatMap {
  width: number;
  height: number;
  /** Raw values, row-major (CAM keeps its sign; the others are >= 0). */
  data: Float32Array;
}

/**
 * Raw maps at their natural resolution: the CAM family at the feature-map size, saliency at the input
 * size. Pass the model input tensor and the grey pixels it was made from.
 */
export function explainTensors(
  classifier: Classifier,
  grey: tf.Tensor2D,
  classIndex: number,
  methods: ExplanationMethod[],
  options: {path?: GradientPath; features?: tf.Tensor4D} = {}
): Partial<Record<ExplanationMethod, tf.Tensor2D>> {
  return tf.tidy(() => {
    const maps: Partial<Record<ExplanationMethod, tf.Tensor2D>> = {};
    const camMethods = methods.filter((m): m is CamMethod["name"] => m in CAM_METHODS);
    if (camMethods.length) {
      const features = options.features ?? classifier.forward(classifier.toInput(grey)).features;
      const needsGradients = camMethods.some((m) => CAM_METHODS[m].usesGradients);
      const inputs = {
        features: features.squeeze([0]) as tf.Tensor3D,
        gradients: needsGradients ? featureGradients(classifier, features, classIndex, options.path) : (tf.zeros([1, 1, 1]) as tf.Tensor3D),
        denseWeights: denseColumn(classifier, classIndex)
      };
      for (const m of camMethods) maps[m] = camMap(CAM_METHODS[m], inputs);
    }
    if (methods.includes("saliency")) maps.saliency = saliencyMap(classifier, grey, usedOutputs(classifier.labels));
    if (methods.includes("classGradient")) maps.classGradient = classGradientMap(classifier, grey, classIndex);
    return maps;
  });
}
