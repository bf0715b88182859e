import { resolve } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import type { RunningServer } from "../../src/server.js";
import { ensureConsoleBuilt } from "./console-build.js";
import { browserServer, describeBrowser, launchBrowser, screenshot, type Browser } from "./harness.js";

/** The console as a browser gets it from the real server: our own build, and a Flyte console build through --console-dir. */

const FLYTE_BUILD = resolve(import.meta.dirname, "../fixtures/flyte-console-build");

async function withProject(server: RunningServer, id: string): Promise<void> {
  const admin = createClient(AdminService, createGrpcTransport({ baseUrl: server.url }));
  await admin.registerProject({ project: { id, name: id, description: "from the browser test" } });
}

describeBrowser("console in Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(() => browser?.close());

  describe("the built-in console (dist/console)", () => {
    let server: RunningServer;
    beforeAll(async () => {
      await ensureConsoleBuilt();
      server = await browserServer();
      await withProject(server, "flytesnacks");
    }, 180_000);
    afterAll(() => server?.close());

    it("loads at /console/ with every asset, no failed request and no console error", async () => {
      const { page, problems } = await browser.newPage();
      const assets: string[] = [];
      page.on("response", (r) => {
        if (new URL(r.url()).pathname.startsWith("/console/assets/")) assets.push(`${r.status()} ${r.headers()["content-encoding"] ?? "identity"}`);
      });
      await page.goto(`${server.url}/console/`);
      await page.getByRole("link", { name: "flytesnacks" }).first().waitFor();
      await screenshot(page, "console-serve home");
      expect(assets.length).toBeGreaterThan(0);
      // Chromium asks for brotli; every script and style sheet large enough came compressed.
      expect(assets.every((a) => a.startsWith("200 "))).toBe(true);
      expect(assets).toContain("200 br");
      expect(problems).toEqual({ failedRequests: [], consoleErrors: [] });
      await page.close();
    });

    it("answers deep links with the app, which routes them", async () => {
      const { page, problems } = await browser.newPage();
      const deep = "/console/projects/flytesnacks/domains/development/workflows/core.basic.hello_world.wf";
      const res = await page.goto(`${server.url}${deep}`);
      expect(res?.status()).toBe(200);
      await page.getByRole("link", { name: "Flyte console" }).waitFor();
      expect(new URL(page.url()).pathname).toBe(deep);
      await screenshot(page, "console-serve deep link");
      expect(problems.failedRequests).toEqual([]);
      expect(problems.consoleErrors).toEqual([]);
      await page.close();
    });

    it("loads /console (no slash) through the redirect", async () => {
      const { page, problems } = await browser.newPage();
      await page.goto(`${server.url}/console`);
      expect(new URL(page.url()).pathname.startsWith("/console/")).toBe(true);
      await page.getByRole("link", { name: "Flyte console" }).waitFor();
      expect(problems).toEqual({ failedRequests: [], consoleErrors: [] });
      await page.close();
    });
  });

  describe("a Flyte console build (--console-dir)", () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await browserServer({ consoleDir: FLYTE_BUILD });
      await withProject(server, "flytesnacks");
      await withProject(server, "ml-team");
    });
    afterAll(() => server?.close());

    it("gets window.env naming this server's origin and port, and lists projects through /api/v1", async () => {
      const { page, problems } = await browser.newPage();
      await page.goto(`${server.url}/console/projects/flytesnacks/domains/development/executions/abc123`);
      await page.locator("#projects[data-loaded=true]").waitFor();
      expect(await page.locator("#admin").textContent()).toBe(new URL(server.url).host);
      expect(await page.locator("#route").textContent()).toBe("/projects/flytesnacks/domains/development/executions/abc123");
      expect(await page.locator("#projects li").allTextContents()).toEqual(expect.arrayContaining(["flytesnacks", "ml-team"]));
      const env = await page.evaluate(() => (globalThis as unknown as { env: Record<string, string> }).env);
      expect(env).toMatchObject({ ADMIN_API: `//${new URL(server.url).host}`, BASE_URL: "/console" });
      await screenshot(page, "console-serve flyte console build");
      expect(problems).toEqual({ failedRequests: [], consoleErrors: [] });
      await page.close();
    });
  });
});
