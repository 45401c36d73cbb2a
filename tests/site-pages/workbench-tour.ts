/**
 * The workbench as one tool (issue 10), in a real Chromium on the built site: an image uploaded on
 * Analyse (not a bundled sample) follows the user through every page with the same name and
 * verdict; a threshold set on Prediction and a gate set on Out-of-distribution change Analyse's
 * calls; a reload keeps everything. The longest main-thread task of each page is recorded with a
 * PerformanceObserver for `longtask` and returned for the test to print.
 */
import type {Page} from "playwright-core";
import {expect} from "vitest";

// The long-task recorder lives in tests/helpers/long-tasks.ts (the benchmark uses it too).
export {longestTask, recordLongTasks} from "../helpers/long-tasks.js";

/** What each page shows as "the image" and its verdict, once its analysis is done. */
export const TOUR: {page: string; ready: string; verdict: string; name: string}[] = [
  {page: "index", ready: ".verdict", verdict: ".verdict", name: "#image-name"},
  {page: "preprocessing", ready: "text=/decoded and resized in a background worker/", verdict: "", name: "select >> nth=0"},
  {page: "ood", ready: "#current-verdict", verdict: "#current-verdict", name: "#current-verdict"},
  {page: "explanation", ready: ".verdict", verdict: ".verdict", name: "main h2 >> nth=0"},
  {page: "explanation-evaluation", ready: ".verdict", verdict: ".verdict", name: "main h2 >> nth=0"}
];

const TITLES: Record<string, string> = {
  index: "Analyse",
  walkthrough: "Walkthrough",
  preprocessing: "Preprocessing",
  ood: "Out-of-distribution",
  prediction: "Prediction",
  explanation: "Explanation",
  "explanation-evaluation": "Explanation evaluation",
  sql: "SQL"
};

/** Follows the sidebar's link to a page, as a user clicks it. */
export async function goTo(page: Page, name: string): Promise<void> {
  await page.locator("#observablehq-sidebar").getByRole("link", {name: TITLES[name], exact: true}).click();
}

export function verdictOf(text: string): "in" | "out" | null {
  if (/rejected as out of distribution/i.test(text)) return "out";
  if (/in distribution/i.test(text)) return "in";
  return null;
}

/** The text of the Analyse page's call for a finding: "positive" or "negative". */
export async function findingCall(page: Page, finding: string): Promise<{call: string; calibrated: number}> {
  const line = page.locator(`#finding-calls [data-finding="${finding}"]`);
  await line.waitFor({state: "attached", timeout: 180_000});
  return {call: (await line.getAttribute("data-call"))!, calibrated: Number(await line.getAttribute("data-calibrated"))};
}

export async function expectSameImage(page: Page, stop: (typeof TOUR)[number], name: string, verdict: "in" | "out"): Promise<void> {
  await page.locator(stop.ready).first().waitFor({timeout: 300_000});
  const shown = stop.name.startsWith("select") ? await page.locator("select").first().evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.textContent ?? "") : await page.locator(stop.name).first().innerText();
  expect(shown, `${stop.page} shows the uploaded image`).toContain(name);
  if (stop.verdict) expect(verdictOf(await page.locator(stop.verdict).first().innerText()), `${stop.page}'s verdict`).toBe(verdict);
}
