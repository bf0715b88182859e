import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { packageRoot } from "../../src/paths.js";

export const CONSOLE_DIST = join(packageRoot(), "dist", "console");
const LOCK = join(packageRoot(), "dist", ".console-build.lock");

/**
 * The built console the server serves. `npm install` and `npm run build` make it; a checkout that
 * has neither gets one built here, once: parallel test files wait for the first one's build
 * rather than emptying the folder under each other.
 */
export async function ensureConsoleBuilt(): Promise<void> {
  if (existsSync(join(CONSOLE_DIST, "index.html"))) return;
  mkdirSync(join(packageRoot(), "dist"), { recursive: true });
  let mine = false;
  try {
    mkdirSync(LOCK);
    mine = true;
  } catch {
    // Another test file is building it.
  }
  if (mine) {
    try {
      const { build } = await import("vite");
      await build({ configFile: join(packageRoot(), "console", "vite.config.ts"), logLevel: "warn" });
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
    return;
  }
  const deadline = Date.now() + 180_000;
  while (!existsSync(join(CONSOLE_DIST, "index.html")) || existsSync(LOCK)) {
    if (Date.now() > deadline) throw new Error("the console build did not finish within 3 minutes");
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Gzipped bytes of the JavaScript a first visit loads: the entry script and the modules it preloads. */
export function initialJsGzipBytes(): { files: string[]; bytes: number } {
  const html = readFileSync(join(CONSOLE_DIST, "index.html"), "utf8");
  const files = [...new Set([...html.matchAll(/(?:src|href)="\/console\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!))];
  const bytes = files.reduce((n, f) => n + gzipSync(readFileSync(join(CONSOLE_DIST, f)), { level: 9 }).length, 0);
  return { files, bytes };
}
