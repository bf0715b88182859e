import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ExecutionState } from "../../gen/flyteidl/admin/execution_pb.js";
import { NodeExecution_Phase as NodePhase, WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import type { RunningServer } from "../../src/server.js";
import { nodeEvent, registerFanout, runFanout, workflowEvent } from "../fixtures/console-executions.js";
import { DOMAIN, PROJECT } from "../fixtures/flyte-builders.js";
import { ensureConsoleBuilt } from "./console-build.js";
import { type Browser, browserServer, describeBrowser, launchBrowser, screenshot, type WatchedPage } from "./harness.js";

/**
 * The execution page against the real server, with executions made of the
 * events flytepropeller would report (the engine is off): the node list,
 * a page that follows a running execution, and the actions that change
 * what the server stores.
 */
describeBrowser("console: execution page (reported events)", () => {
  let server: RunningServer;
  let browser: Browser;
  let admin: Client<typeof AdminService>;
  const WIDTH = 1000;

  beforeAll(async () => {
    // 1,000 nodes in one workflow: past the default registration limit of 100.
    [server] = await Promise.all([browserServer({ maxWorkflowNodes: "2000" }), ensureConsoleBuilt()]);
    admin = createClient(AdminService, createGrpcTransport({ baseUrl: server.url }));
    await registerFanout(admin, WIDTH);
    // Reporting 3,000 events takes a while on a loaded machine: done before the tests' own clocks start.
    await runFanout(admin, "wide", WIDTH);
    browser = await launchBrowser();
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const open = async (name: string, query = ""): Promise<WatchedPage> => {
    const watched = await browser.newPage();
    await watched.page.goto(`${server.url}/console/projects/${PROJECT}/domains/${DOMAIN}/executions/${name}${query}`);
    return watched;
  };
  const execution = (name: string) => admin.getExecution({ id: { project: PROJECT, domain: DOMAIN, name } });

  it("lists 1,000 nodes, drawing only the rows in view, and scrolls to the last", async () => {
    const { page, problems } = await open("wide");
    const table = page.getByRole("table", { name: "Nodes" });
    await expect.poll(() => table.getAttribute("aria-rowcount"), { timeout: 15_000 }).toBe(String(WIDTH + 1));
    const drawn = await page.locator(".node-scroll [role=row]").count();
    expect(drawn).toBeGreaterThan(5);
    expect(drawn).toBeLessThan(100);
    // As text: the tests compile without the DOM's types.
    await page.evaluate(`(() => { const el = document.querySelector(".node-scroll"); el.scrollTo(0, el.scrollHeight); })()`);
    await expect.poll(() => page.locator(".node-scroll [role=row]").last().innerText()).toContain("n999");
    await screenshot(page, "execution 1000 nodes");
    expect(problems).toEqual({ failedRequests: [], consoleErrors: [] });
    await page.close();
  });

  it("asks for the execution and its nodes once, before the app has started, in one call each", async () => {
    const watched = await browser.newPage();
    const calls: string[] = [];
    watched.page.on("request", (r) => {
      const m = /AdminService\/(\w+)$/.exec(r.url());
      if (m) calls.push(m[1]!);
    });
    await watched.page.goto(`${server.url}/console/projects/${PROJECT}/domains/${DOMAIN}/executions/wide`);
    const table = watched.page.getByRole("table", { name: "Nodes" });
    await expect.poll(() => table.getAttribute("aria-rowcount"), { timeout: 15_000 }).toBe(String(WIDTH + 1));
    // The page's inline script sends both; the app's first call (the layout's projects) comes after them.
    expect(calls.slice(0, 2).sort()).toEqual(["GetExecution", "ListNodeExecutions"]);
    expect(calls.indexOf("ListProjects")).toBeGreaterThan(1);
    expect(calls.filter((c) => c === "GetExecution" || c === "ListNodeExecutions")).toHaveLength(2);
    expect(watched.problems).toEqual({ failedRequests: [], consoleErrors: [] });
    await watched.page.close();
  });

  it("opens on the page itself, with no placeholder for the page's module first", async () => {
    const watched = await browser.newPage();
    // As text: the tests compile without the DOM's types. Records every "Loading …" line the page ever shows.
    await watched.page.addInitScript(`
      window.__shown = [];
      new MutationObserver(() => {
        for (const el of document.querySelectorAll("[role=status]")) if (!window.__shown.includes(el.textContent)) window.__shown.push(el.textContent);
      }).observe(document, { subtree: true, childList: true, characterData: true });
    `);
    await watched.page.goto(`${server.url}/console/projects/${PROJECT}/domains/${DOMAIN}/executions/wide`);
    const table = watched.page.getByRole("table", { name: "Nodes" });
    await expect.poll(() => table.getAttribute("aria-rowcount"), { timeout: 15_000 }).toBe(String(WIDTH + 1));
    const shown = (await watched.page.evaluate("window.__shown")) as string[];
    expect(shown.filter((s) => s.startsWith("Loading page"))).toEqual([]);
    expect(watched.problems).toEqual({ failedRequests: [], consoleErrors: [] });
    await watched.page.close();
  });

  it("follows a running execution without a reload, then stops polling", async () => {
    await runFanout(admin, "live", 3, { running: new Set(["n2"]) });
    const { page, problems } = await open("live");
    const header = page.locator(".exec-title");
    await expect.poll(() => header.innerText(), { timeout: 15_000 }).toContain("Running");
    const n2 = page.locator(".node-scroll [role=row]", { hasText: "n2" });
    await expect.poll(() => n2.innerText()).toContain("Running");

    await nodeEvent(admin, "live", "n2", NodePhase.SUCCEEDED);
    await workflowEvent(admin, "live", Phase.SUCCEEDING);
    await workflowEvent(admin, "live", Phase.SUCCEEDED);
    await expect.poll(() => header.innerText(), { timeout: 20_000 }).toContain("Succeeded");
    await expect.poll(() => n2.innerText(), { timeout: 20_000 }).toContain("Succeeded");

    // Terminal: no more calls for the execution once the last answers are in.
    let calls = 0;
    page.on("request", (r) => {
      if (r.url().includes("AdminService/")) calls++;
    });
    await page.waitForTimeout(4_000);
    expect(calls).toBe(0);
    await screenshot(page, "execution live succeeded");
    expect(problems).toEqual({ failedRequests: [], consoleErrors: [] });
    await page.close();
  });

  it("terminates with a cause, archives, unarchives and relaunches", async () => {
    await runFanout(admin, "acts", 2, { running: new Set(["n1"]) });
    const { page, problems } = await open("acts");
    await page.getByRole("button", { name: "Terminate…" }).click();
    await page.getByLabel("Cause").fill("stopped by the console test");
    await page.getByRole("button", { name: "Terminate execution" }).click();
    await expect.poll(async () => (await execution("acts")).closure?.phase).toBe(Phase.ABORTING);
    const closure = (await execution("acts")).closure!;
    expect(closure.outputResult.case === "abortMetadata" && closure.outputResult.value.cause).toBe("stopped by the console test");
    await expect.poll(() => page.locator(".execution-page").innerText()).toContain("stopped by the console test");

    // With the engine off, propeller's report ends the abort.
    await workflowEvent(admin, "acts", Phase.ABORTED);
    const archive = page.getByRole("button", { name: "Archive" });
    await archive.waitFor({ timeout: 20_000 });
    await archive.click();
    await expect.poll(async () => (await execution("acts")).closure?.stateChangeDetails?.state).toBe(ExecutionState.EXECUTION_ARCHIVED);
    await page.getByRole("button", { name: "Unarchive" }).click();
    await expect.poll(async () => (await execution("acts")).closure?.stateChangeDetails?.state).toBe(ExecutionState.EXECUTION_ACTIVE);

    await page.getByRole("button", { name: "Relaunch", exact: true }).click();
    await page.waitForURL((url) => /\/executions\/[^/]+$/.test(url.pathname) && !url.pathname.endsWith("/acts"));
    const relaunched = decodeURIComponent(new URL(page.url()).pathname.split("/").at(-1)!);
    const created = await execution(relaunched);
    expect(created.spec?.metadata?.referenceExecution?.name).toBe("acts");
    await expect.poll(() => page.locator(".exec-title").innerText()).toContain(relaunched);
    await screenshot(page, "execution relaunched");
    expect(problems).toEqual({ failedRequests: [], consoleErrors: [] });
    await page.close();
  });
});
