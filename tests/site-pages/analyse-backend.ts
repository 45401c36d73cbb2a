/**
 * The Analyse page reports the analysis worker's backend choice (src/pipeline/backend.ts,
 * fastestBackend): the backend it runs on, each candidate's probe, and WebGPU either measured
 * (where the browser gives an adapter) or skipped with the reason, never silently (issue 16).
 */
import {expect} from "vitest";
import type {PageCheck} from "./page-check.js";

const check: PageCheck = {
  path: "/index.html",
  name: "analyse-backend",
  async run(page) {
    const summary = page.locator(".model-summary");
    await summary.waitFor({timeout: 300_000});
    const text = ((await summary.textContent()) ?? "").replace(/\s+/g, " ");
    expect(text).toMatch(/TF\.js backend: (wasm|webgl|webgpu) \(/);
    // wasm always starts in Chromium; WebGL and WebGPU are measured beside it or say why not.
    expect(text).toMatch(/wasm [\d.]+ ms/);
    expect(text).toMatch(/webgpu [\d.]+ ms|webgpu not measured: \S.+/);
    if (/webgpu not measured/.test(text)) console.log(`Analyse page: ${text.slice(text.indexOf("TF.js backend:"))}`);
  }
};
export default check;
