/**
 * Node and Chromium preprocess the same files to the same tensors (within 1/255): decodeImage and
 * prepare() are bundled for the browser by esbuild, served from 127.0.0.1, and run in headless
 * Chromium on the wasm backend and, where it starts, on WebGL; Node runs them on wasm.
 */
import {execFileSync} from "node:child_process";
import {existsSync, mkdtempSync, readFileSync, rmSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {
  bundleForBrowser,
  launchChromium,
  modulePage,
  serveStatic,
  type ChromiumSession,
  type Routes,
  type StaticServer,
  type WatchedPage
} from "./helpers/browser.js";
import {DATA_ROOT, REPO_ROOT} from "./helpers/paths.js";
import {preprocessVariants, startBackend, type BackendReport, type ParityResult} from "./browser/parity-entry.js";

const TOLERANCE = 1 / 255;
const IMG2DCM = "/usr/bin/img2dcm";
const DCMDJPEG = "/usr/bin/dcmdjpeg";
const WASM_DIR = path.join(REPO_ROOT, "node_modules/@tensorflow/tfjs-backend-wasm/dist");

interface Sample {
  label: string;
  file: string;
}

const data = (...parts: string[]) => path.join(DATA_ROOT, ...parts);
const DICOM_SOURCE = data("cxr-peds/originals/PNEUMONIA/person100_bacteria_475.jpeg"); // 1106x762

const SAMPLES: Sample[] = [
  {label: "peds 256 JPEG (normal)", file: data("cxr-peds/test/NORMAL/IM-0001-0001.jpg")},
  {label: "peds 256 JPEG (pneumonia)", file: data("cxr-peds/test/PNEUMONIA/person100_bacteria_475.jpg")},
  {label: "peds original JPEG 2444x2155", file: data("cxr-peds/originals/NORMAL/IM-0013-0001.jpeg")},
  {label: "nih 256 JPEG", file: data("cxr-nih/images256/00000061_012.jpg")},
  {label: "nih 64 PNG", file: data("cxr-nih/images64/00000001_000.png")},
  {label: "nih original PNG 1024", file: data("cxr-nih/originals/00000003_000-Hernia.png")},
  {label: "cifar10 RGB PNG 32", file: data("ood/cifar10/airplane_0001.png")},
  {label: "RGB JPEG fixture", file: path.join(REPO_ROOT, "tests/fixtures/synthetic-rgb-baseline.jpg")}
];

interface Difference {
  /** "224 crop" etc. */
  variant: string;
  /** max |node - browser| over the pixels (Infinity if either side has a NaN). */
  max: number;
}

/** Per size and mode, the largest |a - b|; checks first that both sides agree on the geometry. */
function differences(node: ParityResult, browser: ParityResult, where: string): Difference[] {
  expect([browser.width, browser.height, browser.channels, browser.format], `${where}: decoded header`).toEqual([
    node.width,
    node.height,
    node.channels,
    node.format
  ]);
  expect(browser.variants.length, where).toBe(node.variants.length);
  return node.variants.map((n, v) => {
    const b = browser.variants[v]!;
    const variant = `${n.size} ${n.mode}`;
    expect([b.size, b.mode, b.box], `${where} ${variant}`).toEqual([n.size, n.mode, n.box]);
    expect(b.pixels.length, `${where} ${variant}`).toBe(n.size * n.size);
    let max = 0;
    for (let i = 0; i < n.pixels.length; i++) {
      const d = Math.abs(n.pixels[i]! - b.pixels[i]!);
      // A NaN on either side must fail, not vanish in a comparison.
      if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
    }
    return {variant, max};
  });
}

describe("Node / Chromium preprocessing parity", () => {
  let tmp: string;
  let samples: Sample[];
  let nodeBackend: BackendReport;
  const nodeResults = new Map<string, ParityResult>();
  let plain: StaticServer;
  let isolated: StaticServer;
  let chromium: ChromiumSession;
  /** The page served plainly (wasm: SIMD, one thread; then WebGL) and cross-origin isolated (wasm threads). */
  let pages: {plain: WatchedPage; isolated: WatchedPage};
  const summary: string[] = [];

  beforeAll(async () => {
    // 1. A DICOM made from a real JPEG (JPEG Baseline inside DICOM) and, where dcmdjpeg exists, its
    //    uncompressed twin.
    if (!existsSync(IMG2DCM)) {
      throw new Error(`${IMG2DCM} is missing: install dcmtk (apt-get install dcmtk) to make the DICOM sample`);
    }
    tmp = mkdtempSync(path.join(os.tmpdir(), "cxr-parity-"));
    const dicomJpeg = path.join(tmp, "peds-jpeg-baseline.dcm");
    execFileSync(IMG2DCM, ["-q", DICOM_SOURCE, dicomJpeg], {stdio: "pipe"});
    samples = [...SAMPLES, {label: "DICOM (JPEG Baseline) 1106x762", file: dicomJpeg}];
    if (existsSync(DCMDJPEG)) {
      const dicomRaw = path.join(tmp, "peds-explicit-le.dcm");
      execFileSync(DCMDJPEG, ["-q", dicomJpeg, dicomRaw], {stdio: "pipe"});
      samples.push({label: "DICOM (uncompressed) 1106x762", file: dicomRaw});
    }
    for (const {file} of samples) if (!existsSync(file)) throw new Error(`sample missing: ${file} (is CXR_DATA right?)`);

    // 2. Node, on the wasm backend.
    nodeBackend = await startBackend("wasm");
    for (const sample of samples) {
      nodeResults.set(sample.label, preprocessVariants(new Uint8Array(readFileSync(sample.file)), path.basename(sample.file)));
    }

    // 3. The browser side: bundle, serve (twice: plain and cross-origin isolated), launch.
    const bundle = await bundleForBrowser(path.join(REPO_ROOT, "tests/browser/parity-entry.ts"));
    const routes: Routes = {
      "/index.html": modulePage(`/${bundle.name}`, "parity"),
      [`/${bundle.name}`]: bundle.file,
      [`/${bundle.name}.map`]: `${bundle.file}.map`,
      "/wasm/": WASM_DIR
    };
    samples.forEach((sample, i) => (routes[sampleUrl(sample, i)] = sample.file));
    plain = await serveStatic(routes);
    isolated = await serveStatic(routes, {crossOriginIsolated: true});
    chromium = await launchChromium();
    const open = async (server: StaticServer) => {
      const watched = await chromium.newPage();
      await watched.page.goto(server.url("/index.html"));
      await watched.page.waitForFunction(() => window.parity !== undefined, undefined, {timeout: 60_000});
      return watched;
    };
    pages = {plain: await open(plain), isolated: await open(isolated)};
  });

  afterAll(async () => {
    await chromium?.close();
    await plain?.close();
    await isolated?.close();
    if (tmp) rmSync(tmp, {recursive: true, force: true});
    if (summary.length > 0) console.log(`browser parity, max |node - browser| (tolerance 1/255 = ${TOLERANCE.toExponential(3)}):\n  ${summary.join("\n  ")}`);
  });

  function sampleUrl(sample: Sample, i: number): string {
    return `/data/${i}${path.extname(sample.file)}`;
  }

  /** Start `backend` in `watched`, run every sample there and compare with Node; undefined if WebGL cannot start. */
  async function compare(watched: WatchedPage, server: StaticServer, backend: "wasm" | "webgl", label: string): Promise<BackendReport | undefined> {
    const {page} = watched;
    let report: BackendReport;
    try {
      report = await page.evaluate(([b, w]) => window.parity!.startBackend(b, w), [backend, server.url("/wasm/")] as const);
    } catch (error) {
      if (backend === "wasm") throw error;
      summary.push(`${label}: did not initialise in headless Chromium (${(error as Error).message.split("\n")[0]})`);
      return undefined;
    }
    expect(report.backend).toBe(backend);
    let overall = 0;
    const lines: string[] = [];
    for (const [i, sample] of samples.entries()) {
      const browser = await page.evaluate(([u, n]) => window.parity!.run(u, n), [sampleUrl(sample, i), path.basename(sample.file)] as const);
      const diffs = differences(nodeResults.get(sample.label)!, browser, `${label} ${sample.label}`);
      for (const {variant, max} of diffs) {
        expect(max, `${label} ${sample.label} ${variant}: max |node - browser|`).toBeLessThanOrEqual(TOLERANCE);
      }
      const worst = diffs.reduce((a, b) => (b.max > a.max ? b : a));
      overall = Math.max(overall, worst.max);
      lines.push(`    ${sample.label}: ${worst.max === 0 ? "0 (bit-identical)" : `${worst.max.toExponential(3)} (at ${worst.variant})`}`);
    }
    const renderer = backend === "webgl" ? ` on ${await page.evaluate(() => window.parity!.webglRenderer())}` : "";
    summary.push(
      `${label} ${JSON.stringify(report.flags)}${renderer} vs Node wasm ${JSON.stringify(nodeBackend.flags)}: ` +
        `max ${overall.toExponential(3)} = ${(overall * 255).toFixed(4)}/255\n${lines.join("\n")}`
    );
    return report;
  }

  it("Node covers every format (JPEG, PNG, grey and RGB, DICOM) with non-trivial pixels in [0, 1]", () => {
    expect(nodeBackend.backend).toBe("wasm");
    const formats = new Set([...nodeResults.values()].map((r) => `${r.format}/${r.channels}`));
    expect([...formats]).toEqual(expect.arrayContaining(["dicom/1", "jpeg/1", "jpeg/3", "png/1", "png/3"]));
    for (const [label, result] of nodeResults) {
      for (const {size, mode, pixels} of result.variants) {
        const lo = Math.min(...pixels);
        const hi = Math.max(...pixels);
        expect(lo, `${label} ${size} ${mode}`).toBeGreaterThanOrEqual(0);
        expect(hi, `${label} ${size} ${mode}`).toBeLessThanOrEqual(1);
        // A blank tensor on both sides would agree perfectly and prove nothing.
        expect(hi - lo, `${label} ${size} ${mode}: contrast`).toBeGreaterThan(0.2);
      }
    }
  });

  it("the comparison catches a difference of just over 1/255", () => {
    const [label, node] = [...nodeResults][0]!;
    const nudged: ParityResult = {...node, variants: node.variants.map((v) => ({...v, pixels: [...v.pixels]}))};
    nudged.variants[1]!.pixels[1234] = nudged.variants[1]!.pixels[1234]! + 1.01 / 255;
    const diffs = differences(node, nudged, label);
    expect(diffs[1]!.max).toBeGreaterThan(TOLERANCE);
    expect(diffs.filter((d) => d.max !== 0)).toHaveLength(1);
  });

  it("Chromium wasm (SIMD, one thread) matches Node wasm within 1/255", async () => {
    const report = await compare(pages.plain, plain, "wasm", "Chromium wasm");
    expect(report?.flags.WASM_HAS_MULTITHREAD_SUPPORT).toBe(false);
  });

  it("Chromium wasm, cross-origin isolated (threads), matches Node wasm within 1/255", async () => {
    expect(await pages.isolated.page.evaluate(() => crossOriginIsolated)).toBe(true);
    await compare(pages.isolated, isolated, "wasm", "Chromium wasm, crossOriginIsolated");
  });

  it("Chromium WebGL matches Node wasm within 1/255 (when WebGL starts)", async (context) => {
    const report = await compare(pages.plain, plain, "webgl", "Chromium webgl");
    if (!report) context.skip();
  });

  it("the pages made no request off 127.0.0.1 and logged no errors", () => {
    for (const [name, watched] of Object.entries(pages)) {
      expect(watched.requests.length, name).toBeGreaterThan(0);
      expect(watched.foreignRequests(), name).toEqual([]);
      expect(watched.errors, name).toEqual([]);
      watched.assertClean();
    }
    for (const server of [plain, isolated]) {
      // Every request was served (no 404 for a .wasm file silently retried elsewhere).
      expect(server.log.filter((r) => r.status !== 200)).toEqual([]);
      expect(server.log.some((r) => r.path.endsWith(".wasm"))).toBe(true);
    }
  });
});
