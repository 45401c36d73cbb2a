/**
 * LayerCAM (Jiang et al. 2021): L = relu(sum_k relu(dS/dA^k) o A^k), only positive gradients, kept
 * per position. With a pooled head it is Grad-CAM without the channels whose dense weight is
 * negative, so the two differ even then.
 */
import type {CamMethod} from "./base.js";

export const LAYER_CAM: CamMethod = {
  name: "layercam",
  label: "LayerCAM",
  usesGradients: true,
  relu: true,
  positionWeights: ({gradients}) => gradients.relu()
};
