#!/usr/bin/env node
// Runs the compiled server (dist/, built by `npm run build`, which `npm install`
// runs as its prepare step): plain node starts in about half the time and
// memory of compiling TypeScript on the fly. A checkout without dist/, or whose
// sources changed since the last build, runs the sources through tsx instead,
// so an edit is never served stale.
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const compiled = join(root, "dist", "src", "main.js");

/** The newest modification time of the .ts files under dir (0 when there are none). */
function newestSource(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
    newest = Math.max(newest, statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
  }
  return newest;
}

const builtAt = existsSync(compiled) ? statSync(compiled).mtimeMs : 0;
const fresh = builtAt > 0 && Math.max(newestSource(join(root, "src")), newestSource(join(root, "gen"))) <= builtAt;
if (fresh) {
  await import(pathToFileURL(compiled).href);
} else {
  if (builtAt > 0) process.stderr.write("flyteadmin-ts: dist/ is older than the sources; running them through tsx (`npm run build` starts faster)\n");
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(join(root, "src", "main.ts")).href);
}
