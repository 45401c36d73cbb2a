/**
 * The explanation methods by name, their labels and which coincide with a pooled head: constants a
 * page needs without loading TF.js (index.ts, which computes the maps, re-exports them).
 */
import type {CamName} from "./base.js";

export type ExplanationMethod = "saliency" | "classGradient" | CamName | "scorecam" | "smoothgrad" | "intgrad";
/** The methods the Analyse page and analyse() compute by default. */
export const EXPLANATION_METHODS: ExplanationMethod[] = ["saliency", "cam", "gradcam", "gradcampp"];
/** Every map method (classGradient is Chester's per-class view, not evaluated). */
export const ALL_EXPLANATION_METHODS: ExplanationMethod[] = ["saliency", "cam", "gradcam", "gradcampp", "hirescam", "xgradcam", "layercam", "eigencam", "scorecam", "smoothgrad", "intgrad"];
export const EXPLANATION_LABELS: Record<ExplanationMethod, string> = {
  saliency: "Gradient saliency",
  classGradient: "Class gradient",
  cam: "CAM",
  gradcam: "Grad-CAM",
  gradcampp: "Grad-CAM++",
  hirescam: "HiResCAM",
  xgradcam: "XGrad-CAM",
  layercam: "LayerCAM",
  eigencam: "Eigen-CAM",
  scorecam: "Score-CAM",
  smoothgrad: "SmoothGrad",
  intgrad: "Integrated Gradients"
};
/**
 * Methods that give the same map as another one when the head is a global average pool (dS/dA is
 * W/(hw) at every position): said beside them on the pages.
 */
export const POOLED_HEAD_EQUIVALENTS: Partial<Record<ExplanationMethod, {same: ExplanationMethod; note: string}>> = {
  gradcam: {same: "cam", note: "relu(CAM) / (h w): the same ranking of positive pixels"},
  hirescam: {same: "gradcam", note: "identical: the gradient is the same at every position"},
  xgradcam: {same: "gradcam", note: "identical: w_k = W_kc / (h w)"}
};
