import { existsSync, realpathSync } from "node:fs";
import { realpath } from "node:fs/promises";
import { extname, join, sep } from "node:path";
import type { Logger } from "../logger.js";
import { type ContentCoding, preferredCoding } from "./accept-encoding.js";
import { flyteConsoleEnv, injectWindowEnv } from "./flyte-console-env.js";
import type { Req, Res } from "./http-types.js";
import { CODING_TAG, createStaticFileCache, type StaticBody, staticBody } from "./static-file-cache.js";

/** Where the web console is served. */
export const CONSOLE_PATH = "/console";
const PREFIX = `${CONSOLE_PATH}/`;

/** A year: the longest max-age caches honour, for files whose name changes with their content. */
const IMMUTABLE = "public, max-age=31536000, immutable";
/** Kept, but asked about again each time (a 304 when unchanged). */
const REVALIDATE = "no-cache";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".webmanifest": "application/manifest+json",
  ".txt": "text/plain; charset=utf-8",
  ".xml": "application/xml",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".otf": "font/otf",
  ".wasm": "application/wasm",
};
// Images, fonts and wasm other than these are compressed already (or gain little).
const COMPRESSIBLE = new Set([".html", ".js", ".mjs", ".css", ".json", ".map", ".webmanifest", ".txt", ".xml", ".svg", ".ttf", ".otf", ".ico", ".wasm"]);

/** webpack's `[name]-[contenthash].js` / `.chunk.js` names, as a Flyte console build has them: hex, 8 or more digits. */
const WEBPACK_HASHED = /-[0-9a-f]{8,}(?:\.chunk)?\.(?:js|css)$/;

export interface ConsoleStaticOptions {
  /** The folder served at /console/. */
  root: string;
  /**
   * A Flyte console (flyteconsole) build: its index.html gets the `window.env` its own
   * server would write, and `/console/assets/<file>` is also looked up as `<root>/<file>`
   * (its build puts assets at the folder's root and serves them under assets/).
   */
  flyteConsole: boolean;
  logger: Logger;
  /** Largest file served (default 16 MiB); larger ones answer 404 and are logged. */
  maxFileBytes?: number;
  /** Memory for cached files and their compressed forms (default 64 MiB). */
  maxCacheBytes?: number;
}

/**
 * The web console's files at /console/: a single-page app, so any path that is not a
 * file answers index.html (deep links such as /console/projects/p/domains/d/executions/x
 * work) except under assets/, where a missing file is a 404 (a stale chunk should fail as
 * a script, not parse HTML). Hashed assets are cached for a year, everything else is
 * revalidated by ETag. Bodies are compressed (brotli or gzip, as the client accepts) once
 * and kept in memory. Returns false for paths outside /console.
 */
export function createConsoleStatic(options: ConsoleStaticOptions): (req: Req, res: Res) => boolean {
  const { root, flyteConsole, logger } = options;
  const maxFileBytes = options.maxFileBytes ?? 16 * 1024 * 1024;
  const cache = createStaticFileCache({
    maxFileBytes,
    maxTotalBytes: options.maxCacheBytes ?? 64 * 1024 * 1024,
    compressible: (path) => COMPRESSIBLE.has(extname(path).toLowerCase()),
  });
  // Resolved once the folder exists (it may be built after the server starts).
  let realRoot: string | undefined;
  const rootReal = () => (realRoot ??= existsSync(root) ? realpathSync(root) : undefined);
  const reportedLarge = new Set<string>();
  // Per origin the page was loaded from: window.env names it. Bounded, reset when index.html changes.
  let rendered = { etag: "", byOrigin: new Map<string, StaticBody>() };

  /** The real path of `<root>/<segments>` when it is a regular file inside the root (symbolic links may not lead out). */
  async function inside(segments: string[]): Promise<string | undefined> {
    const base = rootReal();
    if (!base) return undefined;
    const real = await realpath(join(base, ...segments)).catch(() => undefined);
    return real?.startsWith(base + sep) ? real : undefined;
  }

  /** The file a path names, trying `<root>/<file>` for a Flyte console's `assets/<file>`; undefined when none. */
  async function findFile(segments: string[]): Promise<{ path: string; file: StaticBody } | "too-large" | undefined> {
    const candidates = [segments];
    if (flyteConsole && segments[0] === "assets" && segments.length > 1) candidates.push(segments.slice(1));
    for (const c of candidates) {
      const path = await inside(c);
      if (!path) continue;
      const file = await cache.get(path);
      if (file === "too-large") {
        if (reportedLarge.size < 100 && !reportedLarge.has(path)) {
          reportedLarge.add(path);
          logger.warn("console file not served: larger than the limit", { path, maxBytes: maxFileBytes });
        }
        return file;
      }
      if (file) return { path, file };
    }
    return undefined;
  }

  async function index(req: Req): Promise<StaticBody | undefined> {
    const found = await findFile(["index.html"]);
    if (!found || found === "too-large") return undefined;
    if (!flyteConsole) return found.file;
    if (rendered.etag !== found.file.etag) rendered = { etag: found.file.etag, byOrigin: new Map() };
    const proto = String(req.headers["x-forwarded-proto"] ?? "http");
    const host = String(req.headers["x-forwarded-host"] ?? "");
    const key = `${proto}://${host}`;
    let page = rendered.byOrigin.get(key);
    if (!page) {
      const html = injectWindowEnv(found.file.body.toString("utf8"), flyteConsoleEnv({ proto, host }, CONSOLE_PATH));
      page = staticBody(Buffer.from(html, "utf8"), true);
      if (rendered.byOrigin.size >= 32) rendered.byOrigin.clear();
      rendered.byOrigin.set(key, page);
    }
    return page;
  }

  async function serve(req: Req, res: Res, rest: string): Promise<void> {
    const segments = parseSegments(rest);
    if (segments === undefined) return reply(res, 400, "text/plain; charset=utf-8", "invalid path\n");
    const isFile = segments.length > 0 && segments.every((s) => s !== "" && !s.startsWith(".")) && !(segments.length === 1 && segments[0] === "index.html");
    if (isFile) {
      const found = await findFile(segments);
      if (found === "too-large") return reply(res, 404, "text/plain; charset=utf-8", "file too large to serve\n");
      if (found) {
        const type = TYPES[extname(found.path).toLowerCase()] ?? "application/octet-stream";
        return send(req, res, found.file, type, cacheControl(segments, flyteConsole));
      }
      if (segments[0] === "assets") return reply(res, 404, "text/plain; charset=utf-8", "no such file\n");
    }
    const page = await index(req);
    if (!page) return reply(res, 404, "text/html; charset=utf-8", notBuiltPage(flyteConsole ? root : undefined));
    return send(req, res, page, TYPES[".html"]!, REVALIDATE);
  }

  if (!flyteConsole && !existsSync(join(root, "index.html"))) {
    logger.warn("the web console is not built: /console shows how to build it", { folder: root, build: "npm run build" });
  }

  return (req, res) => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    if (path !== CONSOLE_PATH && !path.startsWith(PREFIX)) return false;
    req.resume();
    const method = req.method ?? "GET";
    if (method !== "GET" && method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      reply(res, 405, "text/plain; charset=utf-8", "only GET and HEAD are allowed here\n");
      return true;
    }
    if (path === CONSOLE_PATH) {
      // Relative URLs in the app resolve against /console/, not /.
      res.setHeader("location", PREFIX + (q < 0 ? "" : url.slice(q)));
      reply(res, 301, "text/plain; charset=utf-8", `moved to ${PREFIX}\n`);
      return true;
    }
    serve(req, res, path.slice(PREFIX.length)).catch((e: unknown) => {
      logger.error("serving the console failed", { path, error: String((e as Error)?.stack ?? e) });
      if (!res.headersSent) reply(res, 500, "text/plain; charset=utf-8", "the file could not be read\n");
      else res.destroy();
    });
    return true;
  };
}

