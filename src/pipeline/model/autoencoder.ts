/** The OOD autoencoder of a bundle: reconstruction and latent code of a small grey image. */
import * as tf from "@tensorflow/tfjs";
import {normalisationConstants, type AutoencoderSpec} from "../bundle/card.js";

export class Autoencoder {
  readonly spec: AutoencoderSpec;
  readonly model: tf.GraphModel;
  private readonly mean: number;
  private readonly std: number;

  constructor(model: tf.GraphModel, spec: AutoencoderSpec) {
    this.model = model;
    this.spec = spec;
    const {mean, std} = normalisationConstants(spec.normalisation, 1);
    this.mean = mean[0]!;
    this.std = std[0]!;
  }

  /**
   * Grey pixels [S, S] in [0, 1] -> reconstruction [S, S] back in pixel scale (clipped to [0, 1])
   * and the latent code as a flat vector. Call inside `tf.tidy`.
   */
  reconstruct(grey: tf.Tensor2D): {reconstruction: tf.Tensor2D; latent: tf.Tensor1D} {
    const {inputNode, outputNode, latentNode, inputLayout, inputSize} = this.spec;
    const normalised = grey.sub(this.mean).div(this.std);
    const input = inputLayout === "NCHW" ? normalised.reshape([1, 1, inputSize, inputSize]) : normalised.reshape([1, inputSize, inputSize, 1]);
    const [output, latent] = this.model.execute({[inputNode]: input}, [outputNode, latentNode]) as tf.Tensor[];
    const reconstruction = output!.reshape([inputSize, inputSize]).mul(this.std).add(this.mean).clipByValue(0, 1) as tf.Tensor2D;
    return {reconstruction, latent: latent!.reshape([-1]) as tf.Tensor1D};
  }

  dispose() {
    this.model.dispose();
  }
}
