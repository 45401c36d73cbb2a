/**
 * In Chromium, a large PNG opened in the page reaches the analysis worker as a Blob and is decoded
 * from it in slices (FileReaderSync, which only workers have): the same reduced image as the file
 * read whole. The bench (`npm run bench -- --only page`) measures what this saves in the tab.
 */
import {readdirSync} from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, expect, it} from "vitest";
import {bundleForBrowser, launchChromium, modulePage, serveStatic, type StaticServer} from "./helpers/browser.js";
import {DATA_ROOT} from "./helpers/paths.js";

let server: StaticServer;
let chromium: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  const entry = await bundleForBrowser(path.join(import.meta.dirname, "browser/sliced-read-entry.ts"));
  const worker = await bundleForBrowser(path.join(import.meta.dirname, "browser/sliced-read-worker.ts"));
  server = await serveStatic({
    "/index.html": modulePage(`/${entry.name}`, "sliced read"),
    [`/${entry.name}`]: entry.file,
    [`/${worker.name}`]: worker.file,
    "/data/": path.join(DATA_ROOT, "cxr-nih/originals") + "/"
  });
  chromium = await launchChromium();
});

afterAll(async () => {
  await chromium?.close();
  await server?.close();
});

it("a PNG sent to a worker as a Blob is decoded in slices, equal to the whole-file decode", async () => {
  const watched = await chromium.newPage();
  await watched.page.goto(server.url("/index.html"));
  await watched.page.waitForFunction(() => window.slicedRead !== undefined);
  const file = readdirSync(path.join(DATA_ROOT, "cxr-nih/originals")).filter((f) => f.endsWith(".png")).sort()[0]!;
  const result = (await watched.page.evaluate(
    ([u, w]) => window.slicedRead!(u, w, {reduce: true, reduceFor: {sizes: [128, 64], mode: "crop"}}),
    [server.url(`/data/${encodeURIComponent(file)}`), server.url("/sliced-read-worker.js")] as const
  )) as {error?: string; hasReader: boolean; sliced: {width: number; height: number; data: number[]; squares: number[][]} | null; whole: {width: number; height: number; data: number[]; squares: number[][]}};
  expect(result.error).toBeUndefined();
  expect(result.hasReader).toBe(true);
  expect(result.sliced).not.toBeNull();
  expect([result.sliced!.width, result.sliced!.height]).toEqual([result.whole.width, result.whole.height]);
  expect(result.sliced!.data).toEqual(result.whole.data);
  expect(result.sliced!.squares).toEqual(result.whole.squares);
  expect(watched.errors).toEqual([]);
  await watched.page.close();
});
