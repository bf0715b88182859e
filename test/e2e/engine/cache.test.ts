import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeExecution } from "../../../gen/flyteidl/admin/node_execution_pb.js";
import { CatalogCacheStatus } from "../../../gen/flyteidl/core/catalog_pb.js";
import { WorkflowExecution_Phase as WfPhase } from "../../../gen/flyteidl/core/execution_pb.js";
import { ResourceType } from "../../../gen/flyteidl/core/identifier_pb.js";
import { entityId } from "../../fixtures/engine/engine-package.js";
import { DOMAIN, type EngineServer, PROJECT, registerEngineWorkflows, startEngineServer } from "../../fixtures/engine/engine-server.js";
import { execError, execId, launch, lit, metadataPrefix, nodeOf, outputsOf, outputUri, primitive, taskAttempts, uniqueName, waitForTerminal } from "../../fixtures/engine/executions.js";
import { findFlytekit, SKIP_MESSAGE } from "../../fixtures/engine/flytekit-kit.js";
import { expectNoLeftovers, expectNoRefusedEvents, killLeftoverTasks } from "../../fixtures/engine/invariants.js";
import { readMarks } from "../../fixtures/engine/marks.js";

/**
 * engine-spec §10 scenario 18 with the real flytekit: a
 * `@task(cache=True, cache_version="1.0")` runs once per distinct input; a
 * second run of the same input succeeds from the cache without a task
 * execution or a process; overwrite_cache runs it again.
 */
const kit = findFlytekit();
const VERSION = "v1";
let h: EngineServer;

const taskMetadata = (n: NodeExecution) => (n.closure?.targetMetadata.case === "taskNodeMetadata" ? n.closure.targetMetadata.value : undefined);

describe.skipIf(!kit)(`local engine: task cache ${kit ? "" : SKIP_MESSAGE}`, () => {
  beforeAll(async () => {
    h = await startEngineServer(kit!);
    await registerEngineWorkflows(kit!, h, VERSION, ["cached"]);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    if (h) killLeftoverTasks(h);
    if (h && !process.env.E2E_KEEP) h.remove();
  });

  /** Runs cached_wf(x) to its end and returns what the cache scenario looks at. */
  const runCached = async (x: number, options: { overwrite?: boolean } = {}) => {
    const name = uniqueName("cache");
    if (options.overwrite) {
      await h.admin.createExecution({
        project: PROJECT,
        domain: DOMAIN,
        name,
        spec: {
          launchPlan: entityId(ResourceType.LAUNCH_PLAN, "cached.cached_wf", PROJECT, DOMAIN, VERSION),
          envs: { values: [{ key: "E2E_MARK_DIR", value: h.markDir }] },
          overwriteCache: true,
        },
        inputs: { literals: { x: lit.int(x) } },
      });
    } else {
      await launch(h, "cached.cached_wf", { version: VERSION, name, inputs: { x: lit.int(x) } });
    }
    const id = execId(name);
    const exec = await waitForTerminal(h.admin, id);
    expect(execError(exec)?.message ?? "").toBe("");
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    const n0 = await nodeOf(h.admin, id, "n0");
    return {
      name,
      output: primitive((await outputsOf(h.admin, id)).o0),
      n0,
      metadata: taskMetadata(n0),
      attempts: await taskAttempts(h.admin, id, "n0"),
      processes: readMarks(h.markDir, name).length,
    };
  };

  it("computes a value once, answers the same input from the cache, misses on another input, and reruns under overwrite_cache", async () => {
    const first = await runCached(3);
    expect(first.output).toBe(9);
    expect(first.attempts).toHaveLength(1);
    expect(first.processes).toBe(1);
    expect(first.metadata?.cacheStatus).toBe(CatalogCacheStatus.CACHE_POPULATED);
    expect(first.metadata?.catalogKey?.datasetId).toMatchObject({ resourceType: ResourceType.DATASET, name: "flyte_task-engine_e2e.cached.square" });
    expect(first.metadata?.catalogKey?.datasetId?.version).toMatch(/^1\.0-/);

    const second = await runCached(3);
    expect(second.output).toBe(9);
    expect(second.attempts).toEqual([]);
    expect(second.processes).toBe(0);
    expect(second.metadata?.cacheStatus).toBe(CatalogCacheStatus.CACHE_HIT);
    expect(second.metadata?.catalogKey?.artifactTag).toEqual(first.metadata?.catalogKey?.artifactTag);
    expect(second.metadata?.catalogKey?.sourceExecution.value).toMatchObject({ nodeExecutionId: { nodeId: "n0", executionId: { name: first.name } } });
    // The node's outputs are where a run would have put them.
    expect(outputUri(second.n0)).toBe(`${metadataPrefix(h, second.name)}/n0/data/0/outputs.pb`);

    const other = await runCached(4);
    expect(other.output).toBe(16);
    expect(other.attempts).toHaveLength(1);
    expect(other.metadata?.cacheStatus).toBe(CatalogCacheStatus.CACHE_POPULATED);

    const overwritten = await runCached(3, { overwrite: true });
    expect(overwritten.output).toBe(9);
    expect(overwritten.attempts).toHaveLength(1);
    expect(overwritten.processes).toBe(1);
    expect(overwritten.metadata?.cacheStatus).toBe(CatalogCacheStatus.CACHE_POPULATED);
    // As propeller's overwrite (UpdateArtifact by tag): the entry keeps its artifact and takes the new run's data.
    expect(overwritten.metadata?.catalogKey?.artifactTag?.artifactId).toBe(first.metadata?.catalogKey?.artifactTag?.artifactId);

    // The next run hits the entry the overwrite wrote.
    const after = await runCached(3);
    expect(after.processes).toBe(0);
    expect(after.metadata?.catalogKey?.sourceExecution.value).toMatchObject({ nodeExecutionId: { executionId: { name: overwritten.name } } });

    for (const r of [first, second, other, overwritten, after]) await expectNoLeftovers(h, r.name);
    await expectNoRefusedEvents(h);
  }, 180_000);
});
