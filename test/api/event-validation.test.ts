import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clone, create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CompiledWorkflowClosureSchema } from "../../gen/flyteidl/core/compiler_pb.js";
import { NodeExecution_Phase as NodePhase, TaskExecution_Phase as TaskPhase, WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.js";
import type { App } from "../../src/app.js";
import type { BlobStore } from "../../src/blob/blob-store.js";
import { openBlobStore } from "../../src/blob/open-blob-store.js";
import { inMemoryAdmin } from "../helpers/app.js";
import { failure } from "../helpers/rpc-failure.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";

/**
 * Node and task events are checked whole before anything is written: a
 * refused event leaves no row and no blob behind, and ids that would name
 * blobs outside the execution's folder are refused.
 */
type Admin = Awaited<ReturnType<typeof inMemoryAdmin>>["admin"];
const P = "flytesnacks";
const D = "development";
const exec = { project: P, domain: D, name: "e1" };
const pkg = loadFlytekitPackage("hello", P, D, "v1");
const taskId = pkg.tasks[0]!.id;
const t0 = Date.parse("2026-02-01T00:00:00Z");
const at = (s: number) => timestampFromDate(new Date(t0 + s * 1000));
const inputs = { case: "inputData", value: create(LiteralMapSchema) } as const;

let app: App;
let admin: Admin;
let blobs: BlobStore;
beforeEach(async () => {
  blobs = openBlobStore(mkdtempSync(join(tmpdir(), "flyteadmin-blobs-")));
  ({ app, admin } = await inMemoryAdmin({}, { blobs }));
  await admin.registerProject({ project: { id: P, name: P } });
  await registerPackage(admin, pkg);
  await admin.createExecution({ ...exec, spec: { launchPlan: pkg.launchPlans[0]!.id }, inputs: {} });
  await admin.createWorkflowEvent({ event: { executionId: exec, phase: Phase.RUNNING, occurredAt: at(0), producerId: "propeller" } });
});
afterEach(() => app.close());

const node = (nodeId: string, phase: NodePhase, s: number, extra: Record<string, unknown> = {}) =>
  admin.createNodeEvent({ event: { id: { nodeId, executionId: exec }, phase, occurredAt: at(s), producerId: "propeller", specNodeId: nodeId, ...extra } });
const task = (nodeId: string, id: typeof taskId, phase: TaskPhase, s: number, extra: Record<string, unknown> = {}) =>
  admin.createTaskEvent({ event: { taskId: id, parentNodeExecutionId: { nodeId, executionId: exec }, phase, occurredAt: at(s), producerId: "propeller", ...extra } });
const nodeIds = async () => (await admin.listNodeExecutions({ workflowExecutionId: exec, limit: 100 })).nodeExecutions.map((n) => n.id?.nodeId);

describe("a dynamic node's generated workflow", () => {
  it("is not overwritten by a refused event", async () => {
    const wfId = pkg.workflows[0]!.id;
    const compiled = (await admin.getWorkflow({ id: wfId })).closure!.compiledWorkflow!;
    const other = clone(CompiledWorkflowClosureSchema, compiled);
    other.tasks = [];
    const dynamic = (closure: typeof compiled, id = wfId) => ({
      targetMetadata: { case: "taskNodeMetadata", value: { dynamicWorkflow: { id, compiledWorkflow: closure, dynamicJobSpecUri: "s3://b/futures.pb" } } },
    });
    await node("n0", NodePhase.RUNNING, 1, { isParent: true, isDynamic: true });
    await node("n0", NodePhase.DYNAMIC_RUNNING, 2, dynamic(compiled));
    await node("n0", NodePhase.SUCCEEDED, 3);
    const before = await blobs.list("");

    // After the end: refused as already terminal, and as a repeated phase.
    expect((await failure(node("n0", NodePhase.RUNNING, 4, dynamic(other)))).code).toBe("FailedPrecondition");
    expect((await failure(node("n0", NodePhase.SUCCEEDED, 5, dynamic(other)))).code).toBe("AlreadyExists");
    // Under another workflow id (another blob key): nothing written either.
    expect((await failure(node("n0", NodePhase.RUNNING, 6, dynamic(other, { ...wfId, version: "v2" })))).code).toBe("FailedPrecondition");

    const stored = await admin.getDynamicNodeWorkflow({ id: { nodeId: "n0", executionId: exec } });
    expect(stored.compiledWorkflow?.tasks).toHaveLength(compiled.tasks.length);
    expect(compiled.tasks.length).toBeGreaterThan(0);
    const data = await admin.getNodeExecutionData({ id: { nodeId: "n0", executionId: exec } });
    expect(data.dynamicWorkflow?.compiledWorkflow?.tasks).toHaveLength(compiled.tasks.length);
    expect(await blobs.list("")).toEqual(before);
  });

  it("is checked as FlyteAdmin checks it before anything is stored", async () => {
    const wfId = pkg.workflows[0]!.id;
    const noPrimary = create(CompiledWorkflowClosureSchema, {});
    const before = await blobs.list("");
    const refused = await failure(
      node("n0", NodePhase.DYNAMIC_RUNNING, 1, {
        targetMetadata: { case: "taskNodeMetadata", value: { dynamicWorkflow: { id: wfId, compiledWorkflow: noPrimary } } },
      }),
    );
    expect(refused).toEqual({ code: "InvalidArgument", message: "missing primary dynamic workflow" });
    expect(await blobs.list("")).toEqual(before);
    expect(await nodeIds()).toEqual([]);
  });
});

describe("node ids in events", () => {
  it("are refused before anything is written when they are empty, path-like, hold NUL or are too long", async () => {
    const before = await blobs.list("");
    const cases: [string, { code: string; message: string }][] = [
      ["", { code: "InvalidArgument", message: "missing node_id" }],
      [".", { code: "InvalidArgument", message: 'node_id [.] cannot be "." or ".." or contain "/" or "\\"' }],
      ["..", { code: "InvalidArgument", message: 'node_id [..] cannot be "." or ".." or contain "/" or "\\"' }],
      ["../x", { code: "InvalidArgument", message: 'node_id [../x] cannot be "." or ".." or contain "/" or "\\"' }],
      ["a/../b", { code: "InvalidArgument", message: 'node_id [a/../b] cannot be "." or ".." or contain "/" or "\\"' }],
      ["a\\b", { code: "InvalidArgument", message: 'node_id [a\\b] cannot be "." or ".." or contain "/" or "\\"' }],
      ["n\u00000", { code: "InvalidArgument", message: "node_id cannot contain a NUL character" }],
      ["n\n0", { code: "InvalidArgument", message: "node_id cannot contain control characters" }],
      ["n".repeat(5000), { code: "InvalidArgument", message: "node_id cannot exceed 255 characters" }],
    ];
    for (const [nodeId, expected] of cases) {
      expect(await failure(node(nodeId, NodePhase.QUEUED, 1, { inputValue: inputs })), JSON.stringify(nodeId.slice(0, 20))).toEqual(expected);
      expect(await failure(node(nodeId, NodePhase.SUCCEEDED, 2, { outputResult: { case: "outputData", value: create(LiteralMapSchema) } }))).toEqual(expected);
    }
    // A parent named by a bad id is refused the same way (it is looked up before the write).
    expect(await failure(node("n1", NodePhase.QUEUED, 1, { parentNodeMetadata: { nodeId: "../n0" } }))).toEqual({
      code: "InvalidArgument",
      message: 'parent_node_metadata.node_id [../n0] cannot be "." or ".." or contain "/" or "\\"',
    });
    expect(await blobs.list("")).toEqual(before);
    expect(await nodeIds()).toEqual([]);
  });

  it("keep every id shape flytepropeller sends", async () => {
    const ids = ["start-node", "n0", "n1-0-n2", "n0-0-dn3", "n1-n0", "n2-0-n1-0-n0", "fuaa3aji", "a-1-n0-0", "end-node", "x".repeat(255)];
    for (const [i, id] of ids.entries()) await node(id, NodePhase.QUEUED, i, { inputValue: inputs });
    expect((await nodeIds()).sort()).toEqual([...ids].sort());
  });
});

describe("task ids in task events", () => {
  it("are refused before anything is written when the name or version is a path climb or holds NUL", async () => {
    await node("n0", NodePhase.RUNNING, 1);
    const before = await blobs.list("");
    const cases: [typeof taskId, string][] = [
      [{ ...taskId, name: ".." }, 'name [..] cannot have "." or ".." as a path segment'],
      [{ ...taskId, name: "a/../../b" }, 'name [a/../../b] cannot have "." or ".." as a path segment'],
      [{ ...taskId, version: ".." }, 'version [..] cannot have "." or ".." as a path segment'],
      [{ ...taskId, version: "v1/." }, 'version [v1/.] cannot have "." or ".." as a path segment'],
      [{ ...taskId, name: "t\u0000" }, "name cannot contain a NUL character"],
      [{ ...taskId, version: "v\u00001" }, "version cannot contain a NUL character"],
      [{ ...taskId, project: "p".repeat(300) }, "project cannot exceed 255 characters"],
    ];
    for (const [id, message] of cases) {
      expect(await failure(task("n0", id, TaskPhase.QUEUED, 2, { inputValue: inputs })), message).toEqual({ code: "InvalidArgument", message });
    }
    expect(await failure(task("../n0", taskId, TaskPhase.QUEUED, 2, { inputValue: inputs }))).toEqual({
      code: "InvalidArgument",
      message: 'node_id [../n0] cannot be "." or ".." or contain "/" or "\\"',
    });
    expect(await blobs.list("")).toEqual(before);
    expect((await admin.listTaskExecutions({ nodeExecutionId: { nodeId: "n0", executionId: exec }, limit: 10 })).taskExecutions).toEqual([]);
    // Names with dots (module paths) and versions with slashes or dots inside a segment are fine.
    await task("n0", { ...taskId, name: "workflows.hello..say" }, TaskPhase.QUEUED, 3, { inputValue: inputs });
  });
});
