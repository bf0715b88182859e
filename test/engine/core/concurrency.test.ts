import { afterEach, describe, expect, it } from "vitest";
import { NodeExecution_Phase, TaskExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import type { Node } from "../../../gen/flyteidl/core/workflow_pb.js";
import { createEchoPlugin } from "../../../src/engine/local/echo-plugin.js";
import { promise, T, taskNode, workflow } from "../../fixtures/flyte-builders.js";
import { eventLines, type Harness, intLiteral, launch, literals, registerTasks, registerWorkflow, startHarness, taskOfType, waitForPhase } from "./harness.js";
import { createScriptedPlugin } from "./scripted-plugin.js";

let h: Harness | undefined;
afterEach(() => h?.close());

async function fanOut(name: string, width: number, script: string) {
  const t = taskOfType("scripted", `wf.${name}_t`, { x: T.int() }, { o0: T.int() }, { config: { script } });
  const nodes: Node[] = Array.from({ length: width }, (_, i) => taskNode(`n${i}`, t, { inputs: { x: promise("", "x") } }));
  const wf = workflow(`wf.${name}`, { inputs: { x: T.int() }, nodes });
  await registerTasks(h!.admin, t);
  await registerWorkflow(h!.admin, wf);
  return wf;
}

describe("max_parallelism (engine-spec §6.4)", () => {
  it("with max_parallelism 1 two independent tasks never overlap; the second waits unstarted", async () => {
    const plugin = createScriptedPlugin();
    h = await startHarness({ plugins: [plugin] });
    const wf = await fanOut("serial", 2, "success:100");
    const id = await launch(h.admin, wf.id!, "serial", literals({ x: intLiteral(1) }), { maxParallelism: 1 });
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    expect(plugin.maxRunning).toBe(1);
    const lines = eventLines(h.events, "serial").filter((l) => / n[01] /.test(l) || / n[01]#/.test(l));
    // The second node is not even queued until the first is done.
    const firstDone = Math.min(lines.indexOf("N n0 SUCCEEDED"), lines.indexOf("N n1 SUCCEEDED"));
    const secondQueued = Math.max(lines.indexOf("N n0 QUEUED"), lines.indexOf("N n1 QUEUED"));
    expect(secondQueued).toBeGreaterThan(firstDone);
  });

  it("with the default parallelism both run at once", async () => {
    const plugin = createScriptedPlugin();
    h = await startHarness({ plugins: [plugin] });
    const wf = await fanOut("parallel", 2, "success:300");
    const id = await launch(h.admin, wf.id!, "parallel", literals({ x: intLiteral(1) }));
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    expect(plugin.maxRunning).toBe(2);
  });
});

describe("global CPU slots (engine-spec §6.4 [LOCAL])", () => {
  it("runs 50 parallel tasks at most 2 at a time, all succeeding, the waiting ones QUEUED with a reason", async () => {
    const plugin = createScriptedPlugin();
    h = await startHarness({ plugins: [plugin], config: { maxConcurrentTasks: 2 } });
    const wf = await fanOut("slots", 50, "success:5");
    const id = await launch(h.admin, wf.id!, "slots", literals({ x: intLiteral(1) }));
    await waitForPhase(h.admin, id, ["SUCCEEDED"], 60_000);
    expect(plugin.maxRunning).toBe(2);
    expect(plugin.started).toHaveLength(50);
    const nodes = await h.admin.listNodeExecutions({ workflowExecutionId: id, limit: 100 });
    expect(nodes.nodeExecutions.filter((n) => n.closure?.phase === NodeExecution_Phase.SUCCEEDED)).toHaveLength(52);
    const waiting = h.events.filter((r) => r.kind === "task" && r.event.phase === TaskExecution_Phase.QUEUED && r.event.reason === "waiting for a free local slot");
    expect(waiting.length).toBeGreaterThan(0);
    expect(h.events.every((r) => !r.refused)).toBe(true);
  });

  it("counts a task's CPU request: a 2-CPU task runs alone on 2 slots", async () => {
    const plugin = createScriptedPlugin();
    h = await startHarness({ plugins: [plugin], config: { maxConcurrentTasks: 2 } });
    const big = taskOfType("scripted", "wf.big", { x: T.int() }, { o0: T.int() }, { config: { script: "success:100" } });
    if (big.target.case === "container") big.target.value.resources = { $typeName: "flyteidl.core.Resources", requests: [{ $typeName: "flyteidl.core.Resources.ResourceEntry", name: 1, value: "2" }], limits: [] };
    const small = taskOfType("scripted", "wf.small", { x: T.int() }, { o0: T.int() }, { config: { script: "success:100" } });
    const wf = workflow("wf.cpus", {
      inputs: { x: T.int() },
      nodes: [taskNode("n0", big, { inputs: { x: promise("", "x") } }), taskNode("n1", small, { inputs: { x: promise("", "x") } }), taskNode("n2", small, { inputs: { x: promise("", "x") } })],
    });
    await registerTasks(h.admin, big, small);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "cpus", literals({ x: intLiteral(1) }));
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    // The 2-CPU attempt never shares the two slots; the two small ones may run together.
    expect(plugin.maxRunning).toBeLessThanOrEqual(2);
    expect(plugin.started).toHaveLength(3);
  });
});

describe("several executions", () => {
  it("runs two executions of one workflow at once, each with its own data", async () => {
    h = await startHarness({ plugins: [createEchoPlugin()] });
    const t = taskOfType("echo", "wf.e", { x: T.int() }, { o0: T.int() }, { config: { sleep_ms: "50" } });
    const wf = workflow("wf.twice", {
      inputs: { x: T.int() },
      outputs: { o0: T.int() },
      nodes: [taskNode("n0", t, { inputs: { x: promise("", "x") } }), taskNode("n1", t, { inputs: { x: promise("n0", "o0") } })],
      outputBindings: { o0: promise("n1", "o0") },
    });
    await registerTasks(h.admin, t);
    await registerWorkflow(h.admin, wf);
    const a = await launch(h.admin, wf.id!, "first", literals({ x: intLiteral(1) }));
    const b = await launch(h.admin, wf.id!, "second", literals({ x: intLiteral(2) }));
    await waitForPhase(h.admin, a, ["SUCCEEDED"]);
    await waitForPhase(h.admin, b, ["SUCCEEDED"]);
    expect((await h.admin.getExecutionData({ id: a })).fullOutputs?.literals.o0).toEqual(intLiteral(1));
    expect((await h.admin.getExecutionData({ id: b })).fullOutputs?.literals.o0).toEqual(intLiteral(2));
    expect(eventLines(h.events, "first")).toEqual(eventLines(h.events, "second"));
  });
});
