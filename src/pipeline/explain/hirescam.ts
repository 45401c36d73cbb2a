/**
 * HiResCAM (Draelos & Carin 2020): L = relu(sum_k dS/dA^k o A^k), the gradient kept at each position
 * instead of averaged. With a pooled head dS/dA is the same at every position, so HiResCAM equals
 * Grad-CAM exactly (the tests check it); they differ only for other heads.
 */
import type {CamMethod} from "./base.js";

export const HI_RES_CAM: CamMethod = {
  name: "hirescam",
  label: "HiResCAM",
  usesGradients: true,
  relu: true,
  positionWeights: ({gradients}) => gradients.clone()
};
