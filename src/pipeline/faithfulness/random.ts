/** Seeded normal deviates (Box-Muller over mulberry32): the same sequence in every JS engine. */
import {mulberry32} from "../metrics.js";

export function seededNormalFn(seed: number): () => number {
  const random = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
