/**
 * The walkthrough's one entry to model compute: the decoded image, edited ("what if"), through the
 * project's analyse(). Kept to one async function over plain data so that it can move to a Web
 * Worker later without the page changing: the page only awaits analyseEdited.
 */
import * as tf from "@tensorflow/tfjs";
import {analyse, type AnalyseOptions, type Analysis} from "../pipeline/analyse.js";
import type {Bundle} from "../pipeline/bundle/load.js";
import type {DecodedImage} from "../pipeline/image/types.js";
import {greyTensor, prepare} from "../pipeline/preprocess.js";
import {applyEdits, describeEdits, type GreyImage, type WhatIfEdits} from "../pipeline/what-if.js";

export interface EditedAnalysis {
  /** The edited grey image at the decoded resolution: what the pipeline's preprocessing received. */
  edited: GreyImage;
  /** The edits in words, in the order applied. */
  edits: string[];
  analysis: Analysis;
  /** The classifier's input size S and its S x S grey input in [0, 1] (before the model's normalisation). */
  size: number;
  input: Float32Array;
  /** Milliseconds spent applying the edits. */
  editMs: number;
}

const greyCache = new WeakMap<DecodedImage, GreyImage>();

/** The decoded image in grey (BT.601, the pipeline's own conversion), computed once per image. */
export function greyOf(image: DecodedImage): GreyImage {
  let grey = greyCache.get(image);
  if (!grey) {
    const tensor = greyTensor(image);
    grey = {width: image.width, height: image.height, data: tensor.dataSync().slice() as Float32Array};
    tensor.dispose();
    greyCache.set(image, grey);
  }
  return grey;
}

/**
 * Applies `edits` to the decoded image and analyses the result with `bundle` (options as analyse's;
 * by default every image is predicted, even one the gate rejects, so a class sees what the model
 * would say). Throws a RangeError naming every bad edit; no tensor outlives the call.
 */
export async function analyseEdited(bundle: Bundle, image: DecodedImage, edits: WhatIfEdits, options: AnalyseOptions = {}): Promise<EditedAnalysis> {
  const start = performance.now();
  const edited = applyEdits(greyOf(image), edits);
  const editMs = performance.now() - start;
  // A grey DecodedImage: the pipeline's grey conversion passes it through unchanged. A huge image's
  // reduced copy is edited as an image of its own size (its exact squares are of the unedited pixels).
  const {reduced: _unedited, ...rest} = image;
  const decoded: DecodedImage = {...rest, channels: 1, data: edited.data, width: edited.width, height: edited.height};
  const analysis = analyse(bundle, decoded, {predictRejected: true, ...options});
  const size = bundle.card.classifier.inputSize;
  const prepared = prepare(decoded, size, analysis.resize);
  const input = prepared.pixels.dataSync().slice() as Float32Array;
  tf.dispose(prepared.pixels);
  return {edited, edits: describeEdits(edits), analysis, size, input, editMs};
}
