import { existsSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { browserServer, describeBrowser, launchBrowser, screenshot, type Browser } from "./harness.js";

/** The harness itself: Chromium reaches the real server, and the page watch sees what fails. */
describeBrowser("browser harness", () => {
  let server: RunningServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await browserServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("loads a server answer with no failed request and no console error", async () => {
    const { page, problems } = await browser.newPage();
    // A JSON answer has no <link rel="icon">, so Chromium asks for /favicon.ico, which the API does not serve.
    await page.route("**/favicon.ico", (route) => route.fulfill({ status: 204 }));
    const res = await page.goto(`${server.url}/api/v1/projects`);
    expect(res?.status()).toBe(200);
    expect(JSON.parse(await page.innerText("body"))).toHaveProperty("projects");
    expect(problems).toEqual({ failedRequests: [], consoleErrors: [] });
    expect(existsSync(await screenshot(page, "harness projects"))).toBe(true);
    await page.close();
  });

  it("records failed requests and console errors", async () => {
    const { page, problems } = await browser.newPage();
    await page.goto(`${server.url}/api/v1/projects`);
    await page.evaluate(async () => {
      await fetch("/no/such/path");
      console.error("broken on purpose");
    });
    expect(problems.failedRequests).toEqual([expect.stringMatching(/^GET http:\/\/127\.0\.0\.1:\d+\/no\/such\/path -> 404$/)]);
    expect(problems.consoleErrors).toContain("broken on purpose");
    await page.close();
  });
});