/**
 * The decoded path segments, or undefined when one is unsafe: `.`/`..`, an encoded
 * slash or backslash, a NUL, or malformed percent-encoding. Empty segments stay (they
 * never name a file).
 */
function parseSegments(rest: string): string[] | undefined {
  if (rest.length > 2048) return undefined;
  const out: string[] = [];
  for (const raw of rest.split("/")) {
    let s: string;
    try {
      s = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (s === "." || s === ".." || /[/\\\0]/.test(s)) return undefined;
    out.push(s);
  }
  return out;
}

/** Hashed assets are cached for a year; anything else is revalidated. */
function cacheControl(segments: string[], flyteConsole: boolean): string {
  if (segments[0] !== "assets") return REVALIDATE;
  // Every file Vite writes under assets/ carries its content hash; a Flyte console's only when webpack named it so.
  if (!flyteConsole || WEBPACK_HASHED.test(segments[segments.length - 1]!)) return IMMUTABLE;
  return REVALIDATE;
}

/** Answers with a body in the best coding the client accepts, or 304 when its copy is current. */
async function send(req: Req, res: Res, file: StaticBody, type: string, cache: string): Promise<void> {
  let coding: ContentCoding | "identity" = file.compressible ? preferredCoding(req.headers["accept-encoding"]) : "identity";
  let body = file.body;
  if (coding !== "identity") {
    const coded = await file.coded(coding);
    if (coded) body = coded;
    else coding = "identity";
  }
  const etag = coding === "identity" ? file.etag : `${file.etag.slice(0, -1)}${CODING_TAG[coding]}"`;
  res.setHeader("content-type", type);
  res.setHeader("cache-control", cache);
  res.setHeader("etag", etag);
  res.setHeader("x-content-type-options", "nosniff");
  if (file.compressible) res.setHeader("vary", "accept-encoding");
  if (notModified(req.headers["if-none-match"], file.etag)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  if (coding !== "identity") res.setHeader("content-encoding", coding);
  res.setHeader("content-length", body.length);
  res.statusCode = 200;
  if (req.method === "HEAD") res.end();
  else res.end(body);
}

/** If-None-Match against a file's tag, whatever coding the client's copy was in (RFC 9110's weak comparison). */
function notModified(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  const base = etag.slice(1, -1);
  return header
    .split(",")
    .slice(0, 64)
    .some((t) => {
      const tag = t.trim().replace(/^W\//, "").replace(/^"|"$/g, "");
      return tag === base || tag === `${base}${CODING_TAG.br}` || tag === `${base}${CODING_TAG.gzip}`;
    });
}

function reply(res: Res, status: number, type: string, body: string): void {
  res.statusCode = status;
  res.setHeader("content-type", type);
  res.setHeader("cache-control", "no-store");
  res.end(body);
}

/** What /console answers when there is nothing to serve. */
function notBuiltPage(flyteConsoleDir: string | undefined): string {
  const what = flyteConsoleDir
    ? `<p>The Flyte console folder <code>${escapeHtml(flyteConsoleDir)}</code> holds no <code>index.html</code>.</p>`
    : `<p>The web console has not been built. In the server's folder run:</p><pre>npm install\nnpm run build</pre><p>then reload this page.</p>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Console not built</title></head><body><h1>Console not available</h1>${what}</body></html>\n`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
