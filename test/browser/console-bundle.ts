import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { CONSOLE_DIST } from "./console-build.js";

/** Gzipped bytes of the JavaScript a first visit loads: the entry script and the modules it preloads. */
export function initialJsGzipBytes(): { files: string[]; bytes: number } {
  const html = readFileSync(join(CONSOLE_DIST, "index.html"), "utf8");
  const files = [...new Set([...html.matchAll(/(?:src|href)="\/console\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!))];
  const bytes = files.reduce((n, f) => n + gzipSync(readFileSync(join(CONSOLE_DIST, f)), { level: 9 }).length, 0);
  return { files, bytes };
}
