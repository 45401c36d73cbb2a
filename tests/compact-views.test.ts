/** Messages to the analysis worker copy only an image's own bytes, not the pack buffer it sits in. */
import {describe, expect, it} from "vitest";
import {compactViews} from "../src/components/compact-views.js";

describe("compactViews", () => {
  it("copies a view of a larger buffer down to its own bytes, inside the call's arguments", () => {
    const pack = new Uint8Array(1 << 20).map((_, i) => i & 255);
    const image = pack.subarray(1000, 1010);
    const [args] = compactViews([{bytes: image, name: "a.png", sizes: [224, 64], nested: {more: [image]}}]) as [{bytes: Uint8Array; name: string; sizes: number[]; nested: {more: Uint8Array[]}}];
    expect(args.bytes.buffer.byteLength).toBe(10);
    expect([...args.bytes]).toEqual([...image]);
    expect(args.nested.more[0]!.buffer.byteLength).toBe(10);
    expect(args.name).toBe("a.png");
    expect(args.sizes).toEqual([224, 64]);
  });

  it("leaves whole buffers and other values as they are", () => {
    const whole = new Float32Array(8);
    const [same, n, s] = compactViews([whole, 3, "x"]) as [Float32Array, number, string];
    expect(same).toBe(whole);
    expect([n, s]).toEqual([3, "x"]);
  });
});
