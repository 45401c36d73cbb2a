/**
 * Milestones of a page's start, in ms since the page opened (performance.now()), kept on
 * `window.__cxrTimeline` for the benchmark (scripts/bench/page.ts), which prints them per visit:
 * where the time to the first result goes (the worker's start, the backend measurement, the model's
 * load, the samples, the analysis).
 */
export interface TimelineMark {
  label: string;
  ms: number;
}

export function markTimeline(label: string): void {
  if (typeof window === "undefined") return;
  const w = window as unknown as {__cxrTimeline?: TimelineMark[]};
  (w.__cxrTimeline ??= []).push({label, ms: performance.now()});
}
