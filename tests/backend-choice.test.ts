/**
 * The start-up measurement (src/pipeline/backend.ts, fastestBackend) takes WebGPU as a candidate
 * only where `navigator.gpu` gives an adapter, and otherwise skips it cleanly, saying why in the
 * choice that the page reports (no WebGPU here: Node has no navigator.gpu, and headless Chromium
 * without a GPU gives no adapter; tests/site-pages/analyse-backend.ts checks the page's line).
 */
import {afterEach, describe, expect, it} from "vitest";
import {fastestBackend, webgpuUnavailable, type BackendName} from "../src/pipeline/backend.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";

const start = (name: BackendName) => initBackend({prefer: [name]});
const global = globalThis as {navigator?: unknown};
const hadNavigator = "navigator" in globalThis;
const navigatorBefore = Object.getOwnPropertyDescriptor(globalThis, "navigator");

afterEach(() => {
  if (navigatorBefore) Object.defineProperty(globalThis, "navigator", navigatorBefore);
  else if (!hadNavigator) delete global.navigator;
});

function fakeNavigator(gpu: unknown) {
  Object.defineProperty(globalThis, "navigator", {value: {gpu}, configurable: true, writable: true});
}

describe("WebGPU in the backend measurement", () => {
  it("is skipped without navigator.gpu, and the choice says so", async () => {
    fakeNavigator(undefined);
    expect(await webgpuUnavailable()).toMatch(/no navigator\.gpu/);
    const chosen = await fastestBackend(["wasm", "webgpu"], start);
    expect(chosen.name).toBe("wasm");
    expect(chosen.probeMs.webgpu).toBeUndefined();
    expect(chosen.skipped?.webgpu).toMatch(/no navigator\.gpu/);
    expect(chosen.reason).toMatch(/webgpu not measured: no navigator\.gpu/);
  });

  it("is skipped where navigator.gpu gives no adapter (headless Chromium without a GPU)", async () => {
    fakeNavigator({requestAdapter: async () => null});
    const chosen = await fastestBackend(["webgpu", "wasm"], start);
    expect(chosen.name).toBe("wasm");
    expect(chosen.skipped?.webgpu).toMatch(/gave no adapter/);
    expect(chosen.reason).toMatch(/the only backend that started; webgpu not measured: .*gave no adapter/);
  });

  it("would be measured with an adapter, but not without its backend registered (Node bundles leave it out)", async () => {
    fakeNavigator({requestAdapter: async () => ({features: new Set(), limits: {}})});
    expect(await webgpuUnavailable()).toMatch(/not registered/);
  });
});
