import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkflowExecutionIdentifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import {
  ExecutionError_ErrorKind,
  NodeExecution_Phase as NodePhase,
  TaskExecution_Phase as TaskPhase,
  WorkflowExecution_Phase as WfPhase,
} from "../../../gen/flyteidl/core/execution_pb.js";
import type { Literal } from "../../../gen/flyteidl/core/literals_pb.js";
import { BlobType_BlobDimensionality as Dim } from "../../../gen/flyteidl/core/types_pb.js";
import { type EngineServer, registerEngineWorkflows, startEngineServer } from "../../fixtures/engine/engine-server.js";
import { generatedName, rawOutputPrefix } from "../../fixtures/engine/expected-names.js";
import { errorOf, execError, launch, lit, nodeOf, nodesById, outputsOf, primitive, taskAttempts, waitForTerminal } from "../../fixtures/engine/executions.js";
import { findFlytekit, SKIP_MESSAGE } from "../../fixtures/engine/flytekit-kit.js";
import { expectNoLeftovers, expectNoRefusedEvents, expectTaskNodeOrder, killLeftoverTasks } from "../../fixtures/engine/invariants.js";

/**
 * engine-spec §10 scenario 20 with flytekit's ContainerTask, in host mode (no container
 * runtime: the command runs on this host with /var/inputs and /var/outputs rewritten to
 * the attempt's folders): a FlyteFile goes into the container, a FlyteFile and a
 * FlyteDirectory come out under the attempt's raw output prefix, and a python task reads
 * them back; an `_ERROR` file fails the node with `User Error: …`.
 */
const kit = findFlytekit();
const VERSION = "v1";
let h: EngineServer;
const ids: Record<string, WorkflowExecutionIdentifier> = {};

const blobOf = (l: Literal | undefined) => (l?.value.case === "scalar" && l.value.value.value.case === "blob" ? l.value.value.value.value : undefined);

describe.skipIf(!kit)(`local engine: raw containers with files ${kit ? "" : SKIP_MESSAGE}`, () => {
  beforeAll(async () => {
    h = await startEngineServer(kit!);
    await registerEngineWorkflows(kit!, h, VERSION, ["containers"]);
    ids.files = await launch(h, "containers.container_files_wf", { version: VERSION, inputs: { text: lit.str("payload") } });
    ids.error = await launch(h, "containers.container_error_wf", { version: VERSION, inputs: { text: lit.str("payload") } });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    if (h) killLeftoverTasks(h);
    if (h && !process.env.E2E_KEEP) h.remove();
  });

  it("a ContainerTask reads a FlyteFile and writes a FlyteFile and a FlyteDirectory under its raw output prefix; a python task reads them", async () => {
    const id = ids.files!;
    const exec = await waitForTerminal(h.admin, id, 120_000);
    expect(execError(exec)?.message ?? "", "the execution's error").toBe("");
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(primitive((await outputsOf(h.admin, id)).o0)).toBe("PAYLOAD!|copy.txt,size.txt|7|payload");

    const nodes = await nodesById(h.admin, id);
    expect(Object.fromEntries(Object.entries(nodes).map(([k, n]) => [k, n.closure?.phase]))).toEqual({
      "start-node": NodePhase.SUCCEEDED,
      n0: NodePhase.SUCCEEDED,
      n1: NodePhase.SUCCEEDED,
      n2: NodePhase.SUCCEEDED,
      "end-node": NodePhase.SUCCEEDED,
    });
    const attempts = await taskAttempts(h.admin, id, "n1");
    expect(attempts.map((t) => [t.id?.taskId?.name, t.closure?.phase])).toEqual([["shout", TaskPhase.SUCCEEDED]]);
    expectTaskNodeOrder(nodes.n1!, attempts);

    // The container's input is the file the python task wrote; its outputs are uploaded under its own raw prefix.
    const data = await h.admin.getNodeExecutionData({ id: { executionId: id, nodeId: "n1" } });
    const made = await h.admin.getNodeExecutionData({ id: { executionId: id, nodeId: "n0" } });
    expect(blobOf(data.fullInputs?.literals.infile)?.uri).toBe(blobOf(made.fullOutputs?.literals.o0)?.uri);
    const prefix = rawOutputPrefix(h.blobRoot, generatedName(id.name, "n1", 0));
    const outfile = blobOf(data.fullOutputs?.literals.outfile);
    const outdir = blobOf(data.fullOutputs?.literals.outdir);
    expect(outfile?.uri).toBe(`${prefix}/outfile`);
    expect(outfile?.metadata?.type?.dimensionality).toBe(Dim.SINGLE);
    expect(outdir?.uri).toBe(`${prefix}/outdir`);
    expect(outdir?.metadata?.type?.dimensionality).toBe(Dim.MULTIPART);
    expect(readFileSync(fileURLToPath(outfile!.uri), "utf8")).toBe("PAYLOAD!");
    expect(readdirSync(fileURLToPath(outdir!.uri)).sort()).toEqual(["copy.txt", "size.txt"]);
    expect(readFileSync(fileURLToPath(`${outdir!.uri}/copy.txt`), "utf8")).toBe("payload");

    // The reader was handed those blobs (a python task gets local blobs as paths: flytekit cannot open file:// uris).
    const read = await h.admin.getNodeExecutionData({ id: { executionId: id, nodeId: "n2" } });
    expect(blobOf(read.fullInputs?.literals.f)?.uri).toBe(fileURLToPath(outfile!.uri));
    expect(blobOf(read.fullInputs?.literals.d)?.uri).toBe(fileURLToPath(outdir!.uri));
    await expectNoLeftovers(h, id.name);
  }, 150_000);

  it("a ContainerTask writing _ERROR fails its node with User Error and the file's content, not retried", async () => {
    const id = ids.error!;
    const exec = await waitForTerminal(h.admin, id, 120_000);
    expect(exec.closure?.phase).toBe(WfPhase.FAILED);
    const nodes = await nodesById(h.admin, id);
    expect([nodes.n0?.closure?.phase, nodes.n1?.closure?.phase]).toEqual([NodePhase.SUCCEEDED, NodePhase.FAILED]);
    const err = errorOf(await nodeOf(h.admin, id, "n1"));
    expect(err).toMatchObject({ code: "USER:Error", message: "User Error: cannot use 7 bytes", kind: ExecutionError_ErrorKind.USER });
    expect(execError(exec)?.message).toContain("User Error: cannot use 7 bytes");
    const attempts = await taskAttempts(h.admin, id, "n1");
    expect(attempts.map((t) => t.closure?.phase)).toEqual([TaskPhase.FAILED]);
    await expectNoLeftovers(h, id.name);
    await expectNoRefusedEvents(h);
  }, 150_000);
});
