import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import type { RunningServer } from "../../src/server.js";
import { ensureConsoleBuilt } from "./console-build.js";
import { type ConsoleSeed, seedConsole } from "./console-seed.js";
import { browserServer, describeBrowser, launchBrowser, screenshot, type Browser } from "./harness.js";

/**
 * A server whose operator capped list pages far below what the console asks for: the dashboard
 * still counts every execution (page by page) and the lists still page, with no error shown.
 */
const CAP = 4;
const POLL = { timeout: 15_000 };

describeBrowser("console against a server with a small maxPageSize", { timeout: 120_000 }, () => {
  let server: RunningServer;
  let browser: Browser;
  let admin: Client<typeof AdminService>;
  let seed: ConsoleSeed;

  beforeAll(async () => {
    [server] = await Promise.all([browserServer({ maxPageSize: String(CAP) }), ensureConsoleBuilt()]);
    admin = createClient(AdminService, createGrpcTransport({ baseUrl: server.url }));
    seed = await seedConsole(admin);
    for (let i = 0; i < 7; i++) await admin.createExecution({ project: seed.project, domain: seed.domain, name: `extra-${i}`, spec: { launchPlan: seed.hello.launchPlan }, inputs: {} });
    browser = await launchBrowser();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("counts every execution on the dashboard and pages the list within the cap", async () => {
    const total = seed.executions.length + 7;
    const { page, problems } = await browser.newPage();
    // The first list calls ask for more than the cap and are refused (that is how the console
    // learns it); whether gRPC-Web carries that status in headers or trailers, no error may show.
    await page.goto(`${server.url}/console/projects/${seed.project}/domains/${seed.domain}/executions`);

    await page.getByRole("img", { name: new RegExp(`^${total} executions`) }).waitFor(POLL);
    const list = page.locator("section[aria-labelledby=executions-title]");
    await expect.poll(() => list.locator("tbody tr").count(), POLL).toBe(CAP);
    await list.getByRole("button", { name: "Load more" }).click();
    await expect.poll(() => list.locator("tbody tr").count(), POLL).toBe(2 * CAP);
    const failures = page.getByRole("region", { name: "Recent failures" });
    await failures.getByRole("link", { name: "bad-1" }).waitFor(POLL);

    await screenshot(page, "dashboard small page cap");
    expect(await page.locator("[role=alert]").allInnerTexts()).toEqual([]);
    expect(problems).toEqual({ failedRequests: [], consoleErrors: [] });
    await page.close();
  });
});
