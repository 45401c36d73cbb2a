/** The VOI window functions, on their own so a viewer can use them without the DICOM decoder. */

/** VOI window functions of PS3.3 C.11.2.1.2 / C.11.2.1.3, mapping to [0, 1]. */
export function windowFunction(c: number, w: number, fn: string): (x: number) => number {
  if (fn === "SIGMOID") return (x) => 1 / (1 + Math.exp((-4 * (x - c)) / w));
  if (fn === "LINEAR_EXACT") return (x) => (x <= c - w / 2 ? 0 : x > c + w / 2 ? 1 : (x - c) / w + 0.5);
  // LINEAR: the half-integer offsets make a window of width W span exactly W stored values.
  const low = c - 0.5 - (w - 1) / 2;
  const high = c - 0.5 + (w - 1) / 2;
  return (x) => (x <= low ? 0 : x > high ? 1 : (x - (c - 0.5)) / (w - 1) + 0.5);
}
