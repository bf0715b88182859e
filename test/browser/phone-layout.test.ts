import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { NodeExecution_Phase as NodePhase } from "../../gen/flyteidl/core/execution_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import type { RunningServer } from "../../src/server.js";
import { ensureConsoleBuilt } from "./console-build.js";
import { type ConsoleSeed, seedConsole } from "./console-seed.js";
import { browserServer, describeBrowser, launchBrowser, screenshot, type Browser, type WatchedPage } from "./harness.js";

/**
 * The console on a phone (390×844, an iPhone 12-14 viewport): the launch form, the executions list
 * and the execution page (each tab, and a node's panel) never make the page scroll sideways, and
 * every control on them can be reached: inside the window, or inside a box that scrolls sideways
 * on its own (a wide table).
 */
const PHONE = { width: 390, height: 844 };

/**
 * Page code (a string: the tests compile without the DOM's types): the controls that stick out of
 * the window with no sideways-scrolling box around them to reach them by.
 */
const UNREACHABLE = `(() => {
  const scrollsSideways = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if ((s.overflowX === "auto" || s.overflowX === "scroll") && p.scrollWidth > p.clientWidth) return true;
    }
    return false;
  };
  const out = [];
  for (const el of document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, [role=tab], summary")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (el.closest(".visually-hidden, .skip-link")) continue;
    if ((r.left < -1 || r.right > window.innerWidth + 1) && !scrollsSideways(el)) out.push((el.getAttribute("aria-label") || el.textContent || el.tagName).trim().slice(0, 40) + " @" + Math.round(r.left) + ".." + Math.round(r.right));
  }
  return out;
})()`;

describeBrowser("console on a phone-sized screen", { timeout: 120_000 }, () => {
  let server: RunningServer;
  let browser: Browser;
  let admin: Client<typeof AdminService>;
  let seed: ConsoleSeed;
  let base = "";

  beforeAll(async () => {
    [server] = await Promise.all([browserServer(), ensureConsoleBuilt()]);
    admin = createClient(AdminService, createGrpcTransport({ baseUrl: server.url }));
    seed = await seedConsole(admin);
    base = `/console/projects/${seed.project}/domains/${seed.domain}`;
    // A node that ran, so the execution page has a row, a graph node, a timeline bar and a panel.
    const executionId = { project: seed.project, domain: seed.domain, name: "running-1" };
    const at = timestampFromDate(new Date(Date.now() - 60_000));
    for (const phase of [NodePhase.QUEUED, NodePhase.RUNNING]) {
      await admin.createNodeEvent({ event: { id: { nodeId: "n0", executionId }, phase, occurredAt: at, producerId: "propeller", specNodeId: "n0", eventVersion: 2 } });
    }
    browser = await launchBrowser({ viewport: PHONE });
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(path: string): Promise<WatchedPage> {
    const watched = await browser.newPage();
    await watched.page.goto(`${server.url}${path}`);
    await watched.page.waitForLoadState("networkidle");
    await watched.page.waitForFunction('!document.body.innerText.includes("Loading ")', null, { timeout: 15_000 });
    return watched;
  }

  async function expectFits(page: Page, name: string): Promise<void> {
    await screenshot(page, `phone ${name}`);
    expect(await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth"), `${name}: the page scrolls sideways`).toBeLessThanOrEqual(1);
    expect(await page.evaluate<string[]>(UNREACHABLE), `${name}: controls out of reach`).toEqual([]);
  }

  it("fits the executions list with its filters", async () => {
    const w = await open(`${base}/executions`);
    await expectFits(w.page, "executions");
    const list = w.page.locator("section[aria-labelledby=executions-title]");
    await list.getByLabel("Failed").click();
    await expect.poll(() => list.locator("tbody tr").count()).toBe(1);
    await expectFits(w.page, "executions filtered");
    expect(w.problems).toEqual({ failedRequests: [], consoleErrors: [] });
    await w.page.close();
  });

  it("fits the launch form, its advanced options and its Launch button", async () => {
    const w = await open(`${base}/workflows/${seed.typedDag.workflow.name}`);
    await w.page.getByRole("button", { name: "Launch" }).click();
    const dialog = w.page.getByRole("dialog");
    await dialog.locator(".form-field").first().waitFor();
    await dialog.getByText("Advanced options").click();
    await expectFits(w.page, "launch form");
    const submit = dialog.getByRole("button", { name: "Launch", exact: true });
    await submit.scrollIntoViewIfNeeded();
    const box = (await submit.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
    expect(box.y + box.height).toBeLessThanOrEqual(PHONE.height);
    expect(w.problems).toEqual({ failedRequests: [], consoleErrors: [] });
    await w.page.close();
  });

  it("fits the execution page, each of its tabs and a node's panel", async () => {
    const w = await open(`${base}/executions/running-1`);
    await w.page.locator(".node-scroll [role=row]").first().waitFor();
    await expectFits(w.page, "execution nodes");
    for (const tab of ["Graph", "Timeline", "Inputs & outputs"]) {
      await w.page.getByRole("tab", { name: tab }).click();
      await w.page.waitForLoadState("networkidle");
      if (tab === "Graph") await w.page.locator(".react-flow__node").first().waitFor();
      await expectFits(w.page, `execution ${tab}`);
    }
    await w.page.getByRole("tab", { name: "Nodes" }).click();
    await w.page.locator(".node-scroll [role=row]", { hasText: "n0" }).getByRole("button").first().click();
    await w.page.locator(".node-panel").waitFor();
    // Below the list on a phone: brought into view as it opens.
    await expect.poll(async () => (await w.page.locator("#node-panel-title").boundingBox())?.y ?? -1).toBeGreaterThanOrEqual(0);
    expect((await w.page.locator("#node-panel-title").boundingBox())!.y).toBeLessThan(PHONE.height);
    await expectFits(w.page, "execution node panel");
    // The panel's close button is on screen once the panel is scrolled to.
    const close = w.page.getByRole("button", { name: "Close node details" });
    await close.scrollIntoViewIfNeeded();
    await close.click();
    await w.page.locator(".node-panel").waitFor({ state: "detached" });
    await w.page.getByRole("button", { name: "Terminate…" }).click();
    await expectFits(w.page, "execution terminate form");
    expect(w.problems).toEqual({ failedRequests: [], consoleErrors: [] });
    await w.page.close();
  });
});
