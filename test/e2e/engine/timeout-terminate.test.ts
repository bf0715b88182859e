import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkflowExecutionIdentifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import {
  ExecutionError_ErrorKind as ErrorKind,
  NodeExecution_Phase as NodePhase,
  TaskExecution_Phase as TaskPhase,
  WorkflowExecution_Phase as WfPhase,
} from "../../../gen/flyteidl/core/execution_pb.js";
import { type EngineServer, registerEngineWorkflows, startEngineServer } from "../../fixtures/engine/engine-server.js";
import { errorOf, execError, launch, lit, nodeOf, nodesById, taskAttempts, waitForTerminal, waitUntil } from "../../fixtures/engine/executions.js";
import { findFlytekit, SKIP_MESSAGE } from "../../fixtures/engine/flytekit-kit.js";
import { expectNoLeftovers, expectNoRefusedEvents, expectTaskNodeOrder, killLeftoverTasks, workflowEventPhases } from "../../fixtures/engine/invariants.js";
import { processAlive, readMarks } from "../../fixtures/engine/marks.js";

/**
 * engine-spec §10 scenarios 9 (task timeout, with and without a retry) and 10
 * (TerminateExecution while a task sleeps). Launched together up front; the
 * engine has a slot for each so no attempt waits for another.
 */
const kit = findFlytekit();
const VERSION = "v1";
let h: EngineServer;
const ids: Record<string, WorkflowExecutionIdentifier> = {};

describe.skipIf(!kit)(`local engine: timeouts and terminate ${kit ? "" : SKIP_MESSAGE}`, () => {
  beforeAll(async () => {
    h = await startEngineServer(kit!, { taskSlots: 3, gracePeriodMs: 3000 });
    await registerEngineWorkflows(kit!, h, VERSION, ["failures", "long"]);
    ids.terminate = await launch(h, "long.long_wf", { version: VERSION, inputs: { secs: lit.int(60) } });
    ids.timeout = await launch(h, "failures.timeout_wf", { version: VERSION });
    ids.timeoutRetry = await launch(h, "failures.timeout_retry_wf", { version: VERSION });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    if (h) killLeftoverTasks(h);
    if (h && !process.env.E2E_KEEP) h.remove();
  });

  it("TerminateExecution kills the sleeping task; task, node and execution end ABORTED; a second terminate is FailedPrecondition (scenario 10)", async () => {
    const id = ids.terminate!;
    const [mark] = await waitUntil("the long task to start", () => {
      const marks = readMarks(h.markDir, id.name);
      return marks.length > 0 && marks;
    });
    await waitUntil("the attempt to be RUNNING", async () => (await taskAttempts(h.admin, id, "n0"))[0]?.closure?.phase === TaskPhase.RUNNING);
    await h.admin.terminateExecution({ id, cause: "stopped by the e2e test" });
    const exec = await waitForTerminal(h.admin, id, 60_000);
    expect(exec.closure?.phase).toBe(WfPhase.ABORTED);
    expect(exec.closure?.outputResult.case).toBe("abortMetadata");
    expect(exec.closure?.outputResult.case === "abortMetadata" && exec.closure.outputResult.value.cause).toBe("stopped by the e2e test");
    expect(workflowEventPhases(h, id.name)).toEqual(["RUNNING", "ABORTED"]);

    const node = (await nodesById(h.admin, id)).n0!;
    expect(node.closure?.phase).toBe(NodePhase.ABORTED);
    expect(errorOf(node)).toMatchObject({ code: "NodeAborted", message: "Workflow aborted." });
    const attempts = await taskAttempts(h.admin, id, "n0");
    expect(attempts.map((t) => t.closure?.phase)).toEqual([TaskPhase.ABORTED]);
    expectTaskNodeOrder(node, attempts);
    // The process group got SIGTERM and is gone; the task never reached its end.
    await expectNoLeftovers(h, id.name);
    expect(processAlive(mark!.pid)).toBe(false);
    expect(readMarks(h.markDir, id.name)[0]!.end).toBeNull();

    const again = await h.admin.terminateExecution({ id, cause: "again" }).catch((e: unknown) => ConnectError.from(e));
    expect(again).toBeInstanceOf(ConnectError);
    expect((again as ConnectError).code).toBe(Code.FailedPrecondition);
    // The first cause is kept.
    const after = await h.admin.getExecution({ id });
    expect(after.closure?.outputResult.case === "abortMetadata" && after.closure.outputResult.value.cause).toBe("stopped by the e2e test");
  }, 90_000);

  it("timeout=2s with retries=0: the attempt is aborted and the node fails RetriesExhausted|TimeoutExpired (scenario 9)", async () => {
    const id = ids.timeout!;
    const exec = await waitForTerminal(h.admin, id, 60_000);
    expect(exec.closure?.phase).toBe(WfPhase.FAILED);
    const attempts = await taskAttempts(h.admin, id, "n0");
    expect(attempts.map((t) => t.closure?.phase)).toEqual([TaskPhase.ABORTED]);
    const node = (await nodesById(h.admin, id)).n0!;
    expect(node.closure?.phase).toBe(NodePhase.FAILED);
    expect(errorOf(node)?.code).toBe("RetriesExhausted|TimeoutExpired");
    expect(errorOf(node)?.kind).toBe(ErrorKind.USER);
    expect(errorOf(node)?.message).toMatch(/^\[1\/1\] currentAttempt done\. Last Error: USER::task execution timeout \[2s\] expired/);
    expect(execError(exec)?.code).toBe("RetriesExhausted|TimeoutExpired");
    // The node fails at the deadline and aborts the attempt in its next step (propeller's Failing phase).
    expectTaskNodeOrder(node, attempts, { abortedAfterNode: true });
    // flytekit may not even have finished importing in 2 s; whatever started never finished.
    const marks = await expectNoLeftovers(h, id.name);
    expect(marks.filter((m) => m.end !== null)).toEqual([]);
  }, 90_000);

  it("timeout=2s with retries=1: a second attempt starts; the node's active deadline (2 x timeout) ends it TIMED_OUT (scenario 9)", async () => {
    const id = ids.timeoutRetry!;
    const exec = await waitForTerminal(h.admin, id, 60_000);
    expect(exec.closure?.phase).toBe(WfPhase.FAILED);
    const attempts = await taskAttempts(h.admin, id, "n0");
    expect(attempts.map((t) => [t.id?.retryAttempt, t.closure?.phase])).toEqual([
      [0, TaskPhase.ABORTED],
      [1, TaskPhase.ABORTED],
    ]);
    // Attempt 1 starts after the first 2 s, so the node's active deadline (4 s from queued, which the
    // compiler sets to twice the timeout) passes before attempt 1's own 2 s: propeller reports the node
    // TIMED_OUT, with no error of its own, and fails the workflow with "Timeout in node".
    const node = await nodeOf(h.admin, id, "n0");
    expect(node.closure?.phase).toBe(NodePhase.TIMED_OUT);
    expect(execError(exec)).toMatchObject({ code: "Timeout", message: "Timeout in node", kind: ErrorKind.USER });
    expect(workflowEventPhases(h, id.name)).toEqual(["RUNNING", "FAILING", "FAILED"]);
    expectTaskNodeOrder(node, attempts, { abortedAfterNode: true });
    const marks = await expectNoLeftovers(h, id.name);
    expect(marks.filter((m) => m.end !== null)).toEqual([]);
    await expectNoRefusedEvents(h);
  }, 90_000);
});
