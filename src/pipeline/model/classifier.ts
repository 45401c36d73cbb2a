/**
 * The classifier of a bundle: a TF.js graph model plus the node names from its card. Every method
 * that returns tensors is meant to be called inside `tf.tidy` by its caller.
 */
import * as tf from "@tensorflow/tfjs";
import {normalisationConstants, type ClassifierSpec} from "../bundle/card.js";
import {cacheConvKernels, releaseConvKernels} from "./fast-conv-gradient.js";

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
    cacheConvKernels(this.weightTensors());
  }

  private weightTensors(): tf.Tensor[] {
    return Object.values(this.model.weights).flat();
  }

  /** Grey pixels [S, S] (or a batch [N, S, S]) in [0, 1] -> the model's input tensor (normalised, channels, layout). */
  toInput(grey: tf.Tensor2D | tf.Tensor3D): tf.Tensor4D {
    const {channels, inputLayout} = this.spec;
    const axis = grey.rank;
    // The channels come from broadcasting against the per-channel constants (one value per
    // channel): the same values as stacking the grey image three times, and its gradient is a Sum,
    // where stack's (Unpack on wasm) cost a tenth of a saliency map at 224 px.
    let normalised = grey.expandDims(axis).sub(this.mean).div(this.std);
    if (normalised.shape[axis] !== channels) throw new Error(`normalisation gives ${normalised.shape[axis]} channels, the model takes ${channels}`);
    if (normalised.rank === 3) normalised = normalised.expandDims(0);
    return inputLayout === "NCHW" ? (normalised as tf.Tensor4D).transpose([0, 3, 1, 2]) : (normalised as tf.Tensor4D);
  }

  /**
   * Whether one forward pass may take several images: the graph's input has an open batch
   * dimension (Chester's graphs are fixed at 1), and no batched run has failed yet.
   */
  get batchable(): boolean {
    if (this.batchFailed) return false;
    const input = this.model.inputs.find((i) => i.name === this.spec.inputNode) ?? this.model.inputs[0];
    const batch = input?.shape?.[0];
    return batch === undefined || batch === null || batch === -1;
  }
  private batchFailed = false;

  /**
   * Probabilities [N, C] of a list of grey [S, S] images: one forward pass for up to `maxBatch`
   * images where the graph takes a batch, else one pass per image. The same values either way
   * (each image's arithmetic does not depend on the others in the batch).
   */
  probabilities(images: tf.Tensor2D[], maxBatch = 16): tf.Tensor2D {
    return tf.tidy(() => {
      const one = (image: tf.Tensor2D) => (this.model.execute({[this.spec.inputNode]: this.toInput(image)}, this.spec.outputNode) as tf.Tensor).reshape([1, -1]);
      const rows: tf.Tensor[] = [];
      for (let start = 0; start < images.length; start += maxBatch) {
        const group = images.slice(start, start + maxBatch);
        if (group.length > 1 && this.batchable) {
          try {
            const out = this.model.execute({[this.spec.inputNode]: this.toInput(tf.stack(group) as tf.Tensor3D)}, this.spec.outputNode) as tf.Tensor;
            if (out.shape[0] === group.length && out.size === group.length * this.outputs) {
              rows.push(out.reshape([group.length, -1]));
              continue;
            }
          } catch {
            // A graph with its batch size built in (a reshape to 1): fall back to one image at a time.
          }
          this.batchFailed = true;
        }
        rows.push(...group.map(one));
      }
      return (rows.length === 1 ? rows[0]! : tf.concat(rows, 0)) as tf.Tensor2D;
    });
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
    releaseConvKernels(this.weightTensors());
    this.model.dispose();
    this.mean.dispose();
    this.std.dispose();
  }
}
