/**
 * The DICOM codecs in Debian's Chromium: files of every compressed transfer syntax, made by dcmtk
 * and gdcmconv from a real chest X-ray, decode in the browser (the codecs' .wasm served from
 * 127.0.0.1, nothing else reachable) to exactly the pixels Node decodes, and to the uncompressed
 * file's pixels for the lossless syntaxes.
 */
import {spawnSync} from "node:child_process";
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {decodeImage, decodeImageAsync} from "../src/pipeline/image/index.js";
import {bundleForBrowser, launchChromium, modulePage, serveStatic, type ChromiumSession, type Routes, type StaticServer, type WatchedPage} from "./helpers/browser.js";
import {el, greyImage, writeDicom} from "./helpers/dicom-writer.js";
import {DATA_ROOT, REPO_ROOT} from "./helpers/paths.js";

const SOURCE = path.join(DATA_ROOT, "cxr-nih/images256/00000061_012.jpg");
const WASM = {
  "charlswasm_decode.wasm": "node_modules/@cornerstonejs/codec-charls/dist/charlswasm_decode.wasm",
  "openjpegwasm_decode.wasm": "node_modules/@cornerstonejs/codec-openjpeg/dist/openjpegwasm_decode.wasm",
  "openjphjs.wasm": "node_modules/@cornerstonejs/codec-openjph/dist/openjphjs.wasm"
};
const FILES: [string, string[]][] = [
  ["explicit.dcm", []],
  ["jpeg-lossless.dcm", ["dcmcjpeg", "+e1"]],
  ["jpeg-ls.dcm", ["dcmcjpls"]],
  ["jpeg-ls-near.dcm", ["dcmcjpls", "+en"]],
  ["rle.dcm", ["dcmcrle"]],
  ["deflated.dcm", ["dcmconv", "+td"]],
  ["j2k.dcm", ["gdcmconv", "--j2k"]],
  ["j2k-lossy.dcm", ["gdcmconv", "--j2k", "--lossy", "-q", "40"]]
];

// gdcmconv --lossy derives a new instance, which needs the SOP Class and Instance UIDs.
const SOP = [el(0x00080016, "UI", "1.2.840.10008.5.1.4.1.1.1.1"), el(0x00080018, "UI", "1.2.826.0.1.3680043.8.498.1"), el(0x00080060, "CS", "DX")];

let dir = "";
let server: StaticServer;
let chromium: ChromiumSession;
let watched: WatchedPage;

function run(tool: string, ...args: string[]) {
  const result = spawnSync(tool, args, {encoding: "utf8"});
  if (result.error || result.status !== 0) throw new Error(`${tool} ${args.join(" ")} failed: ${result.error?.message ?? result.stderr}`);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "cxr-browser-codecs-"));
  // 12 bits stored from a real NIH image, so the 16-bit paths of every codec run.
  const jpeg = decodeImage(new Uint8Array(readFileSync(SOURCE)));
  const stored = Uint16Array.from(jpeg.data, (v) => Math.round(v * 4095));
  writeFileSync(path.join(dir, "explicit.dcm"), writeDicom(greyImage(jpeg.width, jpeg.height, stored, SOP, {allocated: 16, stored: 12})));
  for (const [name, [tool, ...args]] of FILES) if (tool) run(tool, ...args, path.join(dir, "explicit.dcm"), path.join(dir, name));

  const bundle = await bundleForBrowser(path.join(REPO_ROOT, "tests/browser/dicom-codecs-entry.ts"));
  const routes: Routes = {
    "/index.html": modulePage(`/${bundle.name}`, "dicom codecs"),
    [`/${bundle.name}`]: bundle.file,
    "/data/": dir
  };
  for (const [name, file] of Object.entries(WASM)) routes[`/codecs/${name}`] = path.join(REPO_ROOT, file);
  server = await serveStatic(routes);
  chromium = await launchChromium();
  watched = await chromium.newPage();
  await watched.page.goto(server.url("/index.html"));
  await watched.page.waitForFunction(() => window.dicomCodecs !== undefined, undefined, {timeout: 60_000});
});

afterAll(async () => {
  await chromium?.close();
  await server?.close();
  if (dir) rmSync(dir, {recursive: true, force: true});
});

describe("DICOM codecs in Chromium", () => {
  it.each(FILES.map(([name]) => name))("%s decodes in the browser exactly as in Node", async (name) => {
    const browser = await watched.page.evaluate(([u, w]) => window.dicomCodecs!.decodeUrl(u, w), [server.url(`/data/${name}`), server.url("/codecs/")] as const);
    const node = await decodeImageAsync(new Uint8Array(readFileSync(path.join(dir, name))));
    expect([browser.width, browser.height, browser.transferSyntaxUID]).toEqual([node.width, node.height, node.info.transferSyntaxUID]);
    expect(browser.codec).toBe((node.info.codec as string | undefined) ?? null);
    const nodeLevels = Array.from(node.data, (v) => Math.round(v * 65535));
    let differing = 0;
    nodeLevels.forEach((v, i) => (differing += v === browser.levels[i] ? 0 : 1));
    expect(differing, `${name}: pixels differing between Node and Chromium`).toBe(0);
    if (!name.includes("lossy") && !name.includes("near")) {
      const reference = decodeImage(new Uint8Array(readFileSync(path.join(dir, "explicit.dcm"))));
      const same = reference.data.every((v, i) => Math.round(v * 65535) === browser.levels[i]);
      expect(same, `${name}: lossless, so equal to the uncompressed file`).toBe(true);
    }
  });

  it("the page fetched the codecs from 127.0.0.1 only and raised no error", () => {
    const urls = watched.requests;
    expect(urls.some((u) => u.endsWith("/codecs/openjpegwasm_decode.wasm"))).toBe(true);
    expect(urls.some((u) => u.endsWith("/codecs/charlswasm_decode.wasm"))).toBe(true);
    expect(watched.foreignRequests()).toEqual([]);
    expect(watched.errors).toEqual([]);
  });
});
