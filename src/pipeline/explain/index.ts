/** Every explanation of one image and one finding, as plain arrays (no tensors escape). */
import * as tf from "@tensorflow/tfjs";
import type {Classifier} from "../model/classifier.js";
import {camMap, denseColumn, featureGradients, type CamMethod, type CamName, type GradientPath} from "./base.js";
import {CAM} from "./cam.js";
import {EIGEN_CAM} from "./eigencam.js";
import {GRAD_CAM} from "./gradcam.js";
import {GRAD_CAM_PLUS_PLUS} from "./gradcampp.js";
import {HI_RES_CAM} from "./hirescam.js";
import {integratedGradientsMap} from "./integrated-gradients.js";
import {LAYER_CAM} from "./layercam.js";
import {classGradientMap, classInputGradient, saliencyMap, usedOutputs} from "./saliency.js";
import {scoreCamMap} from "./scorecam.js";
import {smoothGradMap} from "./smoothgrad.js";
import {X_GRAD_CAM} from "./xgradcam.js";

export {CAM, GRAD_CAM, GRAD_CAM_PLUS_PLUS, HI_RES_CAM, X_GRAD_CAM, LAYER_CAM, EIGEN_CAM, camMap, featureGradients, denseColumn, saliencyMap, classGradientMap, classInputGradient, usedOutputs};
export {scoreCamMap, smoothGradMap, integratedGradientsMap};
export type {CamMethod, CamName, GradientPath};
export {upsample, normaliseMap, lanczosMatrix, type UpsampleMethod} from "./upsample.js";

export const CAM_METHODS: Record<CamName, CamMethod> = {
  cam: CAM,
  gradcam: GRAD_CAM,
  gradcampp: GRAD_CAM_PLUS_PLUS,
  hirescam: HI_RES_CAM,
  xgradcam: X_GRAD_CAM,
  layercam: LAYER_CAM,
  eigencam: EIGEN_CAM
};
export {ALL_EXPLANATION_METHODS, EXPLANATION_LABELS, EXPLANATION_METHODS, POOLED_HEAD_EQUIVALENTS, type ExplanationMethod} from "./methods.js";
import type {ExplanationMethod} from "./methods.js";

export interface HeatMap {
  width: number;
  height: number;
  /** Raw values, row-major (CAM and Integrated Gradients keep their sign; the others are >= 0). */
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
    const camMethods = methods.filter((m): m is CamName => m in CAM_METHODS);
    const needsFeatures = camMethods.length > 0 || methods.includes("scorecam");
    const features = needsFeatures ? (options.features ?? classifier.forward(classifier.toInput(grey)).features) : null;
    if (features && camMethods.length) {
      const needsGradients = camMethods.some((m) => CAM_METHODS[m].usesGradients);
      const inputs = {
        features: features.squeeze([0]) as tf.Tensor3D,
        gradients: needsGradients ? featureGradients(classifier, features, classIndex, options.path) : (tf.zeros([1, 1, 1]) as tf.Tensor3D),
        denseWeights: denseColumn(classifier, classIndex)
      };
      for (const m of camMethods) maps[m] = camMap(CAM_METHODS[m], inputs);
    }
    if (features && methods.includes("scorecam")) maps.scorecam = scoreCamMap(classifier, grey, features.squeeze([0]) as tf.Tensor3D, classIndex);
    if (methods.includes("smoothgrad")) maps.smoothgrad = smoothGradMap(classifier, grey, classIndex);
    if (methods.includes("intgrad")) maps.intgrad = integratedGradientsMap(classifier, grey, classIndex);
    if (methods.includes("saliency")) maps.saliency = saliencyMap(classifier, grey, usedOutputs(classifier.labels));
    if (methods.includes("classGradient")) maps.classGradient = classGradientMap(classifier, grey, classIndex);
    return maps;
  });
}
