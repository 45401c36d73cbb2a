/**
 * The explanation pages' starting point: the chosen image decoded, its OOD verdict and predictions
 * (analyse with no maps), and the grey square the model sees as a plain array, so later cells can
 * rebuild tensors inside tf.tidy and no tensor lives between cells.
 */
import * as tf from "@tensorflow/tfjs";
import {analyse, type Analysis} from "../pipeline/analyse.js";
import {decodeInPage} from "./image-decoder.js";
import type {DecodedImage} from "../pipeline/image/types.js";
import {prepare} from "../pipeline/preprocess.js";
import type {ChosenImage} from "./image-chooser.js";
import type {LoadedModel} from "./model-loader.js";

export interface PageImage {
  name: string;
  samplePath?: string;
  decoded: DecodedImage;
  /** OOD verdict and predictions (every image is predicted; the verdict says when it should not be trusted). */
  analysis: Analysis;
  /** The classifier's input size S and the grey S x S pixels in [0, 1]. */
  size: number;
  pixels: Float32Array;
}

export async function readPageImage(image: ChosenImage, loaded: LoadedModel): Promise<PageImage> {
  const decoded = await decodeInPage(await image.bytes(), {name: image.name});
  const analysis = analyse(loaded.bundle, decoded, {methods: [], predictRejected: true});
  const size = loaded.bundle.card.classifier.inputSize;
  const prepared = prepare(decoded, size, analysis.resize);
  const pixels = prepared.pixels.dataSync().slice() as Float32Array;
  tf.dispose(prepared.pixels);
  return {name: image.name, samplePath: image.samplePath, decoded, analysis, size, pixels};
}

/** Lets the page paint (a progress line) before the next long synchronous step. */
export function nextFrame(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}
