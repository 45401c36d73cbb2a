/**
 * What tests/site.test.ts runs on each workbench page: it opens `path` on the built site (served on
 * 127.0.0.1, Debian's Chromium), calls `run`, keeps a full-page screenshot, and fails on any page
 * error, console error or request off 127.0.0.1. `run` drives the page and asserts what it shows.
 */
import type {Page} from "playwright-core";

export interface PageCheck {
  /** e.g. "/ood.html" (query strings allowed). */
  path: string;
  /** Screenshot name, e.g. "ood". */
  name: string;
  run(page: Page): Promise<void>;
  /** The check's own time limit (ms), where the describe's 600 s is too short. */
  timeout?: number;
}
