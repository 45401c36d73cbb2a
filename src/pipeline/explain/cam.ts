/** Class Activation Mapping (Zhou et al. 2016; Chester section 4): w_k = W_kc, the dense weights. */
import type {CamMethod} from "./base.js";

export const CAM: CamMethod = {
  name: "cam",
  label: "CAM",
  usesGradients: false,
  relu: false,
  channelWeights: ({denseWeights}) => denseWeights.clone()
};
