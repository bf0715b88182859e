import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ExecutionClosureSchema, ExecutionSchema } from "../../gen/flyteidl/admin/execution_pb.js";
import { NodeExecutionClosureSchema, NodeExecutionMetaDataSchema, NodeExecutionSchema } from "../../gen/flyteidl/admin/node_execution_pb.js";
import { TaskExecutionClosureSchema, TaskExecutionSchema } from "../../gen/flyteidl/admin/task_execution_pb.js";
import { NodeExecution_Phase as NodePhase, TaskExecution_Phase as TaskPhase, WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { IdentifierSchema, ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { LiteralTypeSchema, SimpleType } from "../../gen/flyteidl/core/types_pb.js";
import type { BlobStore } from "../../src/blob/blob-store.js";
import { dynamicClosureKey, executionInputsKey, executionOutputsKey, nodeOffloadKey, taskOffloadKey } from "../../src/core/blob-keys.js";
import { ENGINE_METADATA_PREFIX } from "../../src/engine-wiring.js";
import type { ExecutionKey, Store } from "../../src/storage/store.js";

export const DAY = 86_400_000;
const TASK = { project: "p", domain: "d", name: "t.square", version: "v1" };

export interface SeedOptions {
  phase?: Phase;
  /** Days before `now` it was created and last changed. */
  ageDays: number;
  now: Date;
  /** The execution this one's launch-plan node started it from. */
  parent?: { key: ExecutionKey; nodeId: string };
  /** Child executions its node `n-<i>` launched. */
  children?: ExecutionKey[];
  /** Its engine row is still active. */
  engineActive?: boolean;
  /** Node executions besides `n0` and the children's nodes (default 0). */
  extraNodes?: number;
}

/**
 * Stores an execution the way the server leaves one: its row and tags, a
 * phase event, node and task executions, a signal, an engine row, and its
 * blobs (inputs, offloads, a dynamic closure, the engine's folder) and run
 * folder files. Returns the blob keys and files it wrote.
 */
export async function seedExecution(store: Store, blobs: BlobStore, runRoot: string, k: ExecutionKey, o: SeedOptions) {
  const at = new Date(o.now.getTime() - o.ageDays * DAY);
  const phase = o.phase ?? Phase.SUCCEEDED;
  const closure = create(ExecutionClosureSchema, { phase, createdAt: timestampFromDate(at), updatedAt: timestampFromDate(at) });
  const stored = {
    execution: create(ExecutionSchema, {
      id: k,
      spec: {
        launchPlan: { resourceType: ResourceType.LAUNCH_PLAN, project: k.project, domain: k.domain, name: "lp", version: "v1" },
        ...(o.parent ? { metadata: { parentNodeExecution: { executionId: o.parent.key, nodeId: o.parent.nodeId } } } : {}),
      },
      closure,
    }),
    launchPlan: create(IdentifierSchema, { resourceType: ResourceType.LAUNCH_PLAN, project: k.project, domain: k.domain, name: "lp", version: "v1" }),
    workflow: create(IdentifierSchema, { resourceType: ResourceType.WORKFLOW, project: k.project, domain: k.domain, name: "wf", version: "v1" }),
    launchEntity: "launch_plan",
    inputsUri: blobs.uri(executionInputsKey(k, "inputs")),
    userInputsUri: blobs.uri(executionInputsKey(k, "user_inputs")),
    user: "",
    cluster: "local",
  };
  if (!(await store.executions.create(stored, [["team", "ml"], ["nightly", ""]]))) throw new Error(`seed: ${k.name} exists`);
  await store.executions.updateClosure(k, phase, closure, { event: { phase: Phase[phase]!, producerId: "local", occurredAt: at } });
  const nodes = ["n0", ...(o.children ?? []).map((_, i) => `n-${i}`), ...Array.from({ length: o.extraNodes ?? 0 }, (_, i) => `x${i}`)];
  for (const [i, nodeId] of nodes.entries()) {
    const child = i === 0 ? undefined : o.children?.[i - 1];
    await store.nodeExecutions.create(
      create(NodeExecutionSchema, {
        id: { executionId: k, nodeId },
        closure: create(NodeExecutionClosureSchema, {
          phase: NodePhase.SUCCEEDED,
          createdAt: timestampFromDate(at),
          updatedAt: timestampFromDate(at),
          ...(child ? { targetMetadata: { case: "workflowNodeMetadata", value: { executionId: child } } } : {}),
        }),
        metadata: create(NodeExecutionMetaDataSchema),
      }),
      {},
      0,
    );
  }
  await store.taskExecutions.create(
    create(TaskExecutionSchema, {
      id: { taskId: { resourceType: ResourceType.TASK, ...TASK }, nodeExecutionId: { executionId: k, nodeId: "n0" }, retryAttempt: 0 },
      closure: create(TaskExecutionClosureSchema, { phase: TaskPhase.SUCCEEDED, createdAt: timestampFromDate(at), updatedAt: timestampFromDate(at) }),
    }),
    0,
  );
  await store.signals.getOrCreate({ ...k, signalId: "approve" }, create(LiteralTypeSchema, { type: { case: "simple", value: SimpleType.BOOLEAN } }));
  await store.engine.create({ key: k, definition: "{}", status: "{}" });
  if (!o.engineActive) await store.engine.update(k, 1, { status: "{}", active: false, nextWakeAt: undefined });

  const keys = [
    executionInputsKey(k, "inputs"),
    executionInputsKey(k, "user_inputs"),
    executionOutputsKey(k),
    nodeOffloadKey(k, "n0", "offloaded_inputs"),
    taskOffloadKey(k, "n0", TASK, 0, "offloaded_outputs"),
    dynamicClosureKey(k, "n0", { ...TASK, name: "wf.dyn" }),
    `${ENGINE_METADATA_PREFIX}/${k.project}-${k.domain}-${k.name}/n0/data/0/outputs.pb`,
  ];
  for (const key of keys) await blobs.put(key, new Uint8Array(10));
  const attempt = join(runRoot, k.project, k.domain, k.name, "n0", "0", ".engine");
  mkdirSync(attempt, { recursive: true });
  writeFileSync(join(attempt, "task.log"), "hello\n");
  return { keys, runFolder: join(runRoot, k.project, k.domain, k.name) };
}
