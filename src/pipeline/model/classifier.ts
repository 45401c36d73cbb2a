/**
 * The classifier of a bundle: a TF.js graph model plus the node names from its card. Every method
 * that returns tensors is meant to be called inside `tf.tidy` by its caller.
 */
import * as tf from "@tensorflow/tfjs";
import {normalisationConstants, type ClassifierSpec} from "../bundle/card.js";

export class Classifier {
  readonly spec: ClassifierSpec;
  readonly model: tf.GraphModel;
  /** Final dense layer, [K, C]: the CAM weights w_ck. */
  readonly denseKernel: tf.Tensor2D;
  readonly outputs: number;
  /** One per output, from the card; "" marks an unused output. */
  readonly labels: string[];
  /** True once the warm-up has checked that logits = mean_xy(features) . W + b. */
  fastPathVerified = false;
  private readonly mean: tf.Tensor1D;
  private readonly std: tf.Tensor1D;

  constructor(model: tf.GraphModel, spec: ClassifierSpec, labels: string[]) {
    this.model = model;
    this.spec = spec;
    this.labels = labels;
    const kernel = model.weights[spec.denseKernel]?.[0];
    if (!kernel) throw new Error(`dense kernel "${spec.denseKernel}" is not a weight of the classifier`);
    if (kernel.rank !== 2) throw new Error(`dense kernel "${spec.denseKernel}" has shape [${kernel.shape}], expected [K, C]`);
    this.denseKernel = kernel as tf.Tensor2D;
    this.outputs = kernel.shape[1]!;
    const {mean, std} = normalisationConstants(spec.normalisation, spec.channels);
    this.mean = tf.tensor1d(mean);
    this.std = tf.tensor1d(std);
  }

  /** Grey pixels [S, S] in [0, 1] -> the model's input tensor (normalised, channels, layout). */
  toInput(grey: tf.Tensor2D): tf.Tensor4D {
    const {channels, inputLayout} = this.spec;
    const hwc = channels === 1 ? grey.expandDims(2) : tf.stack([grey, grey, grey], 2);
    const normalised = hwc.sub(this.mean).div(this.std).expandDims(0) as tf.Tensor4D;
    return inputLayout === "NCHW" ? normalised.transpose([0, 3, 1, 2]) : normalised;
  }

  /** Runs the graph once: pre-sigmoid logits [1, C], probabilities [1, C], features NHWC [1, h, w, K]. */
  forward(input: tf.Tensor4D): {logits: tf.Tensor2D; probabilities: tf.Tensor2D; features: tf.Tensor4D} {
    const {inputNode, logitsNode, outputNode, featureNode} = this.spec;
    const [logits, probabilities, features] = this.model.execute({[inputNode]: input}, [logitsNode, outputNode, featureNode]) as tf.Tensor[];
    return {
      logits: logits!.reshape([1, -1]) as tf.Tensor2D,
      probabilities: probabilities!.reshape([1, -1]) as tf.Tensor2D,
      features: this.toNHWC(features as tf.Tensor4D)
    };
  }

  /** Logits [1, C] from the image alone (what saliency differentiates). */
  logits(input: tf.Tensor4D): tf.Tensor2D {
    return (this.model.execute({[this.spec.inputNode]: input}, this.spec.logitsNode) as tf.Tensor).reshape([1, -1]) as tf.Tensor2D;
  }

  /** The head as a function of the feature map: runs the graph from the feature node to the logits. */
  logitsFromFeatures(featuresNHWC: tf.Tensor4D): tf.Tensor2D {
    const fed = this.spec.featureLayout === "NCHW" ? featuresNHWC.transpose([0, 3, 1, 2]) : featuresNHWC;
    return (this.model.execute({[this.spec.featureNode]: fed}, this.spec.logitsNode) as tf.Tensor).reshape([1, -1]) as tf.Tensor2D;
  }

  /**
   * Checks the card's "global-average-pool" claim on one input: the head recomputed from pooled
   * features must give the graph's logits. Only then may the CAM family skip the backward pass.
   */
  verifyPooledHead(input: tf.Tensor4D, tolerance = 1e-3): {verified: boolean; maxError: number} {
    if (this.spec.head !== "global-average-pool") return {verified: false, maxError: NaN};
    const maxError = tf.tidy(() => {
      const {logits, features} = this.forward(input);
      let recomputed = features.mean([1, 2]).matMul(this.denseKernel);
      const bias = this.spec.denseBias ? this.model.weights[this.spec.denseBias]?.[0] : undefined;
      if (bias) recomputed = recomputed.add(bias.reshape([1, -1]));
      const scale = Math.max(1, logits.abs().max().dataSync()[0]!);
      return recomputed.sub(logits).abs().max().dataSync()[0]! / scale;
    });
    this.fastPathVerified = maxError <= tolerance;
    return {verified: this.fastPathVerified, maxError};
  }

  private toNHWC(features: tf.Tensor4D): tf.Tensor4D {
    return this.spec.featureLayout === "NCHW" ? features.transpose([0, 2, 3, 1]) : features;
  }

  dispose() {
    this.model.dispose();
    this.mean.dispose();
    this.std.dispose();
  }
}
