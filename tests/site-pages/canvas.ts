/** Canvas facts the page checks read from the page: a pixel fingerprint and whether the pixels vary. */
import type {Locator} from "playwright-core";

export interface CanvasFacts {
  width: number;
  height: number;
  /** Distinct RGBA values among the pixels (1 = a uniform canvas). */
  distinct: number;
  /** A cheap hash of every pixel, to see that a picture changed. */
  hash: number;
}

export function canvasFacts(canvas: Locator): Promise<CanvasFacts> {
  return canvas.evaluate((node) => {
    const c = node as HTMLCanvasElement;
    const data = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    let hash = 0;
    for (let i = 0; i < data.length; i += 4) {
      const v = ((data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]!) >>> 0;
      if (seen.size < 1000) seen.add(v);
      hash = (Math.imul(hash, 31) + v) | 0;
    }
    return {width: c.width, height: c.height, distinct: seen.size, hash};
  });
}
