import { afterEach, describe, expect, it } from "vitest";
import { TaskExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import type { TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import { promise, T, taskNode, workflow } from "../../fixtures/flyte-builders.js";
import { type Harness, intLiteral, launch, literals, registerTasks, registerWorkflow, startHarness, taskOfType, waitFor, waitForPhase } from "./harness.js";
import { createScriptedPlugin } from "./scripted-plugin.js";

let h: Harness | undefined;
afterEach(() => h?.close());

async function oneTaskWorkflow(name: string, t: TaskTemplate) {
  const wf = workflow(`wf.${name}`, { inputs: { x: T.int() }, nodes: [taskNode("n0", t, { inputs: { x: promise("", "x") } })] });
  await registerTasks(h!.admin, t);
  await registerWorkflow(h!.admin, wf);
  return wf;
}

const waitingForSlot = (name: string) =>
  h!.events.some((r) => r.kind === "task" && r.event.parentNodeExecutionId?.executionId?.name === name && r.event.phase === TaskExecution_Phase.QUEUED && r.event.reason === "waiting for a free local slot");

/**
 * An eager task waits for the executions it launches, whose tasks need slots of their own:
 * it holds none, so eager tasks can never take every slot and starve their own children.
 */
describe("global CPU slots and eager tasks (engine-spec §6.4 [LOCAL])", () => {
  it("an eager task holds no slot: with one slot, another execution's task runs while it is running", async () => {
    const plugin = createScriptedPlugin();
    h = await startHarness({ plugins: [plugin], config: { maxConcurrentTasks: 1 } });
    const eagerTask = taskOfType("scripted", "wf.eager", { x: T.int() }, { o0: T.int() }, { config: { script: "hang" } });
    eagerTask.metadata!.isEager = true;
    const child = taskOfType("scripted", "wf.child", { x: T.int() }, { o0: T.int() }, { config: { script: "success" } });
    const eagerWf = await oneTaskWorkflow("eager", eagerTask);
    const childWf = await oneTaskWorkflow("child", child);

    const parent = await launch(h.admin, eagerWf.id!, "eagerparent", literals({ x: intLiteral(1) }));
    await waitFor("the eager task to run", () => plugin.started.length === 1 || undefined);
    const id = await launch(h.admin, childWf.id!, "eagerchild", literals({ x: intLiteral(2) }));
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    expect(waitingForSlot("eagerchild")).toBe(false);
    expect((await h.admin.getExecution({ id: parent })).closure?.phase).toBe(2 /* RUNNING */);
    await h.admin.terminateExecution({ id: parent, cause: "done" });
    await waitForPhase(h.admin, parent, ["ABORTED"]);
  });

  it("a task that is not eager holds its slot: the other execution's task waits for it", async () => {
    const plugin = createScriptedPlugin();
    h = await startHarness({ plugins: [plugin], config: { maxConcurrentTasks: 1 } });
    const busy = taskOfType("scripted", "wf.busy", { x: T.int() }, { o0: T.int() }, { config: { script: "hang" } });
    const child = taskOfType("scripted", "wf.child", { x: T.int() }, { o0: T.int() }, { config: { script: "success" } });
    const busyWf = await oneTaskWorkflow("busy", busy);
    const childWf = await oneTaskWorkflow("child", child);

    const first = await launch(h.admin, busyWf.id!, "busyfirst", literals({ x: intLiteral(1) }));
    await waitFor("the first task to run", () => plugin.started.length === 1 || undefined);
    const id = await launch(h.admin, childWf.id!, "busysecond", literals({ x: intLiteral(2) }));
    await waitFor("the second task to wait for a slot", () => waitingForSlot("busysecond") || undefined);
    await h.admin.terminateExecution({ id: first, cause: "make room" });
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
  });
});
