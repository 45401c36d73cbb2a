/**
 * Localisation against an expert's box (Saporta et al. 2022 found every saliency method below
 * radiologists): the pointing game (is the map's maximum inside the box), the energy-based pointing
 * game (the share of the map's positive mass inside the box), and IoU between the box and the map
 * binarised by Otsu's threshold. Maps at the image's size; boxes in the same pixel coordinates
 * (x, y of the top-left corner, width, height; a pixel is inside when its centre is).
 */

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Localisation {
  /** 1 when the map's maximum (every tied maximum) lies in the box, 0 when none does; between for a split tie. */
  pointingHit: number;
  /** Sum of max(0, map) inside the box / over the image (NaN for a map with no positive value). */
  energyInside: number;
  /** IoU of the Otsu-binarised map with the box. */
  iou: number;
  otsuThreshold: number;
  /** Share of the image the box covers: the chance level of the energy game for a flat map. */
  boxShare: number;
}

/** 1 for pixels whose centre lies in the box. */
export function boxMask(box: Box, height: number, width: number): Uint8Array {
  const mask = new Uint8Array(height * width);
  for (let r = 0; r < height; r++) {
    const cy = r + 0.5;
    if (cy < box.y || cy > box.y + box.height) continue;
    for (let c = 0; c < width; c++) {
      const cx = c + 0.5;
      if (cx >= box.x && cx <= box.x + box.width) mask[r * width + c] = 1;
    }
  }
  return mask;
}

/** Otsu's threshold over `bins` bins of the map's range: a pixel is foreground when > threshold. */
export function otsuThreshold(map: ArrayLike<number>, bins = 256): number {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < map.length; i++) {
    min = Math.min(min, map[i]!);
    max = Math.max(max, map[i]!);
  }
  if (!(max > min)) return max;
  const histogram = new Float64Array(bins);
  const bin = (v: number) => Math.min(bins - 1, Math.floor(((v - min) / (max - min)) * bins));
  for (let i = 0; i < map.length; i++) histogram[bin(map[i]!)]++;
  const total = map.length;
  let sumAll = 0;
  for (let b = 0; b < bins; b++) sumAll += b * histogram[b]!;
  let weightBelow = 0;
  let sumBelow = 0;
  let best = -1;
  let bestBin = 0;
  for (let b = 0; b < bins - 1; b++) {
    weightBelow += histogram[b]!;
    sumBelow += b * histogram[b]!;
    const weightAbove = total - weightBelow;
    if (!weightBelow || !weightAbove) continue;
    const between = weightBelow * weightAbove * (sumBelow / weightBelow - (sumAll - sumBelow) / weightAbove) ** 2;
    if (between > best) {
      best = between;
      bestBin = b;
    }
  }
  // Foreground: the bins above bestBin, i.e. values >= the upper edge of bin bestBin.
  return min + ((bestBin + 1) / bins) * (max - min) - Number.EPSILON * Math.abs(max);
}

export function localise(map: ArrayLike<number>, height: number, width: number, box: Box): Localisation {
  if (map.length !== height * width) throw new RangeError(`the map must be at the image's size (${height} x ${width}); upsample it first`);
  if (!(box.width > 0 && box.height > 0)) throw new RangeError(`a box needs a positive width and height, got ${box.width} x ${box.height}`);
  const inside = boxMask(box, height, width);
  let max = -Infinity;
  for (let i = 0; i < map.length; i++) max = Math.max(max, map[i]!);
  let maxima = 0;
  let maximaInside = 0;
  let energy = 0;
  let energyIn = 0;
  let boxPixels = 0;
  for (let i = 0; i < map.length; i++) {
    const v = map[i]!;
    if (v === max) {
      maxima++;
      maximaInside += inside[i]!;
    }
    const positive = Math.max(0, v);
    energy += positive;
    if (inside[i]) {
      energyIn += positive;
      boxPixels++;
    }
  }
  const threshold = otsuThreshold(map);
  let intersection = 0;
  let union = 0;
  for (let i = 0; i < map.length; i++) {
    const fg = map[i]! > threshold ? 1 : 0;
    if (fg && inside[i]) intersection++;
    if (fg || inside[i]) union++;
  }
  return {
    pointingHit: maxima ? maximaInside / maxima : NaN,
    energyInside: energy > 0 ? energyIn / energy : NaN,
    iou: union ? intersection / union : NaN,
    otsuThreshold: threshold,
    boxShare: boxPixels / map.length
  };
}

/** A box of boxes.csv (cxr-nih): coordinates in the image_size-pixel frame of the stored image. */
export interface BoxRow extends Box {
  path: string;
  finding: string;
  imageSize: number;
}

/**
 * Parses boxes.csv (path, finding, x, y, width, height, image_size; other columns ignored). Rows
 * with a bad value are reported by line, not dropped silently.
 */
export function parseBoxesCsv(text: string): {boxes: BoxRow[]; errors: string[]} {
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  if (!lines.length) return {boxes: [], errors: ["the boxes file is empty"]};
  const header = lines[0]!.split(",").map((h) => h.trim().toLowerCase());
  const need = ["path", "finding", "x", "y", "width", "height", "image_size"];
  const missing = need.filter((n) => !header.includes(n));
  if (missing.length) return {boxes: [], errors: [`the boxes file has no ${missing.join(", ")} column${missing.length > 1 ? "s" : ""}`]};
  const at = (name: string) => header.indexOf(name);
  const boxes: BoxRow[] = [];
  const errors: string[] = [];
  lines.slice(1).forEach((line, k) => {
    const cells = line.split(",").map((c) => c.trim());
    const num = (name: string) => Number(cells[at(name)]);
    const row = {path: cells[at("path")] ?? "", finding: cells[at("finding")] ?? "", x: num("x"), y: num("y"), width: num("width"), height: num("height"), imageSize: num("image_size")};
    if (!row.path || ![row.x, row.y, row.width, row.height, row.imageSize].every(Number.isFinite) || row.width <= 0 || row.height <= 0 || row.imageSize <= 0)
      errors.push(`line ${k + 2}: not a valid box (${line})`);
    else boxes.push(row);
  });
  return {boxes, errors};
}

/**
 * A box in the stored image's frame (square, imageSize) mapped to the model input's frame, for the
 * scale-and-centre-crop preprocessing of a square image (a plain scale).
 */
export function scaleBox(box: Box, fromSize: number, toSize: number): Box {
  const s = toSize / fromSize;
  return {x: box.x * s, y: box.y * s, width: box.width * s, height: box.height * s};
}

/**
 * A boxes.csv box (in its `imageSize` frame, the stored square image) in the model input's frame,
 * for an image of `width` x `height` pixels (the same radiograph at any resolution) of which
 * `region` (preprocess.ts inputBox: the centre crop or the whole image) became the size x size
 * input. A box reaching outside the region is clipped to it; null when nothing of it is left.
 */
export function boxInInput(box: BoxRow, width: number, height: number, region: Box, size: number): Box | null {
  const sx = width / box.imageSize;
  const sy = height / box.imageSize;
  const kx = size / region.width;
  const ky = size / region.height;
  const x0 = Math.max(0, (box.x * sx - region.x) * kx);
  const y0 = Math.max(0, (box.y * sy - region.y) * ky);
  const x1 = Math.min(size, ((box.x + box.width) * sx - region.x) * kx);
  const y1 = Math.min(size, ((box.y + box.height) * sy - region.y) * ky);
  return x1 > x0 && y1 > y0 ? {x: x0, y: y0, width: x1 - x0, height: y1 - y0} : null;
}
