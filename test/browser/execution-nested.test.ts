import { create, toJson } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ParameterMapSchema } from "../../gen/flyteidl/core/interface_pb.js";
import { NodeExecution_Phase as NodePhase, TaskExecution_Phase as TaskPhase, WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { SignalService } from "../../gen/flyteidl/service/signal_pb.js";
import { LiteralSchema } from "../../gen/flyteidl/core/literals_pb.js";
import { LiteralTypeSchema, SimpleType } from "../../gen/flyteidl/core/types_pb.js";
import type { RunningServer } from "../../src/server.js";
import { arrayNode, DOMAIN, intValue, launchPlanId, promise, PROJECT, pythonTask, signalNode, T, taskNode, workflow } from "../fixtures/flyte-builders.js";
import { ensureConsoleBuilt } from "./console-build.js";
import { registerControlFlow } from "./console-seed.js";
import { browserServer, describeBrowser, launchBrowser, screenshot, type Browser } from "./harness.js";

/**
 * The execution page for nested and mapped nodes, moved by the events flytepropeller reports
 * (children named `<parent>-<attempt>-<node>`): the graph draws a branch and a sub-workflow as
 * boxes, each node coloured by its own execution's phase; a map task's panel lists its items; a
 * gate waiting for a dataclass takes its value field by field.
 */
describeBrowser("console: execution page for sub-workflows, branches and map tasks", { timeout: 120_000 }, () => {
  let server: RunningServer;
  let browser: Browser;
  let admin: Client<typeof AdminService>;
  let signals: Client<typeof SignalService>;
  const exec = { project: PROJECT, domain: DOMAIN, name: "nested-1" };
  const mapped = { project: PROJECT, domain: DOMAIN, name: "mapped-1" };
  const gated = { project: PROJECT, domain: DOMAIN, name: "gated-1" };
  /** The dataclass a gate waits for, as flytekit 1.16 declares one: JSON schema and field types. */
  const settings = create(LiteralTypeSchema, {
    type: { case: "simple", value: SimpleType.STRUCT },
    metadata: { title: "Settings", type: "object", properties: { count: { type: "integer" }, label: { type: "string" }, tags: { type: "array", items: { type: "string" } } }, required: ["count"] },
    structure: { dataclassType: { count: T.int(), label: T.str(), tags: T.list(T.str()) } },
  });

  beforeAll(async () => {
    [server] = await Promise.all([browserServer(), ensureConsoleBuilt()]);
    admin = createClient(AdminService, createGrpcTransport({ baseUrl: server.url }));
    signals = createClient(SignalService, createGrpcTransport({ baseUrl: server.url }));
    await admin.registerProject({ project: { id: PROJECT, name: PROJECT } });
    const wf = await registerControlFlow(admin);
    const lp = { ...launchPlanId(wf.name), version: wf.version };
    const defaultInputs = create(ParameterMapSchema, {
      parameters: { x: { var: { type: T.int(), description: "x" }, behavior: { case: "default", value: { value: { case: "scalar", value: intValue(1).value.value as never } } } } },
    });
    await admin.createLaunchPlan({ id: lp, spec: { workflowId: wf, defaultInputs } });
    await admin.createExecution({ ...exec, spec: { launchPlan: lp }, inputs: {} });

    const t0 = Date.now() - 60_000;
    let tick = 0;
    const at = () => timestampFromDate(new Date(t0 + 1_000 * tick++));
    await admin.createWorkflowEvent({ event: { executionId: exec, phase: Phase.RUNNING, occurredAt: at(), producerId: "propeller" } });
    const node = async (nodeId: string, specNodeId: string, phases: NodePhase[], extra: { parent?: string; isParent?: boolean } = {}) => {
      for (const phase of phases) {
        await admin.createNodeEvent({
          event: {
            id: { nodeId, executionId: exec },
            phase,
            occurredAt: at(),
            producerId: "propeller",
            specNodeId,
            eventVersion: 2,
            isParent: extra.isParent ?? false,
            ...(extra.parent ? { parentNodeMetadata: { nodeId: extra.parent } } : {}),
          },
        });
      }
    };
    const done = [NodePhase.QUEUED, NodePhase.RUNNING, NodePhase.SUCCEEDED];
    await node("n0", "n0", done);
    await node("n1", "n1", [NodePhase.QUEUED, NodePhase.RUNNING], { isParent: true });
    // The compiler names a branch's case nodes after the branch: "n1-n1-then".
    await node("n1-0-n1-n1-then", "n1-n1-then", done, { parent: "n1" });
    await node("n1", "n1", [NodePhase.SUCCEEDED], { isParent: true });
    await node("n2", "n2", [NodePhase.QUEUED, NodePhase.RUNNING], { isParent: true });
    await node("n2-0-s0", "s0", done, { parent: "n2" });
    await node("n2-0-s1", "s1", [NodePhase.QUEUED, NodePhase.RUNNING], { parent: "n2" });
    await runMapTask();
    await waitAtGate();
    browser = await launchBrowser();
  }, 240_000);

  /** A workflow stopped at a gate that waits for a `Settings` signal, as propeller leaves it. */
  async function waitAtGate(): Promise<void> {
    const wf = workflow("gate.flow.configure", { outputs: { o0: settings }, nodes: [signalNode("g0", "settings", "o0", settings)], outputBindings: { o0: promise("g0", "o0") } });
    await admin.createWorkflow({ id: wf.id, spec: { template: wf } });
    const lp = { ...launchPlanId("gate.flow.configure"), version: wf.id!.version };
    await admin.createLaunchPlan({ id: lp, spec: { workflowId: wf.id } });
    await admin.createExecution({ ...gated, spec: { launchPlan: lp }, inputs: {} });
    const at = timestampFromDate(new Date(Date.now() - 5_000));
    await admin.createWorkflowEvent({ event: { executionId: gated, phase: Phase.RUNNING, occurredAt: at, producerId: "propeller" } });
    for (const phase of [NodePhase.QUEUED, NodePhase.RUNNING]) {
      await admin.createNodeEvent({ event: { id: { nodeId: "g0", executionId: gated }, phase, occurredAt: at, producerId: "propeller", specNodeId: "g0", eventVersion: 2 } });
    }
    await signals.getOrCreateSignal({ id: { executionId: gated, signalId: "settings" }, type: settings });
  }

  /** A map over `square` with four items: two succeeded, one failed after a retry, one running. */
  async function runMapTask(): Promise<void> {
    const square = pythonTask("map.tasks.square", { x: T.list(T.int()) }, { o0: T.list(T.int()) });
    await admin.createTask({ id: square.id, spec: { template: square } });
    const wf = workflow("map.flow.squares", {
      inputs: { xs: T.list(T.int()) },
      outputs: {},
      nodes: [arrayNode("m0", taskNode("m0", square, { inputs: { x: promise("", "xs") } }), { inputs: { x: promise("", "xs") } })],
    });
    await admin.createWorkflow({ id: wf.id, spec: { template: wf } });
    const lp = { ...launchPlanId("map.flow.squares"), version: wf.id!.version };
    await admin.createLaunchPlan({ id: lp, spec: { workflowId: wf.id } });
    await admin.createExecution({ ...mapped, spec: { launchPlan: lp }, inputs: { literals: { xs: { value: { case: "collection", value: { literals: [] } } } } } });
    const at = timestampFromDate(new Date(Date.now() - 10_000));
    await admin.createWorkflowEvent({ event: { executionId: mapped, phase: Phase.RUNNING, occurredAt: at, producerId: "propeller" } });
    for (const phase of [NodePhase.QUEUED, NodePhase.RUNNING]) {
      await admin.createNodeEvent({ event: { id: { nodeId: "m0", executionId: mapped }, phase, occurredAt: at, producerId: "propeller", specNodeId: "m0", isArray: true, eventVersion: 2 } });
    }
    const item = (index: number, retryAttempt: number, phase: TaskPhase, logs: string[] = []) => ({
      index,
      retryAttempt,
      phase,
      externalId: `mapped-1-m0-${index}-${retryAttempt}`,
      logs: logs.map((name) => ({ name, uri: `https://logs.example/${index}/${retryAttempt}/${encodeURIComponent(name)}` })),
    });
    await admin.createTaskEvent({
      event: {
        taskId: square.id,
        parentNodeExecutionId: { executionId: mapped, nodeId: "m0" },
        retryAttempt: 0,
        phase: TaskPhase.RUNNING,
        producerId: "propeller",
        occurredAt: at,
        reportedAt: at,
        taskType: "container_array",
        eventVersion: 1,
        metadata: {
          pluginIdentifier: "k8s-array",
          externalResources: [
            item(0, 0, TaskPhase.SUCCEEDED, ["Item 0 log"]),
            item(1, 0, TaskPhase.RETRYABLE_FAILED, ["Item 1 first log"]),
            item(1, 1, TaskPhase.FAILED, ["Item 1 retry log"]),
            item(2, 0, TaskPhase.SUCCEEDED),
            item(3, 0, TaskPhase.RUNNING, ["Item 3 log"]),
          ],
        },
      },
    });
  }
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("draws the branch and sub-workflow as boxes and colours every node by its phase", async () => {
    const { page, problems } = await browser.newPage();
    await page.goto(`${server.url}/console/projects/${PROJECT}/domains/${DOMAIN}/executions/${exec.name}?tab=graph`);
    const drawn = (id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);
    const phaseOf = async (id: string) => /wf-phase-(\w+)/.exec((await drawn(id).getAttribute("class")) ?? "")?.[1] ?? "none";
    // The children of n1 and n2 are asked for by the graph itself (the node list has none open),
    // each list on its own: the colours fill in as the answers arrive.
    const ids = ["n0", "n1", "n1/n1-n1-then", "n1/n1-n1-else", "n2", "n2/s0", "n2/s1"];
    const phases = async () => Object.fromEntries(await Promise.all(ids.map(async (id) => [id, await phaseOf(id)] as const)));
    await expect.poll(phases, { timeout: 15_000 }).toEqual({
      n0: "succeeded",
      n1: "succeeded",
      "n1/n1-n1-then": "succeeded",
      // The case not taken never ran.
      "n1/n1-n1-else": "none",
      n2: "running",
      "n2/s0": "succeeded",
      "n2/s1": "running",
    });
    expect(await drawn("n2/s0").innerText()).toContain("Succeeded");

    // A nested node opens its own execution's details.
    // The running execution is polled and the graph redrawn meanwhile: a click that lands during a
    // redraw is lost, so it is given again until the panel shows (as a user would click again).
    await expect
      .poll(
        async () => {
          if ((await page.locator(".node-panel").count()) === 0) await drawn("n2/s0").click({ timeout: 2_000 }).catch(() => undefined);
          return page.locator(".node-panel").innerText({ timeout: 2_000 }).catch(() => "");
        },
        { timeout: 30_000 },
      )
      .toContain("n2-0-s0");
    expect(new URL(page.url()).searchParams.get("node")).toBe("n2-0-s0");
    await screenshot(page, "execution graph nested");
    expect(problems).toEqual({ failedRequests: [], consoleErrors: [] });
    await page.close();
  });

  it("lists a map task's items with phase, attempt and logs, filtered by phase", async () => {
    const { page, problems } = await browser.newPage();
    await page.goto(`${server.url}/console/projects/${PROJECT}/domains/${DOMAIN}/executions/${mapped.name}?node=m0`);
    const items = page.getByRole("region", { name: "Map items" });
    const rows = items.locator("tbody tr");
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(4);
    expect(await items.innerText()).toContain("2 succeeded, 1 failed, 1 running");
    const row = (i: number) => items.locator(`tbody tr[data-index="${i}"]`);
    expect(await row(1).innerText()).toMatch(/1\s+Failed\s+2\s+Item 1 retry log/);
    expect(await row(1).getByRole("link", { name: "Item 1 retry log" }).getAttribute("href")).toBe("https://logs.example/1/1/Item%201%20retry%20log");
    // The first attempt's log is kept, folded under the item.
    await row(1).getByText("Earlier attempts (1)").click();
    await expect(row(1).getByRole("link", { name: "Item 1 first log" }).isVisible()).resolves.toBe(true);
    expect(await row(2).innerText()).toMatch(/2\s+Succeeded\s+1\s+none/);

    await items.getByLabel("Show items in phase").selectOption("Succeeded");
    await expect.poll(() => items.locator("tbody tr td:first-child").allInnerTexts()).toEqual(["0", "2"]);
    await screenshot(page, "execution map items");
    expect(problems).toEqual({ failedRequests: [], consoleErrors: [] });
    await page.close();
  });

  it("gives a gate's dataclass signal field by field, and the server stores it", async () => {
    const { page, problems } = await browser.newPage();
    await page.goto(`${server.url}/console/projects/${PROJECT}/domains/${DOMAIN}/executions/${gated.name}?node=g0`);
    const gate = page.getByRole("region", { name: "Gate" });
    const sub = (name: string) => gate.locator(".sub-field", { has: page.locator(".field-name", { hasText: new RegExp(`^${name}$`) }) }).locator("input, textarea").first();
    await sub("count").waitFor({ timeout: 15_000 });
    // A required field left empty is named, and nothing is sent.
    await gate.getByRole("button", { name: "Send" }).click();
    await expect.poll(() => gate.locator(".field-error").innerText()).toBe("count: A value is required");
    await sub("count").fill("3");
    await sub("label").fill("go");
    await sub("tags").fill('["a", "b"]');
    await screenshot(page, "gate dataclass signal");
    await gate.getByRole("button", { name: "Send" }).click();
    const given = async () => {
      const list = await signals.listSignals({ workflowExecutionId: gated, limit: 10 });
      const value = list.signals[0]?.value;
      return value ? toJson(LiteralSchema, value) : undefined;
    };
    await expect.poll(given, { timeout: 15_000 }).toEqual({ scalar: { generic: { count: 3, label: "go", tags: ["a", "b"] } } });
    await expect.poll(() => page.locator(".node-panel").innerText()).toContain("has been given");
    expect(problems).toEqual({ failedRequests: [], consoleErrors: [] });
    await page.close();
  });
});
