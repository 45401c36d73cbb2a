/**
 * The built site in Debian's Chromium: it builds with no CDN, serves from 127.0.0.1, runs the
 * pipeline in the page, and never requests anything from another host.
 */
import {execFileSync} from "node:child_process";
import {mkdirSync, mkdtempSync, readdirSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {launchChromium, serveStatic, type ChromiumSession, type StaticServer} from "./helpers/browser.js";
import {DATA_ROOT, REPO_ROOT} from "./helpers/paths.js";

const DIST = path.join(REPO_ROOT, "dist");
const SCREENSHOTS = path.join(REPO_ROOT, "test-output/screenshots");
let server: StaticServer;
let chromium: ChromiumSession;

beforeAll(async () => {
  // The same command a user runs; its prebuild step pins Framework's optional CDN libraries.
  execFileSync("npm", ["run", "build"], {cwd: REPO_ROOT, stdio: "pipe", env: {...process.env, CXR_DATA: DATA_ROOT}});
  mkdirSync(SCREENSHOTS, {recursive: true});
  server = await serveStatic({"/": DIST + "/"});
  chromium = await launchChromium();
}, 600_000);

afterAll(async () => {
  await chromium?.close();
  await server?.close();
});

describe("the index page", () => {
  it("decodes and preprocesses the bundled sample in the page, offline and private", async () => {
    const watched = await chromium.newPage();
    await watched.page.goto(server.url("/index.html"));
    await watched.page.getByText(/TF\.js backend: wasm/).waitFor({timeout: 60_000});
    await expect.poll(() => watched.page.locator("canvas").count()).toBe(3);
    await watched.page.screenshot({path: path.join(SCREENSHOTS, "index.png"), fullPage: true});
    expect(watched.foreignRequests()).toEqual([]);
    watched.assertClean();
    await watched.page.close();
  });

  it("reads a DICOM the user opens, and explains a file it cannot read", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "cxr-site-"));
    const jpeg = path.join(DATA_ROOT, "cxr-peds/test/NORMAL", readdirSync(path.join(DATA_ROOT, "cxr-peds/test/NORMAL")).sort()[0]!);
    const dicom = path.join(dir, "study.dcm");
    execFileSync("img2dcm", [jpeg, dicom]);
    const notAnImage = path.join(dir, "notes.png");
    writeFileSync(notAnImage, "these are my notes, not an image\n");

    const watched = await chromium.newPage();
    await watched.page.goto(server.url("/index.html"));
    await watched.page.getByText(/TF\.js backend/).waitFor({timeout: 60_000});
    const input = watched.page.getByLabel("Or open an image");
    await input.setInputFiles(dicom);
    await watched.page.getByText(/DICOM, 256 x 256/).waitFor({timeout: 30_000});
    await input.setInputFiles(notAnImage);
    await watched.page.getByRole("alert").getByText(/could not be read/).waitFor({timeout: 30_000});
    expect(await watched.page.getByRole("alert").textContent()).toMatch(/notes\.png/);
    expect(watched.foreignRequests()).toEqual([]);
    watched.assertClean();
    await watched.page.close();
  });
});
