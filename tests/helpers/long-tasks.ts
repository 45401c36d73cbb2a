/**
 * Main-thread long tasks of a page (PerformanceObserver `longtask`: tasks over 50 ms), recorded
 * from before any page script runs. Used by the site test's workbench tour and by the benchmark's
 * Analyse-page measurement (scripts/bench/page.ts); no test framework here.
 */
import type {Page} from "playwright-core";

export interface LongTask {
  /** ms after the page's navigation started. */
  startMs: number;
  durationMs: number;
}

/** Installs the long-task recorder before any page script runs (again on every navigation). */
export async function recordLongTasks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as {__longTasks: {startMs: number; durationMs: number}[]};
    w.__longTasks = [];
    try {
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) w.__longTasks.push({startMs: entry.startTime, durationMs: entry.duration});
      }).observe({type: "longtask", buffered: true});
    } catch {
      // No long-task timing in this browser: nothing recorded.
    }
  });
}

/** The long tasks recorded since the page's last navigation. */
export async function longTasks(page: Page): Promise<LongTask[]> {
  return page.evaluate(() => (window as unknown as {__longTasks?: {startMs: number; durationMs: number}[]}).__longTasks ?? []);
}

/** The longest of them, in ms (0 when none was over 50 ms). */
export async function longestTask(page: Page): Promise<number> {
  return Math.max(0, ...(await longTasks(page)).map((t) => t.durationMs));
}
