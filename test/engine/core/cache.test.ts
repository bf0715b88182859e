import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CatalogCacheStatus, CatalogReservation_Status } from "../../../gen/flyteidl/core/catalog_pb.js";
import { NodeExecution_Phase, WorkflowExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import { ResourceType } from "../../../gen/flyteidl/core/identifier_pb.js";
import { LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import type { WorkflowTemplate } from "../../../gen/flyteidl/core/workflow_pb.js";
import type { NodeExecutionEvent, TaskNodeMetadata } from "../../../gen/flyteidl/event/event_pb.js";
import { taskCacheKey } from "../../../src/engine/local/cache-key.js";
import { SERIALIZED_CACHE_WAIT } from "../../../src/engine/local/cache.js";
import { createEchoPlugin } from "../../../src/engine/local/echo-plugin.js";
import { generatedName } from "../../../src/engine/local/ids.js";
import { parseStatus } from "../../../src/engine/local/status.js";
import { DOMAIN, PROJECT, promise, subWorkflowNode, T, taskId, taskNode, workflow, workflowId } from "../../fixtures/flyte-builders.js";
import { cacheEntry, reservationOwner } from "../../helpers/cache-entries.js";
import { eventLines, execId, type Harness, intLiteral, launch, literals, registerTasks, registerWorkflow, startHarness, taskOfType, waitFor, waitForPhase } from "./harness.js";
import { createScriptedPlugin, type ScriptedPlugin } from "./scripted-plugin.js";

let h: Harness;
let plugin: ScriptedPlugin;
beforeEach(async () => {
  plugin = createScriptedPlugin();
  h = await startHarness({ plugins: [createEchoPlugin(), plugin] });
});
afterEach(() => h.close());

interface CachedOptions {
  version?: string;
  cacheVersion?: string;
  serializable?: boolean;
  script?: string;
  outputs?: boolean;
  cache?: boolean;
}

/** `wf.cached(x) = n0: square(x)` with a scripted, cacheable task; registered once per version. */
async function register(o: CachedOptions = {}) {
  const version = o.version ?? "v1";
  const t = taskOfType("scripted", "wf.square", { x: T.int() }, o.outputs === false ? {} : { o0: T.int() }, { config: { script: o.script ?? "success" } });
  t.id = taskId("wf.square", version);
  t.metadata!.discoverable = o.cache ?? true;
  t.metadata!.discoveryVersion = o.cacheVersion ?? "1.0";
  t.metadata!.cacheSerializable = o.serializable ?? false;
  const wf = workflow("wf.cached", {
    inputs: { x: T.int() },
    outputs: o.outputs === false ? {} : { o0: T.int() },
    nodes: [taskNode("n0", t, { inputs: { x: promise("", "x") }, name: "square" })],
    outputBindings: o.outputs === false ? {} : { o0: promise("n0", "o0") },
  });
  wf.id = workflowId("wf.cached", version);
  await registerTasks(h.admin, t);
  await registerWorkflow(h.admin, wf);
  return { task: t, wf };
}

async function run(wf: WorkflowTemplate, name: string, x: number, spec: Record<string, unknown> = {}) {
  const id = await launch(h.admin, wf.id!, name, literals({ x: intLiteral(x) }), spec);
  const execution = await waitForPhase(h.admin, id);
  return { id, execution, lines: eventLines(h.events, name) };
}

const nodeEvents = (execution: string, nodeId = "n0") =>
  h.events.flatMap((r) => (r.kind === "node" && r.event.id?.executionId?.name === execution && r.event.id.nodeId === nodeId ? [r.event] : []));
const succeeded = (execution: string): NodeExecutionEvent => nodeEvents(execution).find((e) => e.phase === NodeExecution_Phase.SUCCEEDED)!;
const metadataOf = (e: NodeExecutionEvent): TaskNodeMetadata | undefined => (e.targetMetadata.case === "taskNodeMetadata" ? e.targetMetadata.value : undefined);
const taskExecutions = async (execution: string) =>
  (await h.admin.listTaskExecutions({ nodeExecutionId: { executionId: { project: PROJECT, domain: DOMAIN, name: execution }, nodeId: "n0" }, limit: 10 })).taskExecutions;
const outputsOf = async (uri: string) => (await h.blobs.getMessage(h.blobs.keyOf(uri)!, LiteralMapSchema))?.literals["o0"];
const launchedBy = (execution: string) => plugin.launched.filter((g) => g === generatedName(execution, "n0", 0));

const RAN = [
  "WF RUNNING",
  "N start-node SUCCEEDED",
  "N n0 QUEUED",
  "T n0#0 QUEUED v0",
  "N n0 RUNNING",
  "T n0#0 RUNNING v0",
  "T n0#0 SUCCEEDED v0",
  "N n0 SUCCEEDED",
  "N end-node QUEUED",
  "N end-node SUCCEEDED",
  "WF SUCCEEDING",
  "WF SUCCEEDED",
];
const HIT = ["WF RUNNING", "N start-node SUCCEEDED", "N n0 SUCCEEDED", "N end-node QUEUED", "N end-node SUCCEEDED", "WF SUCCEEDING", "WF SUCCEEDED"];

describe("task caching (engine-spec §6.1, scenario 18)", () => {
  it("populates the cache on a miss, then answers the same inputs from it: one SUCCEEDED event, no task execution", async () => {
    const { task, wf } = await register();
    const first = await run(wf, "miss1", 3);
    expect(first.lines).toEqual(RAN);
    const populated = metadataOf(succeeded("miss1"))!;
    expect(populated.cacheStatus).toBe(CatalogCacheStatus.CACHE_POPULATED);
    expect(populated.checkpointUri).not.toBe("");
    const key = taskCacheKey(task, literals({ x: intLiteral(3) }));
    expect(populated.catalogKey?.datasetId).toMatchObject({ resourceType: ResourceType.DATASET, project: PROJECT, domain: DOMAIN, name: "flyte_task-wf.square", version: key.datasetVersion });
    expect(populated.catalogKey?.datasetId?.version).toMatch(/^1\.0-[\w-]{8}-[\w-]{8}$/);
    expect(populated.catalogKey?.artifactTag?.name).toBe(key.tag);
    expect(populated.catalogKey?.artifactTag?.artifactId).not.toBe("");

    const second = await run(wf, "hit1", 3);
    expect(second.lines).toEqual(HIT);
    const event = succeeded("hit1");
    expect(event.inputValue).toEqual({ case: "inputUri", value: expect.stringMatching(/flytesnacks-development-hit1\/n0\/data\/inputs\.pb$/) });
    expect(event.outputResult).toEqual({ case: "outputUri", value: expect.stringMatching(/flytesnacks-development-hit1\/n0\/data\/0\/outputs\.pb$/) });
    expect(event.targetEntity).toMatchObject({ name: "wf.square", version: "v1" });
    const hit = metadataOf(event)!;
    expect(hit.cacheStatus).toBe(CatalogCacheStatus.CACHE_HIT);
    expect(hit.catalogKey?.datasetId).toEqual(populated.catalogKey?.datasetId);
    expect(hit.catalogKey?.artifactTag).toEqual(populated.catalogKey?.artifactTag);
    expect(hit.catalogKey?.sourceExecution).toEqual({
      case: "sourceTaskExecution",
      value: expect.objectContaining({
        taskId: expect.objectContaining({ resourceType: ResourceType.TASK, name: "wf.square", version: "v1" }),
        nodeExecutionId: expect.objectContaining({ nodeId: "n0", executionId: expect.objectContaining({ project: PROJECT, domain: DOMAIN, name: "miss1" }) }),
        retryAttempt: 0,
      }),
    });
    // The outputs are there for downstream nodes and the workflow, and no attempt ran.
    expect(await outputsOf((event.outputResult as { value: string }).value)).toEqual(intLiteral(3));
    expect(await taskExecutions("hit1")).toEqual([]);
    expect(launchedBy("hit1")).toEqual([]);
    expect(launchedBy("miss1")).toHaveLength(1);
    // The control plane shows the hit on the node execution.
    const node = await h.admin.getNodeExecution({ id: { executionId: second.id, nodeId: "n0" } });
    expect(node.closure?.targetMetadata).toMatchObject({ case: "taskNodeMetadata", value: { cacheStatus: CatalogCacheStatus.CACHE_HIT } });

    // Other inputs miss.
    const other = await run(wf, "miss2", 4);
    expect(other.lines).toEqual(RAN);
    expect(metadataOf(succeeded("miss2"))?.cacheStatus).toBe(CatalogCacheStatus.CACHE_POPULATED);
    expect(launchedBy("miss2")).toHaveLength(1);
  });

  it("reruns with overwrite_cache and replaces the entry's data, which later runs then hit", async () => {
    const { task, wf } = await register();
    await run(wf, "ow1", 5);
    const before = metadataOf(succeeded("ow1"))!.catalogKey!;
    const key = taskCacheKey(task, literals({ x: intLiteral(5) }));
    expect((await cacheEntry(h.store.dataCatalog, key))?.keyMap["execution-name"]).toBe("ow1");

    const over = await run(wf, "ow2", 5, { overwriteCache: true });
    expect(over.lines).toEqual(RAN);
    expect(launchedBy("ow2")).toHaveLength(1);
    const after = metadataOf(succeeded("ow2"))!;
    expect(after.cacheStatus).toBe(CatalogCacheStatus.CACHE_POPULATED);
    expect(after.catalogKey?.artifactTag?.name).toBe(before.artifactTag?.name);
    // As propeller's Update: the tagged artifact keeps its id and takes the new run's data and source.
    expect(after.catalogKey?.artifactTag?.artifactId).toBe(before.artifactTag?.artifactId);
    expect(after.catalogKey?.sourceExecution.case).toBe("sourceTaskExecution");
    const entry = (await cacheEntry(h.store.dataCatalog, key))!;
    expect(entry.keyMap["execution-name"]).toBe("ow2");
    expect(entry.data.map((d) => d.name)).toEqual(["o0"]);

    const again = await run(wf, "ow3", 5);
    expect(again.lines).toEqual(HIT);
    const hit = metadataOf(succeeded("ow3"))!;
    expect(hit.catalogKey?.artifactTag?.artifactId).toBe(after.catalogKey?.artifactTag?.artifactId);
    expect(hit.catalogKey?.sourceExecution.value).toMatchObject({ nodeExecutionId: { executionId: { name: "ow2" } } });
  });

  it("misses after a new cache_version and keeps the old version's entry", async () => {
    const v1 = await register();
    await run(v1.wf, "cv1", 6);
    const v2 = await register({ version: "v2", cacheVersion: "2.0" });
    const second = await run(v2.wf, "cv2", 6);
    expect(second.lines).toEqual(RAN);
    const populated = metadataOf(succeeded("cv2"))!;
    expect(populated.cacheStatus).toBe(CatalogCacheStatus.CACHE_POPULATED);
    expect(populated.catalogKey?.datasetId?.version).toMatch(/^2\.0-/);
    expect(await cacheEntry(h.store.dataCatalog, taskCacheKey(v1.task, literals({ x: intLiteral(6) })))).toBeDefined();
    // A new task version with the same cache_version still hits.
    const v3 = await register({ version: "v3", cacheVersion: "2.0" });
    expect((await run(v3.wf, "cv3", 6)).lines).toEqual(HIT);
  });

  it("does not cache a task without outputs (CACHE_DISABLED) and reports nothing for a task that is not cacheable", async () => {
    const { wf } = await register({ outputs: false, script: "nooutputs" });
    await run(wf, "void1", 1);
    const meta = metadataOf(succeeded("void1"))!;
    expect(meta.cacheStatus).toBe(CatalogCacheStatus.CACHE_DISABLED);
    expect(meta.catalogKey).toBeUndefined();
    expect((await run(wf, "void2", 1)).lines).toHaveLength(RAN.length);

    const plain = await register({ version: "v9", cache: false });
    await run(plain.wf, "plain1", 2);
    expect(metadataOf(succeeded("plain1"))).toMatchObject({ cacheStatus: CatalogCacheStatus.CACHE_DISABLED, reservationStatus: CatalogReservation_Status.RESERVATION_DISABLED });
    expect(metadataOf(succeeded("plain1"))?.catalogKey).toBeUndefined();
    expect((await run(plain.wf, "plain2", 2)).lines).toEqual(RAN);
  });

  it("fails a cacheable node whose task has an empty cache_version, before it runs", async () => {
    const { wf } = await register({ cacheVersion: "  " });
    const r = await run(wf, "nover", 1);
    expect(r.lines).toEqual(["WF RUNNING", "N start-node SUCCEEDED", "N n0 FAILED", "WF FAILING", "WF FAILED"]);
    const failed = nodeEvents("nover").find((e) => e.phase === NodeExecution_Phase.FAILED)!;
    expect(failed.outputResult).toMatchObject({ case: "error", value: { code: "InvalidCacheKey", message: expect.stringContaining("empty cache_version") } });
    expect(plugin.launched).toEqual([]);
  });
});

describe("task caching inside a subworkflow", () => {
  it("answers a nested task node from the cache under its unique id, and its subworkflow passes the outputs on", async () => {
    const { task } = await register();
    const inner = workflow("wf.inner", {
      inputs: { x: T.int() },
      outputs: { o0: T.int() },
      nodes: [taskNode("n0", task, { inputs: { x: promise("", "x") }, name: "square" })],
      outputBindings: { o0: promise("n0", "o0") },
    });
    const outer = workflow("wf.outer", {
      inputs: { x: T.int() },
      outputs: { o0: T.int() },
      nodes: [subWorkflowNode("n0", inner, { inputs: { x: promise("", "x") }, name: "inner" })],
      outputBindings: { o0: promise("n0", "o0") },
    });
    await registerWorkflow(h.admin, outer, [inner]);
    await run(outer, "nest1", 12);
    expect(metadataOf(nodeEvents("nest1", "n0-0-n0").find((e) => e.phase === NodeExecution_Phase.SUCCEEDED)!)?.cacheStatus).toBe(CatalogCacheStatus.CACHE_POPULATED);
    const second = await run(outer, "nest2", 12);
    expect(second.lines.filter((l) => l.includes("n0-0-n0"))).toEqual(["N n0-0-n0 SUCCEEDED"]);
    const hit = nodeEvents("nest2", "n0-0-n0")[0]!;
    expect(metadataOf(hit)?.cacheStatus).toBe(CatalogCacheStatus.CACHE_HIT);
    expect(hit.parentNodeMetadata?.nodeId).toBe("n0");
    const out = await h.admin.getExecutionData({ id: second.id });
    expect(out.fullOutputs?.literals["o0"]).toEqual(intLiteral(12));
    expect(plugin.launched.filter((g) => g.startsWith("nest2"))).toEqual([]);
  });
});

describe("cache_serializable (engine-spec §6.1)", () => {
  const statusOf = async (name: string) => {
    const row = await h.store.engine.get({ project: PROJECT, domain: DOMAIN, name });
    return row ? parseStatus(row.status).nodes["n0"] : undefined;
  };
  const waiting = (name: string) => waitFor(`${name} waiting`, async () => ((await statusOf(name))?.message === SERIALIZED_CACHE_WAIT ? true : undefined));
  const started = (name: string) => waitFor(`${name} running`, () => (plugin.started.includes(generatedName(name, "n0", 0)) ? true : undefined));

  it("keeps a second run of the same inputs Queued while the first computes them, then answers it from the cache", async () => {
    const { task, wf } = await register({ serializable: true, script: "success:1500" });
    const holder = launch(h.admin, wf.id!, "ser1", literals({ x: intLiteral(7) }));
    await started("ser1");
    await launch(h.admin, wf.id!, "ser2", literals({ x: intLiteral(7) }));
    await waiting("ser2");
    // Still waiting while the holder runs: no task execution, no event past QUEUED.
    expect(eventLines(h.events, "ser2")).toEqual(["WF RUNNING", "N start-node SUCCEEDED", "N n0 QUEUED"]);
    await waitForPhase(h.admin, await holder);
    await waitForPhase(h.admin, execId("ser2"));

    expect(eventLines(h.events, "ser1")).toEqual(RAN);
    const running = nodeEvents("ser1").find((e) => e.phase === NodeExecution_Phase.RUNNING)!;
    expect(metadataOf(running)?.reservationStatus).toBe(CatalogReservation_Status.RESERVATION_ACQUIRED);
    expect(metadataOf(succeeded("ser1"))).toMatchObject({ cacheStatus: CatalogCacheStatus.CACHE_POPULATED, reservationStatus: CatalogReservation_Status.RESERVATION_RELEASED });
    // QUEUED when it started waiting, then the hit.
    expect(eventLines(h.events, "ser2")).toEqual(["WF RUNNING", "N start-node SUCCEEDED", "N n0 QUEUED", "N n0 SUCCEEDED", ...HIT.slice(3)]);
    expect(metadataOf(succeeded("ser2"))?.cacheStatus).toBe(CatalogCacheStatus.CACHE_HIT);
    expect(launchedBy("ser2")).toEqual([]);
    expect(await taskExecutions("ser2")).toEqual([]);
    // The reservation is gone: anyone takes it now.
    const key = taskCacheKey(task, literals({ x: intLiteral(7) }));
    expect(await reservationOwner(h.store.dataCatalog, key, "someone")).toBe("someone");
  });

  it("lets a waiting run take over when the holder fails, and run the task itself", async () => {
    const { wf } = await register({ serializable: true, script: "user:1000" });
    const holder = launch(h.admin, wf.id!, "serf1", literals({ x: intLiteral(8) }));
    await started("serf1");
    await launch(h.admin, wf.id!, "serf2", literals({ x: intLiteral(8) }));
    await waiting("serf2");
    expect((await waitForPhase(h.admin, await holder)).closure?.phase).toBe(WorkflowExecution_Phase.FAILED);
    await waitForPhase(h.admin, execId("serf2"));
    expect(eventLines(h.events, "serf2")).toEqual([
      "WF RUNNING",
      "N start-node SUCCEEDED",
      "N n0 QUEUED",
      "T n0#0 QUEUED v0",
      "N n0 RUNNING",
      "T n0#0 RUNNING v0",
      "T n0#0 FAILED v0",
      "N n0 FAILED",
      "WF FAILING",
      "WF FAILED",
    ]);
    const running = nodeEvents("serf2").find((e) => e.phase === NodeExecution_Phase.RUNNING)!;
    expect(metadataOf(running)).toMatchObject({ cacheStatus: CatalogCacheStatus.CACHE_MISS, reservationStatus: CatalogReservation_Status.RESERVATION_ACQUIRED });
    expect(launchedBy("serf2")).toHaveLength(1);
  });

  it("lets a waiting run take over when the holder is terminated", async () => {
    const { wf } = await register({ serializable: true, script: "hang" });
    const holder = await launch(h.admin, wf.id!, "sera1", literals({ x: intLiteral(9) }));
    await started("sera1");
    const waiter = await launch(h.admin, wf.id!, "sera2", literals({ x: intLiteral(9) }));
    await waiting("sera2");
    await h.admin.terminateExecution({ id: holder, cause: "no longer needed" });
    await waitForPhase(h.admin, holder, ["ABORTED"]);
    await started("sera2");
    await h.admin.terminateExecution({ id: waiter, cause: "done" });
    await waitForPhase(h.admin, waiter, ["ABORTED"]);
    expect(launchedBy("sera2")).toHaveLength(1);
  });

  it("runs without a reservation under overwrite_cache and reports the skipped look-up", async () => {
    const { wf } = await register({ serializable: true });
    await run(wf, "sero1", 10);
    const over = await run(wf, "sero2", 10, { overwriteCache: true });
    expect(over.lines).toEqual(RAN);
    const running = nodeEvents("sero2").find((e) => e.phase === NodeExecution_Phase.RUNNING)!;
    expect(metadataOf(running)?.cacheStatus).toBe(CatalogCacheStatus.CACHE_SKIPPED);
    expect(metadataOf(running)?.reservationStatus).toBe(CatalogReservation_Status.RESERVATION_DISABLED);
    expect(metadataOf(succeeded("sero2"))).toMatchObject({ cacheStatus: CatalogCacheStatus.CACHE_POPULATED, reservationStatus: CatalogReservation_Status.RESERVATION_RELEASED });
  });
});

