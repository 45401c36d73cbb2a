/**
 * The explanation pages' starting point: the chosen image decoded, its OOD verdict and predictions
 * (analysed in the worker with no maps, decided by the workbench's thresholds), and the grey
 * square the model sees as a plain array, so later calls can send it back to the worker.
 */
import type {Analysis} from "../pipeline/analyse.js";
import type {DecodedImage} from "../pipeline/image/types.js";
import {applyThresholds} from "../pipeline/thresholds.js";
import type {ChosenImage} from "./image-chooser.js";
import {workbench} from "./workbench-state.js";
import type {RemoteModel} from "./workbench-worker.js";

export interface PageImage {
  name: string;
  samplePath?: string;
  decoded: Omit<DecodedImage, "data">;
  /** OOD verdict and predictions (every image is predicted; the verdict says when it should not be trusted). */
  analysis: Analysis & {userThresholds?: {gate: boolean; findings: string[]}};
  /** The classifier's input size S and the grey S x S pixels in [0, 1]. */
  size: number;
  pixels: Float32Array;
}

export async function readPageImage(image: ChosenImage, loaded: RemoteModel): Promise<PageImage> {
  const size = loaded.card.classifier.inputSize;
  const result = await loaded.analyse(await image.source(), image.name, {methods: [], predictRejected: true, displaySize: size});
  const analysis = applyThresholds(result.analysis, workbench.thresholds(), {scaleUpper: loaded.card.scaleUpper});
  return {name: image.name, samplePath: image.samplePath, decoded: result.decoded, analysis, size, pixels: result.pixels};
}

/** Lets the page paint (a progress line) before the next step. */
export function nextFrame(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}
