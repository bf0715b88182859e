import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, normalize, resolve } from "node:path";
import type { Page } from "playwright-core";
import { build } from "vite";

const CONFIG = resolve(import.meta.dirname, "../../console/vite.config.ts");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
};

export interface ConsoleBuild {
  dir: string;
  remove(): void;
}

/** Builds the console from the tree under test into a temporary folder (never a stale dist/). */
export async function buildConsole(): Promise<ConsoleBuild> {
  const dir = mkdtempSync(join(tmpdir(), "flyteadmin-console-build-"));
  // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build (StrictMode's
  // double effects, slower rendering): the page under test is the one users get.
  const env = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({ configFile: CONFIG, mode: "production", logLevel: "error", build: { outDir: dir, emptyOutDir: true } });
  } finally {
    process.env.NODE_ENV = env;
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Answers the page's `/console/...` requests from `dir` (index.html for app
 * paths, as the server's SPA fallback does) while every RPC still goes to the
 * real server on the same origin.
 */
export async function routeConsole(page: Page, origin: string, dir: string): Promise<void> {
  await page.route(`${origin}/console/**`, async (route) => {
    const path = new URL(route.request().url()).pathname.slice("/console/".length);
    const file = normalize(join(dir, path));
    const inside = file.startsWith(dir) && existsSync(file) && statSync(file).isFile();
    const served = inside ? file : join(dir, "index.html");
    await route.fulfill({ status: 200, body: readFileSync(served), headers: { "content-type": TYPES[extname(served)] ?? "application/octet-stream" } });
  });
  await page.route(`${origin}/favicon.ico`, (route) => route.fulfill({ status: 204 }));
}
