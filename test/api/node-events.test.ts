import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EventFailureReasonSchema } from "../../gen/flyteidl/admin/event_pb.js";
import { NodeExecution_Phase as NodePhase, WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.js";
import { SignalService } from "../../gen/flyteidl/service/signal_pb.js";
import type { App } from "../../src/app.js";
import { inMemoryAdmin } from "../helpers/app.js";
import { failure } from "../helpers/rpc-failure.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";

type Admin = Awaited<ReturnType<typeof inMemoryAdmin>>["admin"];

const P = "flytesnacks";
const D = "development";
const exec = { project: P, domain: D, name: "e1" };
const t0 = Date.parse("2026-02-01T00:00:00Z");
const at = (s: number) => timestampFromDate(new Date(t0 + s * 1000));
let app: App;
let admin: Admin;

beforeEach(async () => {
  ({ app, admin } = await inMemoryAdmin());
  await admin.registerProject({ project: { id: P, name: P } });
  const pkg = loadFlytekitPackage("hello", P, D, "v1");
  await registerPackage(admin, pkg);
  await admin.createExecution({ ...exec, spec: { launchPlan: pkg.launchPlans[0]!.id }, inputs: {} });
});
afterEach(() => app.close());

const node = (nodeId: string, phase: NodePhase, s: number, extra: Record<string, unknown> = {}) =>
  admin.createNodeEvent({ event: { id: { nodeId, executionId: exec }, phase, occurredAt: at(s), producerId: "propeller", specNodeId: nodeId, ...extra } });

describe("node events and reads", () => {
  it("play back a workflow's nodes and read them as the console does", async () => {
    await admin.createWorkflowEvent({ event: { executionId: exec, phase: Phase.RUNNING, occurredAt: at(0), producerId: "propeller" } });
    await node("start-node", NodePhase.SUCCEEDED, 1);
    await node("n0", NodePhase.QUEUED, 2, { inputValue: { case: "inputData", value: create(LiteralMapSchema) } });
    await node("n0", NodePhase.RUNNING, 3);
    expect(await failure(node("n0", NodePhase.RUNNING, 4))).toMatchObject({ code: "AlreadyExists" });
    const outputs = create(LiteralMapSchema, { literals: { o0: { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value: "hello world" } } } } } } } });
    await node("n0", NodePhase.SUCCEEDED, 13, { outputResult: { case: "outputData", value: outputs } });
    await node("end-node", NodePhase.SUCCEEDED, 14);
    const late = await failure(node("n0", NodePhase.RUNNING, 15));
    expect(late.code).toBe("FailedPrecondition");
    expect(late.err.findDetails(EventFailureReasonSchema)[0]?.reason.case).toBe("alreadyInTerminalState");

    const list = await admin.listNodeExecutions({ workflowExecutionId: exec, limit: 10 });
    expect(list.nodeExecutions.map((n) => [n.id?.nodeId, n.closure?.phase])).toEqual([
      ["start-node", NodePhase.SUCCEEDED],
      ["n0", NodePhase.SUCCEEDED],
      ["end-node", NodePhase.SUCCEEDED],
    ]);
    const n0 = await admin.getNodeExecution({ id: { nodeId: "n0", executionId: exec } });
    expect(n0.closure?.duration?.seconds).toBe(10n);
    expect(n0.closure?.createdAt).toEqual(at(2));
    expect(n0.metadata?.specNodeId).toBe("n0");
    const data = await admin.getNodeExecutionData({ id: { nodeId: "n0", executionId: exec } });
    expect(data.fullOutputs?.literals.o0).toBeDefined();
    expect(data.flyteUrls?.outputs).toBe(`flyte://v1/${P}/${D}/e1/n0/o`);
  });

  it("keep children under their parent", async () => {
    await node("n1", NodePhase.RUNNING, 1, { isParent: true });
    await node("n1-0-a", NodePhase.RUNNING, 2, { parentNodeMetadata: { nodeId: "n1" } });
    expect((await admin.listNodeExecutions({ workflowExecutionId: exec, limit: 10 })).nodeExecutions.map((n) => n.id?.nodeId)).toEqual(["n1"]);
    expect((await admin.listNodeExecutions({ workflowExecutionId: exec, limit: 10, uniqueParentId: "n1" })).nodeExecutions.map((n) => n.id?.nodeId)).toEqual(["n1-0-a"]);
    expect((await admin.getNodeExecution({ id: { nodeId: "n1", executionId: exec } })).metadata?.isParentNode).toBe(true);
    expect((await failure(node("orphan", NodePhase.RUNNING, 3, { parentNodeMetadata: { nodeId: "nope" } }))).code).toBe("NotFound");
    expect((await failure(admin.listNodeExecutions({ workflowExecutionId: exec, limit: 10, uniqueParentId: "nope" }))).code).toBe("NotFound");
  });

  it("refuse events for unknown executions and foreign clusters", async () => {
    expect((await failure(admin.createNodeEvent({ event: { id: { nodeId: "n0", executionId: { ...exec, name: "nope" } }, phase: NodePhase.RUNNING, occurredAt: at(0) } }))).code).toBe("NotFound");
    const foreign = await failure(admin.createNodeEvent({ event: { id: { nodeId: "n0", executionId: exec }, phase: NodePhase.RUNNING, occurredAt: at(0), producerId: "c9" } }));
    expect(foreign.err.findDetails(EventFailureReasonSchema)[0]?.reason.case).toBe("incompatibleCluster");
    expect((await failure(admin.listNodeExecutions({ limit: 1 }))).message).toBe("missing execution_id");
  });
});

describe("signals for gate nodes", () => {
  it("are created, set and listed through the SignalService", async () => {
    const signals = createClient(SignalService, createRouterTransport(app.routes, { router: { interceptors: app.interceptors } }));
    const id = { executionId: exec, signalId: "approve" };
    const bool = { type: { case: "simple" as const, value: 4 } };
    // The gate node waits (propeller polls GetOrCreateSignal) until someone sets the signal.
    await node("gate", NodePhase.RUNNING, 1);
    await signals.getOrCreateSignal({ id, type: bool });
    expect((await signals.getOrCreateSignal({ id, type: bool })).value).toBeUndefined();
    expect((await signals.listSignals({ workflowExecutionId: exec, limit: 10 })).signals.map((s) => s.id?.signalId)).toEqual(["approve"]);
    await signals.setSignal({ id, value: { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "boolean", value: true } } } } } } });
    const got = await signals.getOrCreateSignal({ id, type: bool });
    expect(got.value?.value.case).toBe("scalar");
    await node("gate", NodePhase.SUCCEEDED, 5);
    expect((await admin.getNodeExecution({ id: { nodeId: "gate", executionId: exec } })).closure?.duration?.seconds).toBe(4n);
    expect((await failure(signals.setSignal({ id: { ...id, signalId: "nope" }, value: got.value }))).code).toBe("InvalidArgument");
  });
});
