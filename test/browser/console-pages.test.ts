import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { NamedEntityState } from "../../gen/flyteidl/admin/common_pb.js";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import type { RunningServer } from "../../src/server.js";
import { initialJsGzipBytes } from "./console-bundle.js";
import { ensureConsoleBuilt } from "./console-build.js";
import { type ConsoleSeed, seedConsole } from "./console-seed.js";
import { browserServer, describeBrowser, launchBrowser, screenshot, type Browser, type WatchedPage } from "./harness.js";

/**
 * The console's browsing pages in Chromium against the real server: each loads with real data, no
 * failed request (HTTP or gRPC status), no console error and no error notice; the executions
 * filters send what the server answers; the lists' search and archive filters change what shows.
 */
const BASE = "/console/projects/flytesnacks/domains/development";
/** A filter change re-renders first and asks the server after: wait for the answer, not for a moment. */
const POLL = { timeout: 15_000 };

describeBrowser("console browsing pages", { timeout: 120_000 }, () => {
  let server: RunningServer;
  let browser: Browser;
  let admin: Client<typeof AdminService>;
  let seed: ConsoleSeed;

  beforeAll(async () => {
    await ensureConsoleBuilt();
    server = await browserServer();
    admin = createClient(AdminService, createGrpcTransport({ baseUrl: server.url }));
    seed = await seedConsole(admin);
    browser = await launchBrowser();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** gRPC-Web answers failures with HTTP 200 and a grpc-status header; those count as failed requests too. */
  async function open(path: string, options: { allowGrpc?: RegExp; viewport?: { width: number; height: number } } = {}): Promise<WatchedPage> {
    const watched = await browser.newPage();
    const { page, problems } = watched;
    if (options.viewport) await page.setViewportSize(options.viewport);
    page.on("response", (r) => {
      const status = r.headers()["grpc-status"];
      if (status && status !== "0" && !options.allowGrpc?.test(r.url())) problems.failedRequests.push(`${r.url()} -> grpc-status ${status}: ${r.headers()["grpc-message"] ?? ""}`);
    });
    await page.goto(`${server.url}${path}`);
    await settle(page);
    return watched;
  }

  async function settle(page: Page): Promise<void> {
    await page.waitForLoadState("networkidle");
    // Page code as a string: the tests compile without the DOM's types.
    await page.waitForFunction('!document.body.innerText.includes("Loading ")', null, { timeout: 15_000 });
  }

  async function expectClean(watched: WatchedPage, name: string): Promise<void> {
    await screenshot(watched.page, `console ${name}`);
    expect(watched.problems).toEqual({ failedRequests: [], consoleErrors: [] });
    expect(await watched.page.locator("[role=alert]").allInnerTexts()).toEqual([]);
  }

  const rows = (page: Page, table = "table") => page.locator(`${table} tbody tr`);

  it("lists the projects with their domains at /console and /console/select-project", async () => {
    for (const path of ["/console/", "/console/select-project"]) {
      const w = await open(path);
      await expect(w.page.getByRole("heading", { name: "Projects" }).isVisible()).resolves.toBe(true);
      await expect(w.page.getByRole("link", { name: "development" }).first().isVisible()).resolves.toBe(true);
      await expectClean(w, `projects ${path}`);
      await w.page.close();
    }
  });

  it("sends a project without a domain, and the older ?domain= form, to the project's dashboard", async () => {
    const w = await open("/console/projects/flytesnacks/executions?domain=development");
    expect(new URL(w.page.url()).pathname).toBe(`${BASE}/executions`);
    await w.page.goto(`${server.url}/console/projects/flytesnacks`);
    await settle(w.page);
    expect(new URL(w.page.url()).pathname).toMatch(/^\/console\/projects\/flytesnacks\/domains\/\w+\/executions$/);
    await expectClean(w, "project redirect");
    await w.page.close();
  });

  it("shows the dashboard: executions by phase, recent failures, and every execution", async () => {
    const w = await open(`${BASE}/executions`);
    const { page } = w;
    await expect(page.getByRole("img", { name: /6 executions/ }).isVisible()).resolves.toBe(true);
    const failures = page.getByRole("region", { name: "Recent failures" });
    await expect(failures.getByRole("link", { name: "bad-1" }).isVisible()).resolves.toBe(true);
    await expect(failures.getByText("name must not be empty").isVisible()).resolves.toBe(true);
    await expect(rows(page, "section[aria-labelledby=executions-title] table").count()).resolves.toBe(seed.executions.length);
    await expectClean(w, "dashboard");
    await page.close();
  });

  it("filters executions by status, start time, duration, owner and archive state, each answered by the server", async () => {
    const w = await open(`${BASE}/executions`, { allowGrpc: /IdentityService\/UserInfo$/ });
    const { page } = w;
    const list = page.locator("section[aria-labelledby=executions-title]");
    const names = async () => (await list.locator("tbody tr td:first-child").allInnerTexts()).sort();

    await list.getByLabel("Failed").check();
    await expect.poll(names, POLL).toEqual(["bad-1"]);
    await list.getByLabel("Succeeded").check();
    await expect.poll(names, POLL).toEqual(["bad-1", "ok-1", "ok-2"]);
    expect(new URL(page.url()).searchParams.get("status")).toBe("failed,succeeded");

    await list.getByLabel("Start time").selectOption("lastHour");
    await expect.poll(names, POLL).toEqual(["bad-1", "ok-1", "ok-2"]);
    await list.getByLabel("Duration").selectOption("gt1hour");
    await list.getByText("No executions match.").waitFor();
    await list.getByLabel("Duration").selectOption("lt1hour");
    await expect.poll(names, POLL).toEqual(["bad-1", "ok-1", "ok-2"]);

    // Without sign-in the server has no identity service: the list says so and keeps answering.
    await list.getByLabel("Only my executions").check();
    await list.getByText(/runs without sign-in/).waitFor();
    await expect.poll(names, POLL).toEqual(["bad-1", "ok-1", "ok-2"]);

    await list.getByLabel("Show archived").check();
    await list.getByText("No executions match.").waitFor();
    await admin.updateExecution({ id: { project: "flytesnacks", domain: "development", name: "ok-2" }, state: 1 });
    await page.reload();
    await expect.poll(names, POLL).toEqual(["ok-2"]);
    await admin.updateExecution({ id: { project: "flytesnacks", domain: "development", name: "ok-2" }, state: 0 });
    await expectClean(w, "executions filtered");
    await page.close();
  });

  it("lists workflows, tasks and launch plans with a name search and an archived filter", async () => {
    const w = await open(`${BASE}/workflows`);
    const { page } = w;
    const names = () => page.locator("tbody tr td:first-child").allInnerTexts();
    expect(await names()).toEqual(expect.arrayContaining([seed.hello.workflow.name, seed.typedDag.workflow.name, seed.control.workflow.name]));
    await page.getByLabel("Search by name").fill("ctl.");
    await expect.poll(names, POLL).toEqual([seed.control.workflow.name]);
    expect(new URL(page.url()).searchParams.get("search")).toBe("ctl.");

    const dag = { project: "flytesnacks", domain: "development", name: seed.typedDag.workflow.name };
    await admin.updateNamedEntity({ resourceType: ResourceType.WORKFLOW, id: dag, metadata: { state: NamedEntityState.NAMED_ENTITY_ARCHIVED } });
    await page.getByLabel("Search by name").fill("");
    await page.reload();
    await settle(page);
    expect(await names()).not.toContain(dag.name);
    await page.getByLabel("Show archived").check();
    await expect.poll(names, POLL).toEqual([dag.name]);
    await admin.updateNamedEntity({ resourceType: ResourceType.WORKFLOW, id: dag, metadata: { state: NamedEntityState.NAMED_ENTITY_ACTIVE } });
    await expectClean(w, "workflows");

    for (const [section, expected] of [
      ["tasks", seed.hello.task.name],
      ["launchPlans", seed.scheduled.name],
    ] as const) {
      await page.goto(`${server.url}${BASE}/${section}`);
      await settle(page);
      expect(await names()).toContain(expected);
      await expectClean(w, section);
    }
    await page.close();
  });

  it("shows a workflow with its versions, typed interface, nested graph and executions", async () => {
    const w = await open(`${BASE}/workflows/${seed.control.workflow.name}`);
    const { page } = w;
    await page.locator(".react-flow__node").first().waitFor();
    const labels = await page.locator(".react-flow__node").allInnerTexts();
    expect(labels).toEqual(expect.arrayContaining(["ctl.tasks.double", "if: ctl.tasks.add_one", "else: ctl.tasks.double", "ctl.flow.inner", "start", "end"]));
    expect(await page.locator(".react-flow__edge").count()).toBeGreaterThanOrEqual(5);
    await expectClean(w, "workflow control flow");

    await page.goto(`${server.url}${BASE}/workflows/${seed.hello.workflow.name}`);
    await settle(page);
    const versions = page.getByRole("region", { name: "Versions" });
    expect(await versions.locator("tbody tr td:first-child").allInnerTexts()).toEqual(["v2", "v1"]);
    expect(await rows(page, "section[aria-labelledby=recent-executions] table").count()).toBe(seed.executions.length);
    await expectClean(w, "workflow hello");

    await page.goto(`${server.url}${BASE}/workflow/${seed.typedDag.workflow.name}/version/v1`);
    await settle(page);
    const inputs = await page.getByRole("region", { name: "Inputs" }).locator("tbody").innerText();
    for (const type of ["int", "float", "str", "bool", "List[int]", "Dict[str, float]", "datetime"]) expect(inputs).toContain(type);
    await expectClean(w, "workflow version typed");
    await page.close();
  });

  it("shows tasks and launch plans with their versions, schedule and state", async () => {
    const w = await open(`${BASE}/tasks/${seed.hello.task.name}`);
    const { page } = w;
    await expect(page.getByText("python-task").isVisible()).resolves.toBe(true);
    await expectClean(w, "task");

    await page.goto(`${server.url}${BASE}/task/${seed.hello.task.name}/version/v1`);
    await settle(page);
    expect(await page.getByRole("region", { name: "Inputs" }).locator("tbody").innerText()).toMatch(/name\s+str/);
    await expectClean(w, "task version");

    await page.goto(`${server.url}${BASE}/launchPlans/${seed.hello.launchPlan.name}`);
    await settle(page);
    await expect(page.getByRole("region", { name: "Schedule" }).innerText()).resolves.toMatch(/Active version v1; schedule: none/);
    await expectClean(w, "launch plan active");

    await page.goto(`${server.url}${BASE}/launch_plan/${seed.scheduled.name}/version/v1`);
    await settle(page);
    await expect(page.locator("#launch-plan-state").innerText()).resolves.toBe("Inactive");
    await expect(page.getByText("cron 0 6 * * *").isVisible()).resolves.toBe(true);
    await expectClean(w, "launch plan scheduled version");

    await page.getByRole("button", { name: "Launch" }).click();
    await page.getByRole("dialog").waitFor();
    await page.close();
  });

  it("lands flytekit's execution links on the execution page", async () => {
    const w = await open(`${BASE}/executions/ok-1`);
    await expect(w.page.getByRole("heading").first().isVisible()).resolves.toBe(true);
    expect(w.problems).toEqual({ failedRequests: [], consoleErrors: [] });
    await w.page.close();
  });

  it("fits a phone-sized window and starts keyboard navigation at the skip link", async () => {
    for (const path of [`${BASE}/executions`, `${BASE}/workflows/${seed.control.workflow.name}`, "/console/"]) {
      const w = await open(path, { viewport: { width: 390, height: 844 } });
      const overflow = await w.page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
      expect(overflow, path).toBeLessThanOrEqual(1);
      await expectClean(w, `phone ${path}`);
      await w.page.keyboard.press("Tab");
      expect(await w.page.evaluate<string>("document.activeElement?.textContent")).toBe("Skip to content");
      await w.page.close();
    }
  });

  it("pages through executions by token", async () => {
    for (let i = 0; i < 50; i++) await admin.createExecution({ project: "flytesnacks", domain: "development", name: `more-${i}`, spec: { launchPlan: seed.hello.launchPlan }, inputs: {} });
    const w = await open(`${BASE}/executions`);
    const list = w.page.locator("section[aria-labelledby=executions-title]");
    await expect(list.locator("tbody tr").count()).resolves.toBe(50);
    await list.getByRole("button", { name: "Load more" }).click();
    await expect.poll(() => list.locator("tbody tr").count(), POLL).toBe(50 + seed.executions.length);
    await expect(list.getByRole("button", { name: "Load more" }).count()).resolves.toBe(0);
    await expectClean(w, "executions paged");
    await w.page.close();
  });

  it("keeps the first load's JavaScript under 300 kB gzipped", () => {
    const { files, bytes } = initialJsGzipBytes();
    expect(files.length).toBeGreaterThan(0);
    console.info(`console initial JavaScript: ${(bytes / 1024).toFixed(1)} kB gzipped in ${files.length} files`);
    expect(bytes).toBeLessThanOrEqual(300 * 1024);
  });
});
