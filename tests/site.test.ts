/**
 * The built workbench in Debian's Chromium, end to end: it builds with no CDN, is served from
 * 127.0.0.1 by a plain static server, runs every stage in the page, and never requests anything
 * from another host. Screenshots of every page go to test-output/screenshots.
 */
import {execFileSync} from "node:child_process";
import {copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import type {Page} from "playwright-core";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {launchChromium, serveStatic, type ChromiumSession, type StaticServer, type WatchedPage} from "./helpers/browser.js";
import {CHESTER_MODELS, chesterFixture, DATA_ROOT, REPO_ROOT, TMP_ROOT} from "./helpers/paths.js";
import {offLoopbackConnects, straceBinary, tracedCommand} from "./helpers/connections.js";
import {PAGE_CHECKS} from "./site-pages/index.js";
import {expectSameImage, findingCall, goTo, longestTask, recordLongTasks, TOUR, verdictOf} from "./site-pages/workbench-tour.js";
import {ParquetStore} from "../src/pipeline/node/audit/index.js";
import {CONTENT_SECURITY_POLICY} from "../observablehq.config.js";

const DIST = path.join(REPO_ROOT, "dist");
const SCREENSHOTS = path.join(REPO_ROOT, "test-output/screenshots");
const PAGES = ["index", "walkthrough", "preprocessing", "ood", "prediction", "explanation", "explanation-evaluation", "sql"];
const STRACE = straceBinary();
const BUILD_TRACE = path.join(TMP_ROOT, "npm-run-build.strace");
let server: StaticServer;
let chromium: ChromiumSession;
let work: string;

beforeAll(async () => {
  // The same command a user runs; its prebuild step pins Framework's optional CDN libraries. Under
  // strace where installed (every connect() of every process it starts; judged below), with
  // telemetry left to the script to switch off.
  const env: NodeJS.ProcessEnv = {...process.env, CXR_DATA: DATA_ROOT};
  delete env.OBSERVABLE_TELEMETRY_DISABLE;
  mkdirSync(TMP_ROOT, {recursive: true});
  const [command, args] = STRACE ? tracedCommand(STRACE, BUILD_TRACE, "npm", ["run", "build"]) : ["npm", ["run", "build"]];
  execFileSync(command, args, {cwd: REPO_ROOT, stdio: "pipe", env});
  mkdirSync(SCREENSHOTS, {recursive: true});
  work = mkdtempSync(path.join(os.tmpdir(), "cxr-site-"));
  // Chester's published folders (synthetic weights of their exact shapes), served beside the site
  // as a user would put them: 7 and 16 weight shards over plain HTTP/1.1.
  chesterFixture(CHESTER_MODELS.densenet);
  chesterFixture(CHESTER_MODELS.autoencoder);
  server = await serveStatic({"/": DIST + "/", "/chester/": path.join(REPO_ROOT, "tests/.tmp/chester") + "/"});
  chromium = await launchChromium();
}, 900_000);

afterAll(async () => {
  await chromium?.close();
  await server?.close();
});

async function open(page: string): Promise<WatchedPage> {
  const watched = await chromium.newPage();
  await watched.page.setViewportSize({width: 1280, height: 900});
  await watched.page.goto(server.url(page));
  return watched;
}

async function finish(watched: WatchedPage, screenshot: string): Promise<void> {
  await watched.page.screenshot({path: path.join(SCREENSHOTS, `${screenshot}.png`), fullPage: true});
  expect(watched.foreignRequests()).toEqual([]);
  watched.assertClean();
  await watched.page.close();
}

/** Distinct colours in a canvas (a blank or uniform map has one or two). */
async function canvasColours(page: Page, selector: string): Promise<number[]> {
  return page.$$eval(selector, (canvases) =>
    (canvases as HTMLCanvasElement[]).map((canvas) => {
      const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
      const seen = new Set<number>();
      for (let i = 0; i < data.length; i += 4) seen.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
      return seen.size;
    })
  );
}

describe("the Analyse page", {timeout: 600_000}, () => {
  it("shows the first full result for the default sample, timed from opening the page, and starts from the cache on a second visit", async () => {
    const watched = await open("/index.html");
    const first = watched.page.locator("#first-result");
    await first.waitFor({timeout: 180_000});
    const seconds = Number((await first.textContent())!.match(/([\d.]+) s/)![1]);
    expect(seconds).toBeGreaterThan(0);
    console.log(`Analyse page, cold (empty cache): first full result ${seconds.toFixed(2)} s after the page opened`);
    await expect.poll(() => watched.page.locator(".maps canvas").count()).toBe(4);
    await finish(watched, "analyse");

    // Same browser profile: the model comes from IndexedDB, not the network.
    const again = await open("/index.html");
    await again.page.locator("#first-result").waitFor({timeout: 180_000});
    expect(await again.page.locator(".model-summary").textContent()).toMatch(/from this browser's cache/);
    const warm = Number((await again.page.locator("#first-result").textContent())!.match(/([\d.]+) s/)![1]);
    console.log(`Analyse page, second visit (model from IndexedDB): first full result ${warm.toFixed(2)} s after the page opened`);
    expect(again.requests.some((url) => url.includes("bundle-pediatric-pneumonia"))).toBe(false);
    // TF.js runs in the analysis worker (one bundled script): the page itself loads none of its modules.
    expect(again.requests.filter((url) => /\/_node\/@tensorflow\/.*\.js$/.test(new URL(url).pathname))).toEqual([]);
    expect(again.requests.some((url) => /analysis-worker\.[0-9a-f]+\.js$/.test(new URL(url).pathname))).toBe(true);
    await finish(again, "analyse-second-visit");
  });

  it("analyses an uploaded DICOM end to end: OOD verdict, findings, four maps; a bad file gets its own error", async () => {
    const jpeg = path.join(DATA_ROOT, "cxr-peds/test/PNEUMONIA", readdirSync(path.join(DATA_ROOT, "cxr-peds/test/PNEUMONIA")).sort()[0]!);
    // As PACS exports often are: JPEG 2000 (dcmtk, then GDCM), so the page fetches the OpenJPEG codec.
    const dicom = path.join(work, "study.dcm");
    execFileSync("img2dcm", [jpeg, path.join(work, "study-jpeg.dcm")]);
    execFileSync("dcmdjpeg", [path.join(work, "study-jpeg.dcm"), path.join(work, "study-raw.dcm")]);
    execFileSync("gdcmconv", ["--j2k", path.join(work, "study-raw.dcm"), dicom]);
    const notAnImage = path.join(work, "notes.png");
    writeFileSync(notAnImage, "these are my notes, not an image\n");

    const watched = await open("/index.html");
    await watched.page.locator("#first-result").waitFor({timeout: 180_000});
    await watched.page.getByLabel("Predict images the OOD gate rejects").check();
    await watched.page.getByLabel("Open images").setInputFiles([dicom, notAnImage]);
    // Two images: a summary table, then the details of the first (the DICOM).
    await watched.page.getByRole("heading", {name: "study.dcm"}).waitFor({timeout: 120_000});
    expect(await watched.page.getByText(/DICOM, 256 x 256/).count()).toBe(1);
    expect(watched.requests.some((url) => /\/_file\/data\/dicom-codec-openjpeg\.[0-9a-f]+\.wasm$/.test(url))).toBe(true);
    await watched.page.locator(".verdict").waitFor();
    expect(await watched.page.locator(".verdict").textContent()).toMatch(/In distribution|Rejected as out of distribution/);
    await expect.poll(() => watched.page.locator("svg").filter({hasText: "Pneumonia"}).count()).toBeGreaterThan(0);
    await expect.poll(() => watched.page.locator(".maps canvas").count()).toBe(4);
    for (const colours of await canvasColours(watched.page, ".maps canvas")) expect(colours).toBeGreaterThan(50);
    const captions = await watched.page.locator(".maps figcaption").allTextContents();
    expect(captions.map((c) => c.replace(/ \(.*$/, ""))).toEqual(["Gradient saliency", "CAM", "Grad-CAM", "Grad-CAM++"]);
    // The unreadable file is reported by name, and did not stop the DICOM's analysis.
    await watched.page.getByLabel("Show").selectOption({label: "notes.png"});
    const alert = watched.page.getByRole("alert").filter({hasText: "could not be analysed"});
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/notes\.png/);
    await finish(watched, "analyse-upload");
  });

  it("loads Chester's published folders (7 and 16 weight shards) from a same-origin URL and analyses with them", async () => {
    const watched = await open(`/index.html?model=/chester/${CHESTER_MODELS.densenet}/&ood=/chester/${CHESTER_MODELS.autoencoder}/`);
    await watched.page.locator(".model-summary").waitFor({timeout: 300_000});
    expect(await watched.page.locator(".model-summary").textContent()).toMatch(/Chester's published format.*224 px input/s);
    await watched.page.getByLabel("Predict images the OOD gate rejects").check();
    await watched.page.locator("#first-result").waitFor({timeout: 300_000});
    await expect.poll(() => watched.page.locator(".maps canvas").count()).toBe(4);
    // Every shard came from this server, one at a time.
    const shards = server.log.filter((r) => r.path.startsWith("/chester/") && r.path.endsWith(".bin"));
    expect(shards.length).toBe(readdirSync(chesterFixture(CHESTER_MODELS.densenet)).filter((f) => f.endsWith(".bin")).length +
      readdirSync(chesterFixture(CHESTER_MODELS.autoencoder)).filter((f) => f.endsWith(".bin")).length);
    // The loader asks whether the folder is one of our bundles (HEAD card.json) before reading
    // Chester's config.json: that one 404, which Chromium logs, is the only miss.
    const misses = server.log.filter((r) => r.path.startsWith("/chester/") && r.status !== 200);
    expect(misses).toEqual([{method: "HEAD", path: `/chester/${CHESTER_MODELS.densenet}/card.json`, status: 404}]);
    watched.errors.splice(0, watched.errors.length, ...watched.errors.filter((e) => !/Failed to load resource: .* 404/.test(e)));
    await finish(watched, "analyse-chester");
  });

  it("switches to the 14-finding bundle: one model summary, its findings, the maps of a chosen finding", async () => {
    const watched = await open("/index.html");
    await watched.page.locator("#first-result").waitFor({timeout: 180_000});
    await watched.page.getByLabel("Model", {exact: true}).selectOption("nih-chestxray14");
    await watched.page.locator(".model-summary").filter({hasText: "NIH ChestX-ray14"}).waitFor({timeout: 180_000});
    expect(await watched.page.locator(".model-summary").count()).toBe(1);
    // An adult radiograph: the pediatric default is out of distribution for this bundle.
    const samples = watched.page.getByLabel("Bundled sample");
    const adult = (await samples.locator("option").allTextContents()).find((t) => t.startsWith("adult-cxr"))!;
    await samples.selectOption({label: adult});
    await watched.page.getByRole("heading", {name: adult.split(" · ")[1]}).waitFor({timeout: 180_000});
    await watched.page.getByLabel("Explain").selectOption("Effusion");
    await watched.page.getByRole("heading", {name: /Explanations of Effusion/}).waitFor({timeout: 180_000});
    expect(await watched.page.locator("svg").filter({hasText: "Pleural_Thickening"}).count()).toBeGreaterThan(0);
    await expect.poll(() => watched.page.locator(".maps canvas").count()).toBe(4);
    await finish(watched, "analyse-nih");
  });

  it("opens a path of the user's own audit from the data folder they pick", async () => {
    const folder = path.join(DATA_ROOT, "cxr-peds/test/NORMAL");
    const name = readdirSync(folder).sort().at(-1)!;
    const relative = `cxr-peds/test/NORMAL/${name}`;
    const mine = path.join(work, "my-data");
    mkdirSync(path.join(mine, "cxr-peds/test/NORMAL"), {recursive: true});
    copyFileSync(path.join(folder, name), path.join(mine, relative));
    const watched = await open(`/index.html?image=${encodeURIComponent(relative)}`);
    await watched.page.getByText(/is not among the site's bundled sample images/).waitFor({timeout: 120_000});
    await watched.page.getByLabel("Open the folder the audit's paths are relative to").setInputFiles(mine);
    await watched.page.getByRole("heading", {name}).waitFor({timeout: 180_000});
    await watched.page.locator(".verdict").waitFor();
    await finish(watched, "analyse-own-data");
  });

  it("refuses a model from another host, saying why", async () => {
    const watched = await open("/index.html?model=https://models.example.com/chester/");
    const alert = watched.page.getByRole("alert").filter({hasText: "could not be loaded"});
    await alert.waitFor({timeout: 60_000});
    expect(await alert.textContent()).toMatch(/only reads models from this machine/);
    expect(watched.foreignRequests()).toEqual([]);
    await watched.page.close();
  });
});

describe("the workbench as one tool", {timeout: 900_000}, () => {
  it("carries an uploaded image through every page with the same verdict; thresholds set on Prediction and Out-of-distribution decide on Analyse; a reload keeps it all", async () => {
    // A holdout-like image: a test-split radiograph that is not among the bundled samples, under a new name.
    const folder = path.join(DATA_ROOT, "cxr-peds/test/PNEUMONIA");
    const upload = path.join(work, "holdout-chest.jpeg");
    copyFileSync(path.join(folder, readdirSync(folder).sort().at(-3)!), upload);
    const name = "holdout-chest.jpeg";
    const watched = await chromium.newPage();
    const page = watched.page;
    await page.setViewportSize({width: 1280, height: 900});
    await recordLongTasks(page);
    await page.goto(server.url("/index.html"));
    await page.locator("#first-result").waitFor({timeout: 300_000});
    await page.getByLabel("Open images").setInputFiles(upload);
    await page.getByRole("heading", {name}).waitFor({timeout: 300_000});
    const verdictText = await page.locator(".verdict").innerText();
    const scoresText = await page.locator("table.ood-scores").first().innerText();
    const verdict = verdictOf(verdictText)!;
    expect(verdict).not.toBeNull();
    const longest: Record<string, number> = {analyse: await longestTask(page)};

    // Every page, through the sidebar as a user clicks: the same image, the same verdict.
    for (const stop of TOUR.slice(1)) {
      await goTo(page, stop.page);
      await expectSameImage(page, stop, name, verdict);
      longest[stop.page] = await longestTask(page);
    }

    // A threshold set on Prediction flips Analyse's call for Pneumonia.
    await goTo(page, "index");
    await page.getByRole("heading", {name}).waitFor({timeout: 300_000});
    if (verdict === "out") await page.getByLabel("Predict images the OOD gate rejects").check();
    const before = await findingCall(page, "Pneumonia");
    const raw = Number(await page.locator('#finding-calls [data-finding="Pneumonia"]').getAttribute("data-raw"));
    await goTo(page, "prediction");
    const box = page.getByRole("spinbutton", {name: "Threshold on the sigmoid output of Pneumonia"});
    await box.waitFor({timeout: 120_000});
    const flipped = before.call === "positive" ? Math.min(0.999, raw + (1 - raw) / 2) : raw / 2;
    await box.fill(String(flipped));
    await box.press("Enter");
    await page.getByText(new RegExp(`At threshold ${flipped.toPrecision(4).replace(".", "\\.")}`)).waitFor({timeout: 60_000});
    longest.prediction = await longestTask(page);
    await goTo(page, "index");
    await page.getByRole("heading", {name}).waitFor({timeout: 300_000});
    if (verdict === "out") await page.getByLabel("Predict images the OOD gate rejects").check();
    const after = await findingCall(page, "Pneumonia");
    expect(after.call).not.toBe(before.call);
    expect(await page.locator("#thresholds-in-use").innerText()).toMatch(/Your thresholds are in use/);

    // A gate set on Out-of-distribution (SSIM above this image's) rejects it on Analyse.
    const ssim = Number(scoresText.match(/(?:^|\n)ssim\s+([\d.]+)/)![1]);
    await goTo(page, "ood");
    const gateBox = page.getByRole("spinbutton", {name: /Threshold on SSIM/});
    await gateBox.waitFor({timeout: 120_000});
    await gateBox.fill(String(Math.min(0.99, ssim + 0.01)));
    await gateBox.press("Enter");
    await expect.poll(async () => verdictOf(await page.locator("#current-verdict").innerText()), {timeout: 120_000}).toBe("out");
    longest.ood = Math.max(longest.ood ?? 0, await longestTask(page));
    await goTo(page, "index");
    await page.getByRole("heading", {name}).waitFor({timeout: 300_000});
    expect(verdictOf(await page.locator(".verdict").innerText())).toBe("out");

    // The SQL page has both thresholds as tables, and its presets decide with them.
    await goTo(page, "sql");
    const mine = page.locator("#my-thresholds");
    await mine.waitFor({timeout: 300_000});
    expect(await mine.innerText()).toMatch(/my_thresholds.*1 finding.*my_gate.*ssim at/s);
    await page.getByLabel("SQL query").fill("SELECT finding, round(threshold * 1e6) AS micro FROM my_thresholds");
    await page.getByLabel("SQL query").press("Control+Enter");
    await page.getByText(/^1 row in \d+ ms/).waitFor({timeout: 300_000});
    const [, finding, micro] = await page.locator(".sql-result tbody td").allTextContents();
    expect(finding).toBe("Pneumonia");
    // The box may round what was typed (its step); the table holds the threshold in use.
    expect(Number(micro!.replaceAll(",", "")) / 1e6).toBeCloseTo(flipped, 3);
    await page.getByLabel("Preset query").selectOption({label: "Calls at your thresholds (set on Prediction; the card's operating point elsewhere)"});
    await expect.poll(() => page.locator(".sql-result thead").innerText(), {timeout: 300_000}).toMatch(/yours/);
    await goTo(page, "index");
    await page.getByRole("heading", {name}).waitFor({timeout: 300_000});

    // A reload keeps the image (from IndexedDB), the model and both thresholds (address and session).
    await page.reload();
    await page.getByRole("heading", {name}).waitFor({timeout: 300_000});
    expect(verdictOf(await page.locator(".verdict").innerText())).toBe("out");
    expect(page.url()).toMatch(/gate=ssim/);
    expect(page.url()).not.toMatch(/holdout/);

    // Projector mode at 1024 x 768: chart text at least 14 px, the sidebar beside the page, not over it.
    await page.setViewportSize({width: 1024, height: 768});
    await page.getByLabel("Projector mode").check();
    await expect.poll(() => page.evaluate(() => document.documentElement.classList.contains("projector"))).toBe(true);
    const smallest = await page.locator("svg text").evaluateAll((texts) => Math.min(...texts.filter((t) => (t as SVGTextElement).getBBox().width > 0).map((t) => parseFloat(getComputedStyle(t).fontSize))));
    expect(smallest).toBeGreaterThanOrEqual(14);
    const [sidebar, main] = await Promise.all(["#observablehq-sidebar", "#observablehq-main"].map((s) => page.locator(s).boundingBox()));
    if (sidebar && main && sidebar.width > 0 && (await page.locator("#observablehq-sidebar").isVisible())) expect(sidebar.x + sidebar.width).toBeLessThanOrEqual(main.x + 1);
    expect(page.url()).toMatch(/projector=1/);

    for (const [stop, ms] of Object.entries(longest)) console.log(`longest main-thread task while analysing, ${stop}: ${ms.toFixed(0)} ms`);
    await finish(watched, "workbench-tour");
  });
});

describe("the Preprocessing page", {timeout: 900_000}, () => {
  it("shows the crop box and inputs, and crop versus stretch over the 24 originals", async () => {
    const watched = await open("/preprocessing.html");
    await watched.page.getByText(/JPEG, \d+ x \d+, 8-bit, grey; decoded and resized in a background worker \(TF\.js (wasm|webgl)/).waitFor({timeout: 120_000});
    await expect.poll(() => watched.page.locator("canvas").count()).toBeGreaterThanOrEqual(3);
    const summary = watched.page.getByText(/Over 24 images: mean \|change\|/);
    await summary.waitFor({timeout: 600_000});
    const change = Number((await summary.textContent())!.replace(/\s+/g, " ").match(/mean \|change\| of the calibrated \w+ probability ([\d.]+)/)![1]);
    // These originals are not square: cropping and stretching must not give the same predictions.
    expect(change).toBeGreaterThan(0);
    await watched.page.getByLabel("Stretch").check();
    await watched.page.getByText(/with the stretched region/).waitFor();
    await finish(watched, "preprocessing");
  });
});

describe("the SQL page", {timeout: 600_000}, () => {
  it("runs a preset and a typed query with DuckDB-wasm, opens a CSV as a table, and links paths to Analyse", async () => {
    const watched = await open("/sql.html");
    await watched.page.getByText(/rows? in \d+ ms/).waitFor({timeout: 120_000});
    const editor = watched.page.getByLabel("SQL query");
    await editor.fill("SELECT count(*) AS n, count(DISTINCT path) AS paths FROM images");
    await editor.press("Control+Enter");
    await watched.page.getByText(/^1 row in/).waitFor();
    expect(await watched.page.locator(".sql-result td").allTextContents()).toEqual(expect.arrayContaining(["36"]));

    const csv = path.join(work, "my-labels.csv");
    writeFileSync(csv, "path,grade\ncxr-peds/a.jpg,2\ncxr-peds/b.jpg,5\n");
    await watched.page.getByLabel("Open Parquet or CSV files as tables").setInputFiles(csv);
    await watched.page.getByText(/my_labels.*2 rows/).waitFor();
    await editor.fill("SELECT sum(grade) AS total FROM my_labels");
    await editor.press("Control+Enter");
    await expect.poll(async () => watched.page.locator(".sql-result td").allTextContents()).toContain("7");

    // Downloads: the CSV as shown, and a Parquet file that DuckDB itself (Node) reads back.
    await editor.fill("SELECT path, finding, probability, label FROM predictions WHERE label IS NOT NULL ORDER BY path");
    await editor.press("Control+Enter");
    await watched.page.getByText(/^24 rows in/).waitFor();
    const [csvDownload] = await Promise.all([watched.page.waitForEvent("download"), watched.page.getByRole("button", {name: "Download CSV"}).click()]);
    const csvText = readFileSync((await csvDownload.path())!, "utf8").trim().split("\n");
    expect(csvText[0]).toBe("path,finding,probability,label");
    expect(csvText.length).toBe(25);
    const [parquetDownload] = await Promise.all([watched.page.waitForEvent("download"), watched.page.getByRole("button", {name: "Download Parquet"}).click()]);
    const parquetFile = path.join(work, "query.parquet");
    await parquetDownload.saveAs(parquetFile);
    expect(readFileSync(parquetFile).subarray(0, 4).toString()).toBe("PAR1");
    const store = await ParquetStore.open();
    try {
      const rows = await store.query(`SELECT count(*) AS n, count(DISTINCT path) AS paths, sum(probability) AS total FROM read_parquet('${parquetFile}')`);
      expect(Number(rows[0]!.n)).toBe(24);
      expect(Number(rows[0]!.paths)).toBe(24);
      const shown = csvText.slice(1).reduce((sum, line) => sum + Number(line.split(",")[2]), 0);
      expect(Number(rows[0]!.total)).toBeCloseTo(shown, 4);
    } finally {
      store.close();
    }

    await editor.fill("SELECT nonsense FROM images");
    await editor.press("Control+Enter");
    await watched.page.getByRole("alert").filter({hasText: "The query failed"}).waitFor();

    // SQL cannot reach the network: a remote file fails, and the lock refuses turning extension
    // downloads or the HTTP file system back on (INSTALL alone is a no-op in DuckDB-wasm);
    // and no request off 127.0.0.1 is even attempted.
    for (const sql of ["SELECT * FROM read_csv('https://example.com/data.csv')", "SET autoinstall_known_extensions = true", "SET disabled_filesystems = ''"]) {
      await editor.fill("SELECT 1 AS ok");
      await editor.press("Control+Enter");
      await watched.page.getByText(/^1 row in/).waitFor();
      // The previous result stays on screen until the next one settles: wait for it to go, so a
      // stale "1 row in" is never read as this statement's outcome.
      const previous = await watched.page.locator(".query-status").elementHandle();
      await editor.fill(sql);
      await editor.press("Control+Enter");
      await previous!.waitForElementState("hidden", {timeout: 60_000});
      const settled = watched.page.getByRole("alert").filter({hasText: "The query failed"}).or(watched.page.getByText(/rows? in \d+ ms/));
      await settled.first().waitFor({timeout: 60_000});
      expect(await settled.first().textContent(), sql).toMatch(/The query failed/);
    }
    expect(watched.foreignRequests()).toEqual([]);

    await editor.fill("SELECT path FROM ood WHERE NOT in_distribution ORDER BY path LIMIT 1");
    await editor.press("Control+Enter");
    const link = watched.page.locator(".sql-result a").first();
    await link.waitFor();
    const imagePath = (await link.textContent())!;
    await finish(watched, "sql");

    const analyse = await open(`/sql.html`);
    await analyse.page.getByText(/rows? in \d+ ms/).waitFor({timeout: 120_000});
    await analyse.page.getByLabel("SQL query").fill(`SELECT path FROM images WHERE path = '${imagePath}'`);
    await analyse.page.getByLabel("SQL query").press("Control+Enter");
    await analyse.page.locator(".sql-result a").first().click();
    await analyse.page.waitForURL(/index\.html\?image=/);
    await analyse.page.getByRole("heading", {name: imagePath.split("/").pop()!}).waitFor({timeout: 180_000});
    expect(await analyse.page.locator(".verdict").textContent()).toMatch(/Rejected as out of distribution/);
    await finish(analyse, "sql-to-analyse");
  });
});

describe("every page", {timeout: 600_000}, () => {
  for (const check of PAGE_CHECKS) {
    it(`${check.name}: ${check.path}`, async () => {
      const watched = await open(check.path);
      await check.run(watched.page);
      await finish(watched, check.name);
    }, check.timeout);
  }

  it("is listed in the navigation, and opens with no error and no request off 127.0.0.1", async () => {
    for (const name of PAGES) {
      const watched = await open(`/${name}.html`);
      await watched.page.locator("h1").first().waitFor();
      expect(await watched.page.locator("#observablehq-sidebar a").count()).toBeGreaterThanOrEqual(PAGES.length);
      // Let the page's cells run (models load, tables register) before judging it.
      await watched.page.waitForLoadState("networkidle");
      await watched.page.waitForTimeout(2_000);
      expect(watched.foreignRequests()).toEqual([]);
      watched.assertClean();
      // The page's Content-Security-Policy refuses any other host, whatever code asks: the browser
      // does not even send the request.
      expect(await watched.page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute("content")).toBe(CONTENT_SECURITY_POLICY);
      const outcome = await watched.page.evaluate(() => fetch("https://cdn.jsdelivr.net/npm/@duckdb/duckdb-wasm/").then(() => "fetched", () => "refused"));
      expect(outcome).toBe("refused");
      expect(watched.foreignRequests()).toEqual([]);
      await watched.page.close();
    }
  });
});

describe("the built site's code", () => {
  it("was built by npm run build without any process connecting off 127.0.0.1 (strace)", (context) => {
    if (!STRACE) return context.skip("strace is not installed (apt-get install strace)");
    const trace = readFileSync(BUILD_TRACE, "utf8");
    expect(trace).toMatch(/connect\(/);
    expect(offLoopbackConnects(trace)).toEqual([]);
  });

  // Hosts that appear in shipped code only as XML namespaces, licence headers, or links in comments
  // and error messages; nothing is fetched from them. Any other host in a script, page or stylesheet
  // would be code that can load from the network (DuckDB-wasm's entry module, for one, exports a
  // loader of its engine from cdn.jsdelivr.net: scripts/offline-npm-cache.ts ships a build without it).
  const REFERENCE_ONLY = new Set(["www.w3.org", "www.apache.org", "opensource.org", "github.com", "developer.mozilla.org",
    "emscripten.org", "arxiv.org", "www.shadertoy.com", "127.0.0.1", "localhost",
    // A link in a comment of TF.js WebGPU's shader source (IEEE 754 NaN), which ships as text.
    "en.wikipedia.org"]);
  const files = (dir: string): string[] => readdirSync(dir, {withFileTypes: true}).flatMap((entry) =>
    entry.isDirectory() ? files(path.join(dir, entry.name)) : [path.join(dir, entry.name)]);

  it("names no host to load from but the local one, in any script, page or stylesheet", () => {
    const shipped = files(DIST).filter((f) => /\.(m?js|html|css)$/.test(f));
    expect(shipped.some((f) => f.includes("duckdb-wasm"))).toBe(true);
    const remote: string[] = [];
    for (const file of shipped) {
      for (const [, host] of readFileSync(file, "utf8").matchAll(/\b(?:https?:)?\/\/([a-z0-9-]+(?:\.[a-z0-9-]+)+)(?::\d+)?(?=[/"'`\s)]|$)/gi)) {
        if (!REFERENCE_ONLY.has(host!.toLowerCase())) remote.push(`${path.relative(DIST, file)}: ${host}`);
      }
    }
    expect([...new Set(remote)]).toEqual([]);
  });
});
