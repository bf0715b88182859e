import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { describe } from "vitest";
import type { Config } from "../../src/config.js";
import type { RunningServer } from "../../src/server.js";
import { realServer } from "../helpers/app.js";

/**
 * Browser tests drive the system's Chromium (Debian's `chromium` package) through playwright-core:
 * no browser is downloaded. Where none is installed the suites skip with a message, so the test
 * command still passes on a machine without one.
 */

/** Where screenshots go: gitignored, kept after the run for whoever looks at a failure. */
export const ARTIFACTS_DIR = resolve(import.meta.dirname, "../../test-artifacts");

/** The Chromium to drive: `CHROMIUM_PATH` when set, else Debian's; undefined when neither can be executed. */
export function findChromium(): string | undefined {
  const candidates = [process.env["CHROMIUM_PATH"], "/usr/bin/chromium"].filter((p): p is string => !!p);
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

export const CHROMIUM = findChromium();
const SKIP_MESSAGE = "browser tests skipped: no Chromium at /usr/bin/chromium (apt-get install chromium) or CHROMIUM_PATH";
if (!CHROMIUM) console.warn(SKIP_MESSAGE);

/** `describe` that skips (and says why) when no Chromium is installed. */
export const describeBrowser = describe.skipIf(!CHROMIUM);

/**
 * The switches every launch uses: headless, no sandbox (containers and CI run as root), no GPU,
 * and none of the browser's own network traffic (QUIC probes, updates, sync), so the only
 * requests a page makes are the ones the test looks at.
 */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  /** One browser profile, fresh for this launch. */
  context: BrowserContext;
  /** A new tab that records failed requests and console errors (see `PageWatch`). */
  newPage(): Promise<WatchedPage>;
  close(): Promise<void>;
}

/** Launches Chromium with a fresh user-data-dir that is removed on close. */
export async function launchBrowser(options: { viewport?: { width: number; height: number } } = {}): Promise<Browser> {
  if (!CHROMIUM) throw new Error(SKIP_MESSAGE);
  const profile = mkdtempSync(join(tmpdir(), "flyteadmin-chromium-"));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: options.viewport ?? { width: 1280, height: 800 },
      timeout: 30_000,
    });
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  return {
    context,
    newPage: async () => watchPage(await context.newPage()),
    close: async () => {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface PageProblems {
  /** Requests that failed at the network level, or answered with status 400 or more: `METHOD url -> reason`. */
  failedRequests: string[];
  /** `console.error` messages and uncaught exceptions on the page. */
  consoleErrors: string[];
}

export interface WatchedPage {
  page: Page;
  /** What went wrong on the page so far; a passing page load has both lists empty. */
  problems: PageProblems;
  /** Forgets what was recorded (e.g. after a step that is expected to fail a request). */
  clear(): void;
}

/** Records every failed request and console error of a page from now on. */
export function watchPage(page: Page): WatchedPage {
  const problems: PageProblems = { failedRequests: [], consoleErrors: [] };
  page.on("requestfailed", (r) => problems.failedRequests.push(`${r.method()} ${r.url()} -> ${r.failure()?.errorText ?? "failed"}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.failedRequests.push(`${r.request().method()} ${r.url()} -> ${r.status()}`);
  });
  page.on("console", (m) => {
    if (m.type() === "error") problems.consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => problems.consoleErrors.push(`uncaught: ${e.message}`));
  return {
    page,
    problems,
    clear: () => {
      problems.failedRequests.length = 0;
      problems.consoleErrors.length = 0;
    },
  };
}

/**
 * Saves a full-page screenshot as `test-artifacts/<name>.png` and returns its path. Names are
 * made file-safe, so a test can pass its own title.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = join(ARTIFACTS_DIR, `${name.replace(/[^A-Za-z0-9._-]+/g, "-").slice(0, 120)}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The real server on a free loopback port, as every other end-to-end test starts it. */
export function browserServer(over: Partial<Record<keyof Config, string>> = {}): Promise<RunningServer> {
  return realServer(over);
}
