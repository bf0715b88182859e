import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { ConfigError, loadConfig, optionsHelp } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import type { RunningServer } from "../../src/server.js";
import { realServer, testConfig } from "../helpers/app.js";

/** How the console is switched on, off and replaced on the real server. */
const FLYTE_BUILD = resolve(import.meta.dirname, "../fixtures/flyte-console-build");
let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("console options", () => {
  it("are on by default, settable from flags, environment and help", () => {
    expect(loadConfig({}).console).toBe(true);
    expect(loadConfig({}).consoleDir).toBe("");
    expect(loadConfig({ flags: { console: "false" } }).console).toBe(false);
    expect(loadConfig({ env: { FLYTEADMIN_CONSOLE_DIR: "/srv/flyteconsole" } }).consoleDir).toBe("/srv/flyteconsole");
    expect(optionsHelp()).toContain("--console-dir");
  });

  it("refuses a --console-dir without index.html before opening anything", async () => {
    const empty = mkdtempSync(join(tmpdir(), "no-console-"));
    const config = testConfig({ consoleDir: empty });
    await expect(buildApp(config, createLogger("silent"))).rejects.toThrow(ConfigError);
    await expect(buildApp(config, createLogger("silent"))).rejects.toThrow(/--console-dir .*no index\.html/);
  });
});

describe("/console on the real server", () => {
  it("is served by default: /console redirects, /console/ answers HTML", async () => {
    server = await realServer();
    const redirect = await fetch(`${server.url}/console`, { redirect: "manual" });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get("location")).toBe("/console/");
    // Built or not, the answer is a page (the app, or how to build it).
    const page = await fetch(`${server.url}/console/`);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    // The rest of the server is untouched.
    expect((await fetch(`${server.url}/api/v1/projects`)).status).toBe(200);
  });

  it("is the plain 404 of unknown paths with --console false", async () => {
    server = await realServer({ console: "false" });
    for (const path of ["/console", "/console/", "/console/projects/p/domains/d/executions/x"]) {
      const res = await fetch(`${server.url}${path}`, { redirect: "manual" });
      expect(res.status, path).toBe(404);
      expect(await res.json(), path).toEqual({ code: 5, message: "Not Found", details: [] });
    }
  });

  it("serves a Flyte console build with window.env naming the port it listens on", async () => {
    server = await realServer({ consoleDir: FLYTE_BUILD });
    const html = await (await fetch(`${server.url}/console/projects/flytesnacks/executions?domain=development`)).text();
    const env = JSON.parse(/window\.env = (\{.*?\});/.exec(html)![1]!) as Record<string, string>;
    expect(env["ADMIN_API_URL"]).toBe(`127.0.0.1:${server.port}`);
    const script = await fetch(`${server.url}/console/assets/main-5e1f0c2a.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
  });
});
