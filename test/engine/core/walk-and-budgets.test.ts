// The walk's limits (max_parallelism next to CPU slots, layered DAGs) and the
// budget of failed rounds after which an execution is failed.
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { afterEach, describe, expect, it } from "vitest";
import { ExecutionError_ErrorKind as Kind, NodeExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import { NodeExecutionEventSchema } from "../../../gen/flyteidl/event/event_pb.js";
import { createAdminEventSink } from "../../../src/engine/local/admin-sink.js";
import type { Node } from "../../../gen/flyteidl/core/workflow_pb.js";
import { promise, T, taskNode, workflow } from "../../fixtures/flyte-builders.js";
import { eventLines, type Harness, intLiteral, launch, literals, registerTasks, registerWorkflow, startHarness, taskOfType, waitForPhase } from "./harness.js";
import { createScriptedPlugin } from "./scripted-plugin.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const scripted = (name: string, script: string) => taskOfType("scripted", `wf.${name}`, { x: T.int() }, { o0: T.int() }, { config: { script } });

describe("max_parallelism next to CPU slots", () => {
  it("keeps handling a node that holds a slot while waiting nodes fill max_parallelism", async () => {
    const plugin = createScriptedPlugin();
    h = await startHarness({ plugins: [plugin], config: { maxConcurrentTasks: 1 } });
    const short = scripted("short", "success:5");
    const long = scripted("long", "success:300");
    const nodes: Node[] = [taskNode("n0", short, { inputs: { x: promise("", "x") } }), taskNode("n1", long, { inputs: { x: promise("", "x") } })];
    for (let i = 0; i < 25; i++) nodes.push(taskNode(`w${i}`, short, { inputs: { x: promise("n0", "o0") } }));
    const wf = workflow("wf.slotlock", { inputs: { x: T.int() }, nodes });
    await registerTasks(h.admin, short, long);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "slotlock", literals({ x: intLiteral(1) }), { maxParallelism: 25 });
    await waitForPhase(h.admin, id, ["SUCCEEDED"], 60_000);
    expect(plugin.started).toHaveLength(27);
    expect(plugin.maxRunning).toBe(1);
  });
});

describe("the walk", () => {
  it("walks a layered, fully connected DAG of 60 nodes once per round (no walk per path)", async () => {
    const plugin = createScriptedPlugin();
    h = await startHarness({ plugins: [plugin] });
    const t = scripted("layer", "success");
    const width = 10;
    const nodes: Node[] = [];
    for (let layer = 0; layer < 6; layer++) {
      for (let i = 0; i < width; i++) {
        const upstream = layer === 0 ? [] : Array.from({ length: width }, (_, j) => `l${layer - 1}n${j}`);
        const x = layer === 0 ? promise("", "x") : promise(`l${layer - 1}n${i}`, "o0");
        nodes.push(taskNode(`l${layer}n${i}`, t, { inputs: { x }, upstream }));
      }
    }
    const wf = workflow("wf.layers", { inputs: { x: T.int() }, nodes });
    await registerTasks(h.admin, t);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "layers", literals({ x: intLiteral(1) }));
    // Walking once per path would be 10^6 visits per round: this would never finish.
    await waitForPhase(h.admin, id, ["SUCCEEDED"], 60_000);
    expect(plugin.started).toHaveLength(60);
  });
});

describe("failed rounds", () => {
  it("fails the execution after 10 failed rounds in a row, aborting the running attempt first", async () => {
    const plugin = createScriptedPlugin();
    h = await startHarness({ plugins: [plugin], config: { retryBaseMs: 1 } });
    const t = scripted("broken", "throw");
    const wf = workflow("wf.broken", { inputs: { x: T.int() }, nodes: [taskNode("n0", t, { inputs: { x: promise("", "x") } })] });
    await registerTasks(h.admin, t);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "broken", literals({ x: intLiteral(1) }));
    const e = await waitForPhase(h.admin, id, ["FAILED"], 60_000);
    expect(e.closure?.outputResult.value).toMatchObject({ kind: Kind.SYSTEM, code: "Workflow abort failed" });
    const message = (e.closure?.outputResult.value as { message: string }).message;
    expect(message).toContain("max number of system retry attempts [11/10] exhausted. Last known status message: the plugin is broken");
    expect(plugin.aborted).toEqual([plugin.started[0]]);
    expect(plugin.running).toBe(0);
    const lines = eventLines(h.events, "broken");
    expect(lines).toContain("N n0 ABORTED");
    expect(lines.at(-1)).toBe("WF FAILED");
  });
});

describe("state mismatch", () => {
  it("stops locally and reports the execution FAILED when the control plane has a node terminal already", async () => {
    const plugin = createScriptedPlugin();
    h = await startHarness({ plugins: [plugin] });
    const slow = scripted("first", "success:800");
    const next = scripted("second", "success:5");
    const wf = workflow("wf.mismatch", {
      inputs: { x: T.int() },
      nodes: [taskNode("n0", slow, { inputs: { x: promise("", "x") } }), taskNode("n1", next, { inputs: { x: promise("n0", "o0") } })],
    });
    await registerTasks(h.admin, slow, next);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "mismatch", literals({ x: intLiteral(1) }));
    await waitForPhase(h.admin, id, ["RUNNING"]);
    // Someone else ends n1 at the control plane before the engine gets to it.
    const sink = createAdminEventSink({ store: h.store, blobs: h.blobs, limits: { maxWorkflowNodes: 1000, maxPageSize: 100 } });
    await sink.node(create(NodeExecutionEventSchema, {
      id: { executionId: id, nodeId: "n1" },
      producerId: "local",
      phase: NodeExecution_Phase.FAILED,
      occurredAt: timestampNow(),
      inputValue: { case: "inputUri", value: "" },
      outputResult: { case: "error", value: { code: "Elsewhere", message: "ended elsewhere", kind: Kind.USER } },
    }));
    const e = await waitForPhase(h.admin, id, ["FAILED"]);
    expect(e.closure?.outputResult.value).toMatchObject({ kind: Kind.SYSTEM, code: "StateMismatch" });
    expect(eventLines(h.events, "mismatch").slice(-2)).toEqual(["N n1 QUEUED !AlreadyInTerminalState", "WF FAILED"]);
  });
});
