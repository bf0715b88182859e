import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkflowExecutionIdentifier } from "../../gen/flyteidl/core/identifier_pb.js";
import { NodeExecution_Phase as NodePhase, WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { SignalService } from "../../gen/flyteidl/service/signal_pb.js";
import { type EngineServer, registerEngineWorkflows, startEngineServer } from "../fixtures/engine/engine-server.js";
import { launch, lit, nodesById, outputsOf, primitive, waitForTerminal, waitUntil } from "../fixtures/engine/executions.js";
import { findFlytekit, SKIP_MESSAGE } from "../fixtures/engine/flytekit-kit.js";
import { killLeftoverTasks } from "../fixtures/engine/invariants.js";
import { ensureConsoleBuilt } from "./console-build.js";
import { type Browser, describeBrowser, launchBrowser, screenshot, type WatchedPage } from "./harness.js";

/**
 * The execution page for workflows the local engine ran with the real
 * flytekit: nodes, graph, timeline, inputs and outputs, a task's log, and
 * an approval given from the page.
 */
const kit = findFlytekit();
const VERSION = "v1";

// Both a browser and flytekit are needed; either missing skips the suite, saying which.
const describeEngine = kit ? describeBrowser : describe.skip;

describeEngine(`console: execution page (local engine) ${kit ? "" : SKIP_MESSAGE}`, () => {
  let h: EngineServer;
  let browser: Browser;
  let signals: Client<typeof SignalService>;
  const ids: Record<string, WorkflowExecutionIdentifier> = {};

  beforeAll(async () => {
    [h] = await Promise.all([startEngineServer(kit!, { taskSlots: 2 }), ensureConsoleBuilt()]);
    signals = createClient(SignalService, createGrpcTransport({ baseUrl: h.server.url }));
    await registerEngineWorkflows(kit!, h, VERSION, ["typed", "gates"]);
    ids.typed = await launch(h, "typed.typed_wf", { version: VERSION, inputs: { a: lit.int(3) } });
    ids.approve = await launch(h, "gates.approve_wf", { version: VERSION, inputs: { x: lit.int(21) } });
    browser = await launchBrowser();
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
    if (h) killLeftoverTasks(h);
    h?.remove();
  });

  const open = async (id: WorkflowExecutionIdentifier, query = ""): Promise<WatchedPage> => {
    const watched = await browser.newPage();
    await watched.page.goto(`${h.server.url}/console/projects/${id.project}/domains/${id.domain}/executions/${id.name}${query}`);
    return watched;
  };

  it("shows a finished run's nodes, graph, timeline, inputs and outputs, and a task's log", async () => {
    const id = ids.typed!;
    await waitForTerminal(h.admin, id, 120_000);
    const output = String(primitive((await outputsOf(h.admin, id)).o0));
    const { page, problems } = await open(id);
    await expect.poll(() => page.locator(".exec-title").innerText(), { timeout: 15_000 }).toContain("Succeeded");
    const rows = page.locator(".node-scroll [role=row]");
    await expect.poll(() => rows.count()).toBe(4);
    expect(await rows.allInnerTexts()).toEqual(expect.arrayContaining([expect.stringContaining("engine_e2e.typed.scale")]));
    for (const text of await rows.allInnerTexts()) expect(text).toContain("Succeeded");

    await page.getByRole("tab", { name: "Inputs & outputs" }).click();
    const data = page.getByRole("tabpanel");
    await expect.poll(() => data.innerText()).toContain(output);
    expect(await data.innerText()).toContain("2024-01-02T03:04:05Z");

    await page.getByRole("tab", { name: "Graph" }).click();
    await expect.poll(() => page.locator(".react-flow__node").count(), { timeout: 15_000 }).toBe(6);
    expect(await page.locator(".react-flow__node.wf-phase-succeeded").count()).toBe(4);
    await screenshot(page, "execution engine graph");

    await page.getByRole("tab", { name: "Timeline" }).click();
    await expect.poll(() => page.locator(".timeline-row").count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(5);

    await page.getByRole("tab", { name: "Nodes" }).click();
    await rows.filter({ hasText: "engine_e2e.typed.scale" }).getByRole("button", { name: /scale/ }).click();
    const panel = page.locator(".node-panel");
    await expect.poll(() => panel.innerText()).toContain("Attempt 1");
    await expect.poll(() => panel.innerText()).toContain("4.5 float");
    await panel.getByRole("button", { name: "Show here" }).first().click();
    await panel.locator(".log-view").waitFor();
    await screenshot(page, "execution engine node panel");
    expect(problems).toEqual({ failedRequests: [], consoleErrors: [] });
    await page.close();
  }, 180_000);

  it("approves a waiting gate from the page, and the page follows the run to its end", async () => {
    const id = ids.approve!;
    await waitUntil("the approval gate to wait", async () => (await nodesById(h.admin, id)).n1?.closure?.phase === NodePhase.RUNNING, 120_000);
    const { page, problems } = await open(id, "?node=n1");
    const approve = page.getByRole("button", { name: "Approve" });
    await approve.waitFor({ timeout: 15_000 });
    await approve.click();
    await expect
      .poll(async () => (await signals.listSignals({ workflowExecutionId: id, limit: 10 })).signals.find((s) => s.id?.signalId === "review")?.value?.value.case)
      .toBe("scalar");
    expect((await waitForTerminal(h.admin, id, 60_000)).closure?.phase).toBe(Phase.SUCCEEDED);
    await expect.poll(() => page.locator(".exec-title").innerText(), { timeout: 30_000 }).toContain("Succeeded");
    await screenshot(page, "execution engine approved");
    expect(problems).toEqual({ failedRequests: [], consoleErrors: [] });
    await page.close();
  }, 180_000);
});
