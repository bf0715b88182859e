import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EventFailureReasonSchema } from "../../gen/flyteidl/admin/event_pb.js";
import { WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.js";
import type { App } from "../../src/app.js";
import { inMemoryAdmin } from "../helpers/app.js";
import { failure } from "../helpers/rpc-failure.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";

type Admin = Awaited<ReturnType<typeof inMemoryAdmin>>["admin"];

const P = "flytesnacks";
const D = "development";
let app: App;
let admin: Admin;
let clock = Date.parse("2026-01-01T00:00:00Z");
const at = (seconds: number) => timestampFromDate(new Date(clock + seconds * 1000));

beforeEach(async () => {
  ({ app, admin } = await inMemoryAdmin());
  await admin.registerProject({ project: { id: P, name: P } });
  const pkg = loadFlytekitPackage("hello", P, D, "v1");
  await registerPackage(admin, pkg);
  await admin.createExecution({ project: P, domain: D, name: "e1", spec: { launchPlan: pkg.launchPlans[0]!.id }, inputs: {} });
  clock += 3_600_000;
});
afterEach(() => app.close());

const id = { project: P, domain: D, name: "e1" };
const send = (phase: Phase, seconds: number, extra: Record<string, unknown> = {}) =>
  admin.createWorkflowEvent({ event: { executionId: id, phase, occurredAt: at(seconds), producerId: "propeller", ...extra } });

describe("CreateWorkflowEvent", () => {
  it("runs an execution to SUCCEEDED with timings and outputs (scenario 10)", async () => {
    await send(Phase.RUNNING, 0);
    let e = await admin.getExecution({ id });
    expect(e.closure?.phase).toBe(Phase.RUNNING);
    expect(e.closure?.startedAt).toEqual(at(0));
    expect(e.closure?.updatedAt).toEqual(at(0));
    expect(await failure(send(Phase.RUNNING, 1))).toEqual({
      code: "AlreadyExists",
      message: `This phase RUNNING was already recorded for workflow execution project:"${P}" domain:"${D}" name:"e1"`,
    });
    const outputs = create(LiteralMapSchema, { literals: { o0: { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value: "hi" } } } } } } } });
    await send(Phase.SUCCEEDED, 90, { outputResult: { case: "outputData", value: outputs } });
    e = await admin.getExecution({ id });
    expect(e.closure?.phase).toBe(Phase.SUCCEEDED);
    expect(e.closure?.duration?.seconds).toBe(90n);
    expect(e.closure?.outputResult.case).toBe("outputs");
    const data = await admin.getExecutionData({ id });
    expect(data.fullOutputs?.literals.o0).toBeDefined();
  });

  it("refuses what propeller must not do, with the details it reads (scenarios 11, 12)", async () => {
    await send(Phase.RUNNING, 0);
    const backwards = await failure(send(Phase.QUEUED, 1));
    expect(backwards.code).toBe("FailedPrecondition");
    expect(backwards.err.findDetails(EventFailureReasonSchema)).toEqual([]);
    await send(Phase.SUCCEEDED, 2);
    expect((await failure(send(Phase.SUCCEEDED, 3))).code).toBe("AlreadyExists");
    const late = await failure(send(Phase.RUNNING, 4));
    expect(late.code).toBe("FailedPrecondition");
    expect(late.err.findDetails(EventFailureReasonSchema)[0]?.reason).toMatchObject({ case: "alreadyInTerminalState", value: { currentPhase: "SUCCEEDED" } });
  });

  it("assigns the cluster on QUEUED and refuses events from another one", async () => {
    await admin.createWorkflowEvent({ event: { executionId: id, phase: Phase.QUEUED, occurredAt: at(0), producerId: "c2" } });
    expect((await admin.getExecution({ id })).spec?.metadata?.systemMetadata?.executionCluster).toBe("c2");
    const other = await failure(admin.createWorkflowEvent({ event: { executionId: id, phase: Phase.RUNNING, occurredAt: at(1), producerId: "c3" } }));
    expect(other.code).toBe("FailedPrecondition");
    expect(other.err.findDetails(EventFailureReasonSchema)[0]?.reason).toMatchObject({ case: "incompatibleCluster", value: { cluster: "c3" } });
    await admin.createWorkflowEvent({ event: { executionId: id, phase: Phase.RUNNING, occurredAt: at(1), producerId: "c2" } });
  });

  it("lets an aborting execution only end, keeping the abort metadata on ABORTED", async () => {
    await send(Phase.RUNNING, 0);
    await admin.terminateExecution({ id, cause: "stop" });
    expect((await failure(send(Phase.RUNNING, 1))).code).toBe("FailedPrecondition");
    await send(Phase.ABORTED, 2);
    const e = await admin.getExecution({ id });
    expect(e.closure?.phase).toBe(Phase.ABORTED);
    expect(e.closure?.outputResult).toMatchObject({ case: "abortMetadata", value: { cause: "stop" } });
  });

  it("validates the event", async () => {
    expect(await failure(admin.createWorkflowEvent({}))).toEqual({ code: "InvalidArgument", message: "Workflow event handler was called without event" });
    expect((await failure(admin.createWorkflowEvent({ event: { phase: Phase.RUNNING } }))).code).toBe("InvalidArgument");
    expect((await failure(admin.createWorkflowEvent({ event: { executionId: { ...id, name: "nope" }, phase: Phase.RUNNING, occurredAt: at(0) } }))).code).toBe("NotFound");
    const big = create(LiteralMapSchema, { literals: { o: { value: { case: "scalar", value: { value: { case: "binary", value: { value: new Uint8Array(3 * 1024 * 1024), tag: "" } } } } } } });
    expect((await failure(send(Phase.SUCCEEDED, 1, { outputResult: { case: "outputData", value: big } }))).code).toBe("ResourceExhausted");
  });

  it("never leaves a state no sequential order could produce when engines race", async () => {
    const phases = [Phase.RUNNING, Phase.SUCCEEDED, Phase.FAILED, Phase.RUNNING, Phase.SUCCEEDING];
    const results = await Promise.allSettled(phases.map((p, i) => send(p, i)));
    const accepted = results.map((r, i) => (r.status === "fulfilled" ? phases[i] : undefined)).filter((p) => p !== undefined);
    const final = (await admin.getExecution({ id })).closure?.phase;
    // Exactly one terminal phase can have been accepted, and it is where the execution ended.
    const terminal = accepted.filter((p) => p === Phase.SUCCEEDED || p === Phase.FAILED);
    expect(terminal.length).toBeLessThanOrEqual(1);
    if (terminal.length === 1) expect(final).toBe(terminal[0]);
  });
});
