import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { mkdtempSync } from "node:fs";
import { truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeExecution_Phase as NodePhase, TaskExecution_Phase as TaskPhase } from "../../gen/flyteidl/core/execution_pb.js";
import { LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.js";
import type { App } from "../../src/app.js";
import type { BlobStore } from "../../src/blob/blob-store.js";
import { createLocalBlobStore } from "../../src/blob/local-blob-store.js";
import { inMemoryAdmin } from "../helpers/app.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";

/** The Get*Data calls learn sizes from stat: they never read (hash) a whole blob to decide whether to inline it. */
const P = "flytesnacks";
const D = "development";
const exec = { project: P, domain: D, name: "reads1" };
const at = (s: number) => timestampFromDate(new Date(Date.parse("2026-02-01T00:00:00Z") + s * 1000));
const str = (v: string) =>
  create(LiteralMapSchema, { literals: { o: { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value: v } } } } } } } });
const dir = mkdtempSync(join(tmpdir(), "data-reads-"));
const local = createLocalBlobStore(dir);
const heads: string[] = [];
// Every call goes to the real store; `head` (which hashes on local storage) is recorded.
const blobs: BlobStore = new Proxy(local, {
  get(target, prop, receiver) {
    if (prop === "head") return (key: string) => (heads.push(key), target.head(key));
    return Reflect.get(target, prop, receiver);
  },
});
let app: App;
let admin: Awaited<ReturnType<typeof inMemoryAdmin>>["admin"];
let taskId: ReturnType<typeof loadFlytekitPackage>["tasks"][number]["id"];

beforeAll(async () => {
  ({ app, admin } = await inMemoryAdmin({ storage: dir }, { blobs }));
  await admin.registerProject({ project: { id: P, name: P } });
  const pkg = loadFlytekitPackage("hello", P, D, "v1");
  taskId = pkg.tasks[0]!.id;
  await registerPackage(admin, pkg);
  await admin.createExecution({ ...exec, spec: { launchPlan: pkg.launchPlans[0]!.id }, inputs: {} });
  const nodeId = { nodeId: "n0", executionId: exec };
  await admin.createNodeEvent({ event: { id: nodeId, phase: NodePhase.RUNNING, occurredAt: at(1), producerId: "propeller", specNodeId: "n0", inputValue: { case: "inputData", value: str("in") } } });
  const task = { taskId, parentNodeExecutionId: nodeId, retryAttempt: 0, producerId: "propeller" };
  await admin.createTaskEvent({ event: { ...task, phase: TaskPhase.RUNNING, occurredAt: at(2), inputValue: { case: "inputData", value: str("in") } } });
  await admin.createTaskEvent({ event: { ...task, phase: TaskPhase.SUCCEEDED, occurredAt: at(3), outputResult: { case: "outputData", value: str("out") } } });
  await admin.createNodeEvent({ event: { id: nodeId, phase: NodePhase.SUCCEEDED, occurredAt: at(4), producerId: "propeller", specNodeId: "n0", outputResult: { case: "outputData", value: str("out") } } });
});
afterAll(() => app.close());

describe("data reads", () => {
  it("inline small data without hashing it", async () => {
    const node = await admin.getNodeExecutionData({ id: { nodeId: "n0", executionId: exec } });
    expect([node.fullInputs, node.fullOutputs]).toEqual([str("in"), str("out")]);
    const attempt = await admin.getTaskExecutionData({ id: { taskId, nodeExecutionId: { nodeId: "n0", executionId: exec }, retryAttempt: 0 } });
    expect([attempt.fullInputs, attempt.fullOutputs]).toEqual([str("in"), str("out")]);
    await admin.getExecutionData({ id: exec });
    expect(heads).toEqual([]);
  });

  it("leave out a 3 GiB blob on its size alone", async () => {
    const node = await admin.getNodeExecution({ id: { nodeId: "n0", executionId: exec } });
    const uri = node.closure?.outputResult.case === "outputUri" ? node.closure.outputResult.value : "";
    // Sparse: 3 GiB that costs no disk, but a hash would read every byte of it.
    expect(local.keyOf(uri)).toBeDefined();
    await truncate(join(dir, local.keyOf(uri)!), 3 * 1024 ** 3);
    const data = await admin.getNodeExecutionData({ id: { nodeId: "n0", executionId: exec } });
    expect(data.fullOutputs).toEqual(create(LiteralMapSchema));
    expect(heads).toEqual([]);
  });
});
