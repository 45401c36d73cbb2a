/**
 * Average Drop's and Black Average Drop's perturbations with any baseline (baselines.ts), on the
 * project's Perturbation interface (evaluate.ts), so AD, BAD and Increase in Confidence take the
 * baseline as a control.
 *
 * - AD's image: E = L I + (1 - L) B, the image blended towards the baseline image B by the map L
 *   min-max scaled to [0, 1]. With the black baseline (B = 0) this is L o I, the paper's E.
 * - BAD's image: the top alpha % of pixels by heat kept, every other pixel replaced by the baseline.
 *   With the black baseline this is the paper's image (keepTopPercent).
 */
import * as tf from "@tensorflow/tfjs";
import type {Perturbation} from "../evaluate.js";
import {baselineImage, type Baseline} from "./baselines.js";
import {topSelection} from "./relevance-order.js";

function plain(t: tf.Tensor2D): Float32Array {
  return Float32Array.from(t.dataSync());
}

export function blendTowardsBaseline(baseline: Baseline): Perturbation {
  return {
    name: `multiply-${baseline.name}`,
    apply: (image, heat) => {
      const [h, w] = image.shape;
      const b = baselineImage(baseline, plain(image), h, w);
      return tf.tidy(() => {
        const base = tf.tensor2d(b, [h, w]);
        return image.mul(heat).add(base.mul(tf.onesLike(heat).sub(heat))) as tf.Tensor2D;
      });
    }
  };
}

export function keepTopPercentOver(alphaPercent: number, baseline: Baseline): Perturbation {
  topSelection([0], alphaPercent); // validates alpha before any image is processed
  return {
    name: `top${alphaPercent}-${baseline.name}`,
    apply: (image, heat) => {
      const [h, w] = image.shape;
      const {mask} = topSelection(heat.dataSync(), alphaPercent);
      const removed = Uint8Array.from(mask, (m) => (m ? 0 : 1));
      return tf.tensor2d(baseline.replace(plain(image), h, w, removed), [h, w]);
    }
  };
}
