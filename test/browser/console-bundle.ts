import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { CONSOLE_DIST } from "./console-build.js";

/**
 * Gzipped bytes of the JavaScript a first visit loads: the entry script, the modules it preloads, and
 * the script inline in the page (counted as one more file, "inline").
 */
export function initialJsGzipBytes(): { files: string[]; bytes: number } {
  const html = readFileSync(join(CONSOLE_DIST, "index.html"), "utf8");
  const files = [...new Set([...html.matchAll(/(?:src|href)="\/console\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!))];
  const inline = [...html.matchAll(/<script(?![^>]*\ssrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]!).filter((code) => code.trim() !== "");
  const bytes =
    files.reduce((n, f) => n + gzipSync(readFileSync(join(CONSOLE_DIST, f)), { level: 9 }).length, 0) +
    inline.reduce((n, code) => n + gzipSync(code, { level: 9 }).length, 0);
  return { files: [...files, ...inline.map(() => "inline")], bytes };
}
