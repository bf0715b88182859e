import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { createConsoleStatic, type ConsoleStaticOptions } from "../../src/server/console-static.js";
import type { NodeHandler } from "../../src/server/http-types.js";
import { createListener, type Listener } from "../../src/server/listener.js";
import { rawRequest, type HttpVersion } from "../helpers/raw-request.js";

/**
 * The console's static files over the real listener (HTTP/1.1 and h2c on one port), from
 * a temporary folder laid out as a Vite build: index.html, hashed files under assets/,
 * plain files at the root.
 */

const INDEX = `<!doctype html><html><head><title>console</title></head><body><div id="root"></div><script type="module" src="/console/assets/index-Ab1_xY9z.js"></script></body></html>\n`;
// Large and repetitive enough to compress well.
const APP_JS = `export const rows = [${Array.from({ length: 400 }, (_, i) => `{"id":${i},"name":"row ${i}"}`).join(",")}];\n`;
const SMALL_CSS = "body{margin:0}\n";
const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg"/>`;
const PNG = Buffer.alloc(2048, 7);

interface Served {
  url: string;
  close(): Promise<void>;
  logs: string[];
}

/** The console handler alone on a real listener; anything else answers 418, so a fall-through shows. */
async function serveConsole(options: Omit<ConsoleStaticOptions, "logger">): Promise<Served> {
  const logs: string[] = [];
  const consoleStatic = createConsoleStatic({ ...options, logger: createLogger("debug", (l) => logs.push(l)) });
  const handler: NodeHandler = (req, res) => {
    req.headers["x-forwarded-host"] ??= req.headers.host ?? req.headers[":authority"]?.toString() ?? "";
    req.headers["x-forwarded-proto"] ??= "http";
    if (consoleStatic(req, res)) return;
    res.statusCode = 418;
    res.end();
  };
  const listener: Listener = createListener(handler, { headersTimeoutMs: 5000, idleTimeoutMs: 5000 });
  const address = await listener.listen(0, "127.0.0.1");
  return { url: `http://127.0.0.1:${address.port}`, close: () => listener.close(0), logs };
}

let dir: string;
let root: string;
let server: Served;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "console-static-"));
  root = join(dir, "console");
  mkdirSync(join(root, "assets"), { recursive: true });
  writeFileSync(join(root, "index.html"), INDEX);
  writeFileSync(join(root, "assets", "index-Ab1_xY9z.js"), APP_JS);
  writeFileSync(join(root, "assets", "small-Qq12Ww34.css"), SMALL_CSS);
  writeFileSync(join(root, "assets", "logo-Zz98Yy76.png"), PNG);
  writeFileSync(join(root, "favicon.svg"), FAVICON);
  writeFileSync(join(root, ".env"), "SECRET=1\n");
  writeFileSync(join(root, "assets", "big-Bb00Cc11.js"), Buffer.alloc(300 * 1024, 32));
  // Outside the served folder, and links leading to it.
  writeFileSync(join(dir, "secret.txt"), "not for the browser\n");
  mkdirSync(join(dir, "outside"));
  writeFileSync(join(dir, "outside", "x.js"), "outside\n");
  symlinkSync(join(dir, "secret.txt"), join(root, "assets", "leak-Aa11Bb22.js"));
  symlinkSync(join(dir, "outside"), join(root, "assets", "out"));
  symlinkSync(join(dir, "secret.txt"), join(root, "leak.txt"));
  // A link that stays inside is followed.
  symlinkSync(join(root, "favicon.svg"), join(root, "icon.svg"));
  server = await serveConsole({ root, flyteConsole: false, maxFileBytes: 256 * 1024 });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const VERSIONS: HttpVersion[] = ["1.1", "h2c"];

