import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { CatalogCacheStatus } from "../../gen/flyteidl/core/catalog_pb.js";
import { TaskExecution_Phase as Phase, TaskLogSchema } from "../../gen/flyteidl/core/execution_pb.js";
import { TaskExecutionMetadata_InstanceClass as InstanceClass, TaskExecutionMetadataSchema } from "../../gen/flyteidl/event/event_pb.js";
import { logsForPhase, mergeLogs, mergePatch, mergeTaskMetadata, sortedMetadata } from "../../src/core/task-execution-merge.js";

const log = (name: string, uri: string, flags: { ShowWhilePending?: boolean; HideOnceFinished?: boolean } = {}) => create(TaskLogSchema, { name, uri, ...flags });

describe("task execution merges", () => {
  it("keep earlier logs only when both name and URI are new", () => {
    const merged = mergeLogs([log("a", "u1"), log("b", "u2"), log("c", "u3")], [log("a", "u9"), log("x", "u2")]);
    expect(merged.map((l) => l.name)).toEqual(["a", "x", "c"]);
  });

  it("show pending-only logs while queued and drop hide-once-finished ones at the end", () => {
    const logs = [log("pending", "u1", { ShowWhilePending: true }), log("live", "u2", { HideOnceFinished: true }), log("plain", "u3")];
    expect(logsForPhase(logs, Phase.QUEUED).map((l) => l.name)).toEqual(["pending"]);
    expect(logsForPhase(logs, Phase.RUNNING).map((l) => l.name)).toEqual(["pending", "live", "plain"]);
    expect(logsForPhase(logs, Phase.SUCCEEDED).map((l) => l.name)).toEqual(["pending", "plain"]);
  });

  it("merge custom info as a JSON merge patch", () => {
    expect(mergePatch({ a: 1, nested: { x: 1, y: 2 }, list: [1] }, { nested: { y: 3 }, list: [2], b: true })).toEqual({
      a: 1,
      nested: { x: 1, y: 3 },
      list: [2],
      b: true,
    });
  });

  it("merge external resources by index and retry, in order", () => {
    const existing = create(TaskExecutionMetadataSchema, {
      generatedName: "pod-1",
      instanceClass: InstanceClass.INTERRUPTIBLE,
      externalResources: [
        { index: 0, retryAttempt: 0, externalId: "a", phase: Phase.RUNNING, cacheStatus: CatalogCacheStatus.CACHE_MISS },
        { index: 2, retryAttempt: 0, externalId: "c", phase: Phase.RUNNING },
      ],
    });
    const latest = create(TaskExecutionMetadataSchema, {
      externalResources: [
        { index: 0, retryAttempt: 0, externalId: "", phase: Phase.SUCCEEDED, cacheStatus: CatalogCacheStatus.CACHE_DISABLED },
        { index: 1, retryAttempt: 0, externalId: "b", phase: Phase.QUEUED },
      ],
    });
    const merged = mergeTaskMetadata(existing, latest)!;
    expect(merged.generatedName).toBe("pod-1");
    expect(merged.instanceClass).toBe(InstanceClass.INTERRUPTIBLE);
    expect(merged.externalResources.map((r) => [r.index, r.externalId, r.phase, r.cacheStatus])).toEqual([
      [0, "a", Phase.SUCCEEDED, CatalogCacheStatus.CACHE_MISS],
      [1, "b", Phase.QUEUED, CatalogCacheStatus.CACHE_DISABLED],
      [2, "c", Phase.RUNNING, CatalogCacheStatus.CACHE_DISABLED],
    ]);
    expect(sortedMetadata(latest)?.externalResources.map((r) => r.index)).toEqual([0, 1]);
  });
});
