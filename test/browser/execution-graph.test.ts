import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ParameterMapSchema } from "../../gen/flyteidl/core/interface_pb.js";
import { NodeExecution_Phase as NodePhase, WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import type { RunningServer } from "../../src/server.js";
import { DOMAIN, intValue, launchPlanId, PROJECT, T } from "../fixtures/flyte-builders.js";
import { ensureConsoleBuilt } from "./console-build.js";
import { registerControlFlow } from "./console-seed.js";
import { browserServer, describeBrowser, launchBrowser, screenshot, type Browser } from "./harness.js";

/**
 * The execution page's graph for a workflow with a branch and a sub-workflow, its nodes moved by
 * the events flytepropeller reports (children named `<parent>-<attempt>-<node>`): boxes drawn
 * as on the workflow page, each node coloured by its own execution's phase.
 */
describeBrowser("console: execution graph with sub-workflows and branches", { timeout: 120_000 }, () => {
  let server: RunningServer;
  let browser: Browser;
  let admin: Client<typeof AdminService>;
  const exec = { project: PROJECT, domain: DOMAIN, name: "nested-1" };

  beforeAll(async () => {
    [server] = await Promise.all([browserServer(), ensureConsoleBuilt()]);
    admin = createClient(AdminService, createGrpcTransport({ baseUrl: server.url }));
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
    browser = await launchBrowser();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("draws the branch and sub-workflow as boxes and colours every node by its phase", async () => {
    const { page, problems } = await browser.newPage();
    await page.goto(`${server.url}/console/projects/${PROJECT}/domains/${DOMAIN}/executions/${exec.name}?tab=graph`);
    const drawn = (id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);
    const phaseOf = async (id: string) => /wf-phase-(\w+)/.exec((await drawn(id).getAttribute("class")) ?? "")?.[1] ?? "none";
    // The children of n1 and n2 are asked for by the graph itself (the node list has none open).
    await expect.poll(() => phaseOf("n2/s1"), { timeout: 15_000 }).toBe("running");
    expect(await phaseOf("n0")).toBe("succeeded");
    expect(await phaseOf("n1")).toBe("succeeded");
    expect(await phaseOf("n1/n1-n1-then")).toBe("succeeded");
    // The case not taken never ran.
    expect(await phaseOf("n1/n1-n1-else")).toBe("none");
    expect(await phaseOf("n2")).toBe("running");
    expect(await phaseOf("n2/s0")).toBe("succeeded");
    expect(await drawn("n2/s0").innerText()).toContain("Succeeded");

    // A nested node opens its own execution's details.
    await drawn("n2/s0").click();
    await expect.poll(() => page.locator(".node-panel").innerText()).toContain("n2-0-s0");
    expect(new URL(page.url()).searchParams.get("node")).toBe("n2-0-s0");
    await screenshot(page, "execution graph nested");
    expect(problems).toEqual({ failedRequests: [], consoleErrors: [] });
    await page.close();
  });
});