describe.each(VERSIONS)("the console's files over %s", (version) => {
  const get = (path: string, headers: Record<string, string> = {}, method = "GET") => rawRequest(version, server.url, path, { method, headers });

  it("redirects /console to /console/, keeping the query", async () => {
    const plain = await get("/console");
    expect(plain.status).toBe(301);
    expect(plain.headers["location"]).toBe("/console/");
    const withQuery = await get("/console?domain=development");
    expect(withQuery.headers["location"]).toBe("/console/?domain=development");
  });

  it("answers index.html at /console/ and revalidates it every time", async () => {
    const res = await get("/console/");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(res.headers["cache-control"]).toBe("no-cache");
    expect(res.headers["etag"]).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.body.toString()).toBe(INDEX);
    expect((await get("/console/index.html")).body.toString()).toBe(INDEX);
  });

  it("answers index.html for deep links (single-page app), dotted names and trailing slashes included", async () => {
    for (const path of [
      "/console/projects/flytesnacks/domains/development/executions/f1a2b3c4",
      "/console/projects/flytesnacks/domains/development/workflows/core.basic.hello_world.wf",
      "/console/projects/flytesnacks/executions?domain=development",
      "/console/select-project",
      "/console/projects/",
      "/console/no-such-file.js",
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers["content-type"], path).toBe("text/html; charset=utf-8");
      expect(res.headers["cache-control"], path).toBe("no-cache");
      expect(res.body.toString(), path).toBe(INDEX);
    }
  });

  it("serves hashed assets with their type, immutable for a year", async () => {
    const js = await get("/console/assets/index-Ab1_xY9z.js");
    expect(js.status).toBe(200);
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(js.body.toString()).toBe(APP_JS);
    expect(js.headers["content-length"]).toBe(String(Buffer.byteLength(APP_JS)));
    const png = await get("/console/assets/logo-Zz98Yy76.png", { "accept-encoding": "br, gzip" });
    expect(png.headers["content-type"]).toBe("image/png");
    // Images are not compressed again, and vary by nothing.
    expect(png.headers["content-encoding"]).toBeUndefined();
    expect(png.headers["vary"]).toBeUndefined();
    expect(png.body).toEqual(PNG);
  });

  it("serves other files with revalidation, following links that stay inside", async () => {
    const icon = await get("/console/favicon.svg");
    expect(icon.status).toBe(200);
    expect(icon.headers["content-type"]).toBe("image/svg+xml");
    expect(icon.headers["cache-control"]).toBe("no-cache");
    expect((await get("/console/icon.svg")).body.toString()).toBe(FAVICON);
  });

  it("answers 404 for a missing file under assets/ rather than the page", async () => {
    const res = await get("/console/assets/gone-00000000.js");
    expect(res.status).toBe(404);
    expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
  });

  it("compresses with brotli or gzip as Accept-Encoding asks, and says it varies by it", async () => {
    const br = await get("/console/assets/index-Ab1_xY9z.js", { "accept-encoding": "gzip, deflate, br" });
    expect(br.headers["content-encoding"]).toBe("br");
    expect(br.headers["vary"]).toBe("accept-encoding");
    expect(br.body.length).toBeLessThan(Buffer.byteLength(APP_JS) / 4);
    expect(brotliDecompressSync(br.body).toString()).toBe(APP_JS);
    expect(br.headers["content-length"]).toBe(String(br.body.length));

    const gz = await get("/console/assets/index-Ab1_xY9z.js", { "accept-encoding": "br;q=0, gzip" });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gz.body).toString()).toBe(APP_JS);
    const preferred = await get("/console/assets/index-Ab1_xY9z.js", { "accept-encoding": "br;q=0.5, gzip;q=0.8" });
    expect(preferred.headers["content-encoding"]).toBe("gzip");

    const identity = await get("/console/assets/index-Ab1_xY9z.js", { "accept-encoding": "identity" });
    expect(identity.headers["content-encoding"]).toBeUndefined();
    expect(identity.headers["vary"]).toBe("accept-encoding");
    expect(identity.body.toString()).toBe(APP_JS);

    // Each coding is its own representation, with its own tag.
    expect(new Set([br.headers["etag"], gz.headers["etag"], identity.headers["etag"]]).size).toBe(3);
    // Too small to gain anything: sent as it is.
    const css = await get("/console/assets/small-Qq12Ww34.css", { "accept-encoding": "br, gzip" });
    expect(css.headers["content-encoding"]).toBeUndefined();
    expect(css.body.toString()).toBe(SMALL_CSS);
  });

  it("answers 304 to a current ETag, whichever coding the cached copy was in", async () => {
    const first = await get("/console/assets/index-Ab1_xY9z.js", { "accept-encoding": "br" });
    const again = await get("/console/assets/index-Ab1_xY9z.js", { "accept-encoding": "br", "if-none-match": first.headers["etag"]! });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers["etag"]).toBe(first.headers["etag"]);
    expect(again.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    const other = await get("/console/assets/index-Ab1_xY9z.js", { "if-none-match": `"x", W/${first.headers["etag"]}` });
    expect(other.status).toBe(304);
    const stale = await get("/console/assets/index-Ab1_xY9z.js", { "if-none-match": '"somethingelse"' });
    expect(stale.status).toBe(200);
    const index = await get("/console/");
    expect((await get("/console/projects/p", { "if-none-match": index.headers["etag"]! })).status).toBe(304);
  });

  it("answers HEAD with the headers of GET and no body", async () => {
    const get1 = await get("/console/assets/index-Ab1_xY9z.js", { "accept-encoding": "gzip" });
    const head = await get("/console/assets/index-Ab1_xY9z.js", { "accept-encoding": "gzip" }, "HEAD");
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    for (const h of ["content-type", "content-length", "content-encoding", "etag", "cache-control"]) expect(head.headers[h], h).toBe(get1.headers[h]);
    expect((await get("/console/projects/x", {}, "HEAD")).headers["content-type"]).toBe("text/html; charset=utf-8");
  });

  it("refuses methods other than GET and HEAD", async () => {
    for (const method of ["POST", "PUT", "DELETE"]) {
      const res = await get("/console/", {}, method);
      expect(res.status, method).toBe(405);
      expect(res.headers["allow"]).toBe("GET, HEAD");
    }
  });

  it("refuses paths that climb out or smuggle separators", async () => {
    for (const path of [
      "/console/../secret.txt",
      "/console/assets/../../secret.txt",
      "/console/%2e%2e/secret.txt",
      "/console/assets%2f..%2f..%2fsecret.txt",
      "/console/..%2fsecret.txt",
      "/console/..%5csecret.txt",
      "/console/index.html%00.js",
      "/console/%E0%A4%A",
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(res.body.toString(), path).not.toContain("not for the browser");
    }
  });

  it("does not follow links out of the folder, nor serve dotfiles", async () => {
    expect((await get("/console/assets/leak-Aa11Bb22.js")).status).toBe(404);
    expect((await get("/console/assets/out/x.js")).status).toBe(404);
    // Outside assets/ these are simply not files: the page answers.
    for (const path of ["/console/leak.txt", "/console/.env"]) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.body.toString(), path).toBe(INDEX);
    }
  });

  it("does not serve files over the size limit", async () => {
    const res = await get("/console/assets/big-Bb00Cc11.js");
    expect(res.status).toBe(404);
    expect(res.body.toString()).toContain("too large");
  });

  it("leaves other paths to the rest of the server", async () => {
    for (const path of ["/consoles", "/console.js", "/api/v1/projects", "/"]) expect((await get(path)).status, path).toBe(418);
  });
});

