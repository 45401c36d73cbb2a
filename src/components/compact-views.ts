/**
 * A typed array that views part of a larger buffer (an image inside the bundled samples' pack) is
 * posted as a copy of its own bytes: structured cloning copies the WHOLE underlying buffer, tens of
 * megabytes per image, and froze the Preprocessing page for a second.
 */
export function compactViews(value: unknown, depth = 0): unknown {
  if (ArrayBuffer.isView(value)) {
    const view = value as ArrayBufferView & {slice?: () => ArrayBufferView};
    return view.byteLength < view.buffer.byteLength && typeof view.slice === "function" ? view.slice() : value;
  }
  if (depth > 3 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => compactViews(v, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compactViews(v, depth + 1)]));
}
