/**
 * The benchmark's in-page figures (issue 16), in headless Chromium on the Analyse page as a user
 * opens it: the site as `npm start` serves it (Framework's preview, started here on a free port
 * unless --site-url names a running server, e.g. `npm start` or a served build).
 *
 * One cold visit fills the caches (the data loaders' outputs, the model in IndexedDB, the HTTP
 * cache); then each warm visit opens the page in a new tab of the same browser profile, as a user
 * coming back does: the model is read from IndexedDB, the worker measures its backends and
 * analyses the default sample. Per visit: `window.__cxrFirstResultMs` (set by src/index.md when
 * the first full result shows, ms after the page opened) and every main-thread task over 50 ms
 * (PerformanceObserver `longtask`) from the page's start until its four maps are drawn.
 *
 * Huge images (issue 12, item 2): the 8000 x 8000 JPEG and the 8192 x 8191 16-bit RGBA PNG of the
 * issue, made from a real radiograph upscaled, each opened on the Analyse page in a fresh browser
 * profile (so the tab's renderer peak is this visit's own): the tab's peak resident memory (its
 * renderer, which holds the page and its analysis worker; Linux VmHWM) after the default sample's
 * analysis, and after the huge image's.
 */
import {spawn, type ChildProcess} from "node:child_process";
import {existsSync, mkdirSync, readFileSync, writeFileSync} from "node:fs";
import net from "node:net";
import path from "node:path";
import {decodeImage} from "../../src/pipeline/image/index.js";
import {HUGE_IMAGE_SOURCE, hugeImages} from "../../tests/corpus/bad-inputs.js";
import {launchChromium} from "../../tests/helpers/browser.js";
import {TMP_ROOT} from "../../tests/helpers/paths.js";
import {busiestRenderer} from "../../tests/helpers/process-memory.js";
import {longTasks, recordLongTasks, type LongTask} from "../../tests/helpers/long-tasks.js";

export interface PageVisit {
  /** ms after the page opened, or null when no result showed. */
  firstResultMs: number | null;
  longestTaskMs: number;
  longTasks: LongTask[];
  /** The model summary said the model came from this browser's cache. */
  modelFromCache: boolean;
  /** The model summary's backend line (its choice and why). */
  backend: string;
  /** When the model summary showed (worker started, backends measured, model loaded and warmed up), ms after the page opened. */
  modelReadyMs: number | null;
  /** The summary's "loaded and warmed up in" figure, ms. */
  modelLoadMs: number | null;
  /** The page's own milestones (src/components/page-timeline.ts), ms after it opened. */
  timeline: {label: string; ms: number}[];
  error?: string;
}

export interface HugeImageVisit {
  image: string;
  width: number;
  height: number;
  fileMb: number;
  /** From opening the file to the verdict shown, s. */
  seconds: number | null;
  /** The tab's renderer peak RSS after the default sample's analysis, and after the huge image's (MB). */
  tabPeakBeforeMb: number | null;
  tabPeakMb: number | null;
  error?: string;
}