describe("files that change on disk", () => {
  it("serves the new content after a rebuild (size, time or inode changed)", async () => {
    const file = join(root, "assets", "changing-Cc22Dd33.js");
    writeFileSync(file, "export const v = 1;\n");
    expect((await rawRequest("1.1", server.url, "/console/assets/changing-Cc22Dd33.js")).body.toString()).toBe("export const v = 1;\n");
    writeFileSync(file, "export const v = 2;\n");
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect((await rawRequest("1.1", server.url, "/console/assets/changing-Cc22Dd33.js")).body.toString()).toBe("export const v = 2;\n");
  });
});

describe("a console that was not built", () => {
  it("answers a page saying how to build it, and logs that once", async () => {
    const missing = await serveConsole({ root: join(dir, "never-built"), flyteConsole: false });
    try {
      for (const path of ["/console/", "/console/projects/p/domains/d/executions/x"]) {
        const res = await rawRequest("1.1", missing.url, path);
        expect(res.status).toBe(404);
        expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
        expect(res.body.toString()).toContain("npm run build");
      }
      expect(missing.logs.filter((l) => l.includes("not built"))).toHaveLength(1);
    } finally {
      await missing.close();
    }
  });
});

describe("a Flyte console build (--console-dir)", () => {
  let flyte: Served;
  let flyteRoot: string;
  const FLYTE_INDEX = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"/><title>Flyte Dashboard</title></head><body><div id="root"></div><script src="/console/assets/runtime-0123abcd.js"></script><script src="/console/assets/main-89abcdef.js"></script></body></html>`;
  beforeAll(async () => {
    flyteRoot = join(dir, "flyteconsole");
    mkdirSync(flyteRoot);
    writeFileSync(join(flyteRoot, "index.html"), FLYTE_INDEX);
    writeFileSync(join(flyteRoot, "main-89abcdef.js"), "console.log(window.env);\n");
    writeFileSync(join(flyteRoot, "vendor_react-0f1e2d3c4b5a69788796.chunk.js"), "/* chunk */\n");
    writeFileSync(join(flyteRoot, "favicon.ico"), Buffer.alloc(64, 1));
    flyte = await serveConsole({ root: flyteRoot, flyteConsole: true });
  });
  afterAll(() => flyte?.close());

  it.each(VERSIONS)("writes window.env into index.html, naming the origin the page came from (%s)", async (version) => {
    const res = await rawRequest(version, flyte.url, "/console/projects/flytesnacks/domains/development/executions/abc");
    expect(res.status).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-cache");
    const html = res.body.toString();
    const m = /<script>window\.env = (\{.*?\});<\/script><\/head>/.exec(html);
    expect(m).not.toBeNull();
    const host = new URL(flyte.url).host;
    expect(JSON.parse(m![1]!)).toMatchObject({
      ADMIN_API_URL: host,
      ADMIN_API: `//${host}`,
      ADMIN_API_USE_SSL: "http",
      BASE_URL: "/console",
      DISABLE_AUTH: "1",
      NODE_ENV: "production",
    });
    // The rest of the page as built.
    expect(html.replace(m![0], "</head>")).toBe(FLYTE_INDEX);
  });

  it("finds /console/assets/<file> at the build's root; webpack-hashed names are immutable, others revalidated", async () => {
    const main = await rawRequest("1.1", flyte.url, "/console/assets/main-89abcdef.js");
    expect(main.status).toBe(200);
    expect(main.body.toString()).toBe("console.log(window.env);\n");
    expect(main.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    const chunk = await rawRequest("h2c", flyte.url, "/console/assets/vendor_react-0f1e2d3c4b5a69788796.chunk.js");
    expect(chunk.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    const icon = await rawRequest("1.1", flyte.url, "/console/assets/favicon.ico");
    expect(icon.status).toBe(200);
    expect(icon.headers["content-type"]).toBe("image/x-icon");
    expect(icon.headers["cache-control"]).toBe("no-cache");
  });

  it("names the origin a client reached, per request", async () => {
    const res = await rawRequest("1.1", flyte.url, "/console/", { headers: { "x-forwarded-host": "flyte.example.com", "x-forwarded-proto": "https" } });
    const env = JSON.parse(/window\.env = (\{.*?\});/.exec(res.body.toString())![1]!) as Record<string, string>;
    expect(env).toMatchObject({ ADMIN_API_URL: "flyte.example.com", ADMIN_API: "//flyte.example.com", ADMIN_API_USE_SSL: "https" });
  });
});
