import { Code, ConnectError, type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ExecutionError_ErrorKind as ErrorKind,
  NodeExecution_Phase as NodePhase,
  WorkflowExecution_Phase as WfPhase,
} from "../../../gen/flyteidl/core/execution_pb.js";
import type { WorkflowExecutionIdentifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import type { Literal } from "../../../gen/flyteidl/core/literals_pb.js";
import { SignalService } from "../../../gen/flyteidl/service/signal_pb.js";
import { type EngineServer, registerEngineWorkflows, startEngineServer } from "../../fixtures/engine/engine-server.js";
import { errorOf, execError, launch, lit, ms, nodesById, outputsOf, primitive, taskAttempts, waitForTerminal, waitUntil } from "../../fixtures/engine/executions.js";
import { findFlytekit, SKIP_MESSAGE } from "../../fixtures/engine/flytekit-kit.js";
import { expectNoLeftovers, expectNoRefusedEvents, killLeftoverTasks, workflowEventPhases } from "../../fixtures/engine/invariants.js";

/**
 * engine-spec §10 scenario 15 with flytekit's own gates (engine_e2e/gates.py):
 * wait_for_input released by SetSignal over gRPC, approve answered over gRPC
 * and over FlyteAdmin's REST mapping (as flytectl and the console do), a
 * sleep, and a gate that times out. All launched up front.
 */
const kit = findFlytekit();
const VERSION = "v1";
let h: EngineServer;
let signals: Client<typeof SignalService>;
const ids: Record<string, WorkflowExecutionIdentifier> = {};

/** Waits until the gate node is RUNNING (its signal exists then) and returns the node. */
const gateWaiting = (id: WorkflowExecutionIdentifier, nodeId: string) =>
  waitUntil(`${id.name}/${nodeId} to wait`, async () => {
    const node = (await nodesById(h.admin, id))[nodeId];
    return node?.closure?.phase === NodePhase.RUNNING ? node : undefined;
  });

const setSignal = (id: WorkflowExecutionIdentifier, signalId: string, value: Literal) => signals.setSignal({ id: { executionId: id, signalId }, value });

describe.skipIf(!kit)(`local engine: gate nodes ${kit ? "" : SKIP_MESSAGE}`, () => {
  beforeAll(async () => {
    h = await startEngineServer(kit!, { taskSlots: 3 });
    signals = createClient(SignalService, createGrpcTransport({ baseUrl: h.server.url }));
    await registerEngineWorkflows(kit!, h, VERSION, ["gates"]);
    ids.title = await launch(h, "gates.title_wf", { version: VERSION });
    ids.approved = await launch(h, "gates.approve_wf", { version: VERSION, inputs: { x: lit.int(21) } });
    ids.rejected = await launch(h, "gates.approve_wf", { version: VERSION, inputs: { x: lit.int(5) } });
    ids.sleep = await launch(h, "gates.sleep_wf", { version: VERSION });
    ids.late = await launch(h, "gates.late_wf", { version: VERSION });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    if (h) killLeftoverTasks(h);
    if (h && !process.env.E2E_KEEP) h.remove();
  });

  it("wait_for_input: the execution waits at `title` until SetSignal gives it a value, which the next task gets", async () => {
    const id = ids.title!;
    await gateWaiting(id, "n0");
    const listed = await signals.listSignals({ workflowExecutionId: id, limit: 10 });
    expect(listed.signals.map((s) => s.id?.signalId)).toEqual(["title"]);
    expect(listed.signals[0]?.value).toBeUndefined();
    expect((await h.admin.getExecution({ id })).closure?.phase).toBe(WfPhase.RUNNING);

    // The wrong type is refused as FlyteAdmin refuses it; the gate keeps waiting.
    const wrong = await setSignal(id, "title", lit.int(1)).catch((e: unknown) => ConnectError.from(e));
    expect(wrong).toBeInstanceOf(ConnectError);
    expect((wrong as ConnectError).code).toBe(Code.InvalidArgument);
    expect((await nodesById(h.admin, id)).n0?.closure?.phase).toBe(NodePhase.RUNNING);

    await setSignal(id, "title", lit.str("hi"));
    const exec = await waitForTerminal(h.admin, id, 60_000);
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(primitive((await outputsOf(h.admin, id)).o0)).toBe("HI!");
    const nodes = await nodesById(h.admin, id);
    expect(nodes.n0?.closure?.phase).toBe(NodePhase.SUCCEEDED);
    expect(nodes.n0?.metadata?.specNodeId).toBe("n0");
    const gateData = await h.admin.getNodeExecutionData({ id: { executionId: id, nodeId: "n0" } });
    expect(primitive(gateData.fullOutputs?.literals.o0)).toBe("hi");
    // A gate runs no task.
    expect(await taskAttempts(h.admin, id, "n0")).toEqual([]);
    expect(workflowEventPhases(h, id.name) ?? ["RUNNING", "SUCCEEDING", "SUCCEEDED"]).toEqual(["RUNNING", "SUCCEEDING", "SUCCEEDED"]);

    // Setting it again is accepted (FlyteAdmin overwrites) and changes nothing that ran.
    await setSignal(id, "title", lit.str("again"));
    expect((await h.admin.getExecution({ id })).closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(primitive((await outputsOf(h.admin, id)).o0)).toBe("HI!");
  }, 90_000);

  it("approve true over REST (POST /api/v1/signals) passes the task's value on", async () => {
    const id = ids.approved!;
    await gateWaiting(id, "n1");
    const listed = await signals.listSignals({ workflowExecutionId: id, limit: 10 });
    expect(listed.signals.map((s) => s.id?.signalId)).toEqual(["review"]);
    const res = await fetch(`${h.server.url}/api/v1/signals`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        id: { execution_id: { project: id.project, domain: id.domain, name: id.name }, signal_id: "review" },
        value: { scalar: { primitive: { boolean: true } } },
      }),
    });
    expect(res.status).toBe(200);
    const exec = await waitForTerminal(h.admin, id, 60_000);
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(primitive((await outputsOf(h.admin, id)).o0)).toBe(42);
  }, 90_000);

  it("approve false fails the gate ReceivedRejectSignal, and the execution with it", async () => {
    const id = ids.rejected!;
    await gateWaiting(id, "n1");
    await setSignal(id, "review", lit.bool(false));
    const exec = await waitForTerminal(h.admin, id, 60_000);
    expect(exec.closure?.phase).toBe(WfPhase.FAILED);
    const rejected = { kind: ErrorKind.USER, code: "ReceivedRejectSignal", message: "received a reject signal to disapprove the node input values" };
    expect(execError(exec)).toMatchObject(rejected);
    const nodes = await nodesById(h.admin, id);
    expect(nodes.n0?.closure?.phase).toBe(NodePhase.SUCCEEDED);
    expect(nodes.n1?.closure?.phase).toBe(NodePhase.FAILED);
    expect(errorOf(nodes.n1!)).toMatchObject(rejected);
  }, 90_000);

  it("sleep(3 s) holds the next task back for at least its duration", async () => {
    const id = ids.sleep!;
    const exec = await waitForTerminal(h.admin, id, 60_000);
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(primitive((await outputsOf(h.admin, id)).o0)).toBe("awake");
    const nodes = await nodesById(h.admin, id);
    expect(nodes.n0?.closure?.phase).toBe(NodePhase.SUCCEEDED);
    // No outputs for a sleep.
    expect(nodes.n0?.closure?.outputResult.case).toBeUndefined();
    // created = the gate's QUEUED; the task is queued only once the gate succeeded.
    expect(ms(nodes.n1?.closure?.createdAt) - ms(nodes.n0?.closure?.createdAt)).toBeGreaterThanOrEqual(3000);
  }, 90_000);

  it("a gate past its timeout fails RetriesExhausted|TimeoutExpired", async () => {
    const id = ids.late!;
    const exec = await waitForTerminal(h.admin, id, 60_000);
    expect(exec.closure?.phase).toBe(WfPhase.FAILED);
    const expected = { kind: ErrorKind.USER, code: "RetriesExhausted|TimeoutExpired", message: "[1/1] currentAttempt done. Last Error: USER::task execution timeout [2s] expired" };
    expect(execError(exec)).toMatchObject(expected);
    const node = (await nodesById(h.admin, id)).n0!;
    expect(node.closure?.phase).toBe(NodePhase.FAILED);
    expect(errorOf(node)).toMatchObject(expected);
    // Its signal was created and never set.
    const listed = await signals.listSignals({ workflowExecutionId: id, limit: 10 });
    expect(listed.signals.map((s) => [s.id?.signalId, s.value])).toEqual([["never", undefined]]);
  }, 90_000);

  it("no event was refused and no task process is left", async () => {
    for (const id of Object.values(ids)) await waitForTerminal(h.admin, id, 60_000);
    for (const id of Object.values(ids)) await expectNoLeftovers(h, id.name);
    await expectNoRefusedEvents(h);
  }, 90_000);
});
