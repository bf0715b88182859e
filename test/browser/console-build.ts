import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "vite";

const ROOT = resolve(import.meta.dirname, "../..");
const SOURCES = join(ROOT, "console");
/** Where `npm run build` puts the console and the server serves it from by default. */
export const CONSOLE_DIST = join(ROOT, "dist", "console");
const LOCK = join(ROOT, "dist", ".console-build.lock");
const LOCK_STALE_MS = 5 * 60_000;
const WAIT_MS = 3 * 60_000;

/** Newest modification time under a folder (node_modules and dotfiles aside). */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

const isCurrent = () => {
  const index = join(CONSOLE_DIST, "index.html");
  return existsSync(index) && statSync(index).mtimeMs >= newest(SOURCES);
};

/**
 * Makes sure dist/console holds a build of the current console sources, building it with
 * Vite's API when it is missing or older than a source file, so browser tests test the code
 * in the tree. Test files run in parallel processes: one builds (a lock folder), the others
 * wait; the new build is written aside and moved into place, so a server never reads a
 * half-written folder.
 */
export async function ensureConsoleBuilt(): Promise<string> {
  if (isCurrent()) return CONSOLE_DIST;
  mkdirSync(join(ROOT, "dist"), { recursive: true });
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > LOCK_STALE_MS) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`another process has been building the console for over ${WAIT_MS / 1000} s (${LOCK})`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    // Whoever held the lock may have built it meanwhile.
    if (isCurrent()) return CONSOLE_DIST;
    const fresh = `${CONSOLE_DIST}.new-${process.pid}`;
    const old = `${CONSOLE_DIST}.old-${process.pid}`;
    // Vitest runs with NODE_ENV=test, and Vite keeps a NODE_ENV it finds: the build would be React's
    // development build (StrictMode's double effects, aborted requests), not what `npm run build` makes.
    const nodeEnv = process.env["NODE_ENV"];
    process.env["NODE_ENV"] = "production";
    try {
      await build({ configFile: join(SOURCES, "vite.config.ts"), mode: "production", logLevel: "warn", build: { outDir: fresh, emptyOutDir: true } });
    } finally {
      if (nodeEnv === undefined) delete process.env["NODE_ENV"];
      else process.env["NODE_ENV"] = nodeEnv;
    }
    if (existsSync(CONSOLE_DIST)) renameSync(CONSOLE_DIST, old);
    renameSync(fresh, CONSOLE_DIST);
    rmSync(old, { recursive: true, force: true });
    return CONSOLE_DIST;
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