export interface PageFigures {
  url: string;
  server: string;
  cold: PageVisit;
  warm: PageVisit[];
  /** Median over the warm visits (those that read the model from the cache), in s. */
  firstResultWarmS: number | null;
  /** The longest main-thread task of any warm visit, in ms. */
  longestMainThreadTaskMs: number | null;
  hugeImages: HugeImageVisit[];
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : null;
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const {port} = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** `npm start`'s commands: the prestart scripts, then Framework's preview on 127.0.0.1:port. */
async function startPreview(root: string, port: number, say: (m: string) => void): Promise<{url: string; stop: () => void}> {
  const bin = (name: string) => path.join(root, "node_modules/.bin", name);
  for (const script of ["scripts/offline-npm-cache.ts", "scripts/stale-loader-outputs.ts"])
    await new Promise<void>((resolve, reject) => {
      const child = spawn(bin("tsx"), [script], {cwd: root, stdio: "ignore"});
      child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${script} exited with ${code}`))));
    });
  const env = {...process.env, OBSERVABLE_TELEMETRY_DISABLE: "true"};
  // Its own process group, so that stopping it stops the loaders it started too.
  const child: ChildProcess = spawn(bin("observable"), ["preview", "--host", "127.0.0.1", "--port", String(port), "--no-open"], {cwd: root, env, stdio: ["ignore", "pipe", "pipe"], detached: true});
  let log = "";
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`observable preview exited (${child.exitCode}): ${log.trim().split("\n").slice(-3).join(" | ")}`);
    try {
      if ((await fetch(`${url}/`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`observable preview did not answer on ${url} within 2 minutes`);
    await new Promise((r) => setTimeout(r, 500));
  }
  say(`Analyse page: Framework preview (npm start's server) on ${url}`);
  return {
    url,
    stop: () => {
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        // already gone
      }
    }
  };
}

async function visit(chromium: Awaited<ReturnType<typeof launchChromium>>, url: string, timeoutMs: number): Promise<PageVisit> {
  const watched = await chromium.newPage();
  const {page} = watched;
  await recordLongTasks(page);
  // When the model summary appears: splits the time to the first result into getting the model
  // ready (worker, backend measurement, load, warm-up) and analysing and drawing the image.
  await page.addInitScript(() => {
    const w = window as unknown as {__benchModelReadyMs?: number};
    new MutationObserver((_, observer) => {
      if (document.querySelector(".model-summary")) {
        w.__benchModelReadyMs = performance.now();
        observer.disconnect();
      }
    }).observe(document, {childList: true, subtree: true});
  });
  try {
    // The preview builds the data loaders' outputs on the first request: minutes on a cold cache.
    await page.goto(`${url}/index.html`, {timeout: timeoutMs, waitUntil: "domcontentloaded"});
    await page.locator("#first-result").waitFor({timeout: timeoutMs});
    // The first full result shows with its four maps; let their drawing finish before reading the tasks.
    await page.waitForFunction(() => document.querySelectorAll(".maps canvas").length >= 4, undefined, {timeout: timeoutMs});
    await page.waitForTimeout(1000);
    const firstResultMs = await page.evaluate(() => (window as unknown as {__cxrFirstResultMs?: number}).__cxrFirstResultMs ?? null);
    const summary = (await page.locator(".model-summary").first().textContent()) ?? "";
    const tasks = await longTasks(page);
    const modelReadyMs = await page.evaluate(() => (window as unknown as {__benchModelReadyMs?: number}).__benchModelReadyMs ?? null);
    const loadSeconds = summary.match(/warmed up in ([\d.]+) s/)?.[1];
    const timeline = await page.evaluate(() => (window as unknown as {__cxrTimeline?: {label: string; ms: number}[]}).__cxrTimeline ?? []);
    const foreign = watched.foreignRequests();
    return {
      firstResultMs,
      longestTaskMs: Math.max(0, ...tasks.map((t) => t.durationMs)),
      longTasks: tasks,
      modelFromCache: /from this browser's cache/.test(summary),
      modelReadyMs,
      modelLoadMs: loadSeconds ? Number(loadSeconds) * 1000 : null,
      timeline,
      backend: summary.includes("TF.js backend:") ? summary.slice(summary.indexOf("TF.js backend:")).replace(/\s+/g, " ").trim().slice(0, 400) : "",
      ...(foreign.length ? {error: `requests off 127.0.0.1: ${foreign.join(", ")}`} : {})
    };
  } catch (error) {
    return {firstResultMs: null, longestTaskMs: 0, longTasks: await longTasks(page).catch(() => []), modelFromCache: false, backend: "", modelReadyMs: null, modelLoadMs: null, timeline: [], error: (error as Error).message.split("\n")[0]};
  } finally {
    await page.close();
  }
}

/** Each huge image opened on the Analyse page, each in a fresh profile: time and the tab's peak memory. */
async function hugeImageVisits(url: string, say: (m: string) => void): Promise<HugeImageVisit[]> {
  if (!existsSync(HUGE_IMAGE_SOURCE)) {
    say(`no ${HUGE_IMAGE_SOURCE}: the huge-image visits are left out`);
    return [];
  }
  const dir = path.join(TMP_ROOT, "bench-huge-images");
  mkdirSync(dir, {recursive: true});
  const made = hugeImages(decodeImage(new Uint8Array(readFileSync(HUGE_IMAGE_SOURCE)), {name: path.basename(HUGE_IMAGE_SOURCE)}));
  const visits: HugeImageVisit[] = [];
  for (const image of made) {
    const file = path.join(dir, image.name);
    writeFileSync(file, image.bytes);
    const figure: HugeImageVisit = {image: image.name, width: image.width, height: image.height, fileMb: image.bytes.length / 1e6, seconds: null, tabPeakBeforeMb: null, tabPeakMb: null};
    say(`Analyse page: ${image.name} (${figure.fileMb.toFixed(1)} MB), in a fresh browser profile`);
    const chromium = await launchChromium();
    try {
      const {page} = await chromium.newPage();
      await page.goto(`${url}/index.html`, {timeout: 300_000, waitUntil: "domcontentloaded"});
      await page.locator("#first-result").waitFor({timeout: 300_000});
      figure.tabPeakBeforeMb = busiestRenderer(chromium.userDataDir)?.peakRssMb ?? null;
      const start = performance.now();
      await page.getByLabel("Open images").setInputFiles(file);
      await page.getByRole("heading", {name: image.name}).waitFor({timeout: 600_000});
      await page.locator(".verdict").waitFor({timeout: 600_000});
      figure.seconds = (performance.now() - start) / 1000;
      await page.waitForTimeout(1000);
      figure.tabPeakMb = busiestRenderer(chromium.userDataDir)?.peakRssMb ?? null;
    } catch (error) {
      figure.error = (error as Error).message.split("\n")[0];
      say(`Analyse page: ${image.name}: ${figure.error}`);
    } finally {
      await chromium.close();
    }
    visits.push(figure);
  }
  return visits;
}

/** The cold visit, then `runs` warm visits, in one fresh browser profile; then the huge images. */
export async function measureAnalysePage(options: {root: string; siteUrl?: string; runs: number; huge?: boolean; say: (m: string) => void}): Promise<PageFigures> {
  const {say} = options;
  const preview = options.siteUrl ? null : await startPreview(options.root, await freePort(), say);
  const url = (options.siteUrl ?? preview!.url).replace(/\/+$/, "");
  const chromium = await launchChromium();
  try {
    say(`Analyse page: cold visit (fills the caches; the preview builds its data loaders' outputs on first request)`);
    const cold = await visit(chromium, url, 600_000);
    if (cold.error) say(`Analyse page: cold visit: ${cold.error}`);
    const warm: PageVisit[] = [];
    for (let i = 0; i < options.runs; i++) {
      say(`Analyse page: warm visit ${i + 1} of ${options.runs}`);
      warm.push(await visit(chromium, url, 300_000));
    }
    // A visit counts as warm only if the model came from the browser's cache.
    const ok = warm.filter((v) => !v.error && v.firstResultMs !== null && v.modelFromCache);
    if (ok.length < warm.length) say(`Analyse page: ${warm.length - ok.length} of ${warm.length} warm visit(s) left out (failed, or the model was not read from the cache)`);
    const firstResults = ok.map((v) => v.firstResultMs! / 1000);
    const huge = options.huge === false ? [] : await hugeImageVisits(url, say);
    return {
      url: `${url}/index.html`,
      server: preview ? "Framework preview (npm start), started by the benchmark" : `given: ${url}`,
      cold,
      warm,
      firstResultWarmS: median(firstResults),
      longestMainThreadTaskMs: ok.length ? Math.max(...ok.map((v) => v.longestTaskMs)) : null,
      hugeImages: huge
    };
  } finally {
    await chromium.close();
    preview?.stop();
  }
}
