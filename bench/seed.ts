import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { NamedEntityState } from "../gen/flyteidl/admin/common_pb.js";
import { ExecutionClosureSchema, ExecutionSchema, ExecutionSpecSchema } from "../gen/flyteidl/admin/execution_pb.js";
import { NodeExecutionSchema } from "../gen/flyteidl/admin/node_execution_pb.js";
import { NodeExecution_Phase as NodePhase, WorkflowExecution_Phase as Phase } from "../gen/flyteidl/core/execution_pb.js";
import { IdentifierSchema, ResourceType } from "../gen/flyteidl/core/identifier_pb.js";
import { type CompiledWorkflowClosure, CompiledWorkflowClosureSchema } from "../gen/flyteidl/core/compiler_pb.js";
import type { Store, StoredExecution } from "../src/storage/store.js";
import { DOMAIN, PROJECT } from "./payloads.js";

/** How much history the list calls run against. */
export interface ListScale {
  executions: number;
  nodeExecutions: number;
  /** Of each listed execution (nodeExecutions / this executions get nodes). */
  nodesPerExecution: number;
  workflows: number;
  namedEntities: number;
  /** Workflow names (one version each) in a domain of their own, for a page of ListNamedEntities. */
  pagedNames: number;
}

/** The entity names the list calls ask for. */
export const seededName = (i: number) => `bench.seed.wf_${String(i).padStart(5, "0")}`;
/** The domain holding the `pagedNames` names, and their names. */
export const NAMES_DOMAIN = "staging";
export const pagedName = (i: number) => `bench.names.wf_${String(i).padStart(6, "0")}`;
export const seededExecution = (i: number) => `s${String(i).padStart(7, "0")}`;
/** One launch plan in ten executions runs the first name (a busy schedule); the rest spread evenly. */
export const HOT = seededName(0);
const nameOf = (i: number, names: number) => (i % 10 === 0 ? HOT : seededName(1 + (i % (names - 1))));

const BASE_MS = Date.parse("2026-01-01T00:00:00Z");
const ref = (resourceType: ResourceType, name: string, version = "v1", domain = DOMAIN) =>
  create(IdentifierSchema, { resourceType, project: PROJECT, domain, name, version });

/**
 * The workflow versions: `workflows` spread over `namedEntities` names (some
 * archived) in the listed domain, and `pagedNames` more names in NAMES_DOMAIN.
 */
export async function seedNames(store: Store, scale: ListScale, compiled: CompiledWorkflowClosure, log: (s: string) => void): Promise<void> {
  let t = performance.now();
  const versions = Math.ceil(scale.workflows / scale.namedEntities);
  const digest = new Uint8Array(32);
  const bytes = toBinary(CompiledWorkflowClosureSchema, compiled);
  await parallel(scale.workflows, 8, async (i) => {
    const name = seededName(i % scale.namedEntities);
    const version = `v${Math.floor(i / scale.namedEntities)}`;
    await store.workflows.create({ id: ref(ResourceType.WORKFLOW, name, version), compiled: bytes, shortDescription: "" }, compiled.primary?.template?.interface, digest);
  });
  // Some names are archived, so the console's eq(state,0) filter has something to drop.
  for (let i = 1; i < scale.namedEntities; i += 100) {
    await store.namedEntities.updateMetadata(ResourceType.WORKFLOW, { project: PROJECT, domain: DOMAIN, name: seededName(i) }, {
      $typeName: "flyteidl.admin.NamedEntityMetadata",
      description: "",
      state: NamedEntityState.NAMED_ENTITY_ARCHIVED,
    });
  }
  log(`  ${scale.workflows} workflows (${versions} versions of ${scale.namedEntities} names) in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  t = performance.now();
  await parallel(scale.pagedNames, 8, async (i) => {
    await store.workflows.create({ id: ref(ResourceType.WORKFLOW, pagedName(i), "v1", NAMES_DOMAIN), compiled: bytes, shortDescription: "" }, compiled.primary?.template?.interface, digest);
  });
  log(`  ${scale.pagedNames} more workflow names in ${NAMES_DOMAIN} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

/**
 * Writes the history directly through the Store (the server is not running):
 * the workflow names (seedNames), executions of their
 * launch plans, and the node executions of the newest few executions.
 */
export async function seedLists(store: Store, scale: ListScale, compiled: CompiledWorkflowClosure, log: (s: string) => void): Promise<void> {
  await seedNames(store, scale, compiled, log);
  let t = performance.now();
  const BATCH = 5000;
  for (let from = 0; from < scale.executions; from += BATCH) {
    const batch: StoredExecution[] = [];
    for (let i = from; i < Math.min(scale.executions, from + BATCH); i++) batch.push(execution(i, nameOf(i, scale.namedEntities)));
    await store.executions.createMany(batch);
    if ((from / BATCH) % 40 === 39) log(`  ${from + BATCH} executions...`);
  }
  log(`  ${scale.executions} executions in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  t = performance.now();
  // The newest executions get the node executions (the ones a user opens).
  const withNodes = Math.ceil(scale.nodeExecutions / scale.nodesPerExecution);
  await parallel(scale.nodeExecutions, 8, async (k) => {
    const e = scale.executions - 1 - Math.floor(k / scale.nodesPerExecution);
    const n = k % scale.nodesPerExecution;
    await store.nodeExecutions.create(nodeExecution(seededExecution(e), e, n), {}, 2);
  });
  log(`  ${scale.nodeExecutions} node executions (${scale.nodesPerExecution} in each of ${withNodes} executions) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

/** The execution the node-execution list opens (the newest, which has nodes). */
export const listedExecution = (scale: ListScale) => seededExecution(scale.executions - 1);

function execution(i: number, name: string): StoredExecution {
  const created = new Date(BASE_MS + i * 1000);
  const started = timestampFromDate(new Date(created.getTime() + 2000));
  const lp = ref(ResourceType.LAUNCH_PLAN, name);
  const wf = ref(ResourceType.WORKFLOW, name);
  const id = { project: PROJECT, domain: DOMAIN, name: seededExecution(i) };
  const uri = `s3://bench-bucket/metadata/${PROJECT}/${DOMAIN}/${id.name}`;
  return {
    execution: create(ExecutionSchema, {
      id,
      spec: create(ExecutionSpecSchema, { launchPlan: lp, metadata: { principal: "bench", systemMetadata: { executionCluster: "" } } }),
      closure: create(ExecutionClosureSchema, {
        phase: Phase.SUCCEEDED,
        createdAt: timestampFromDate(created),
        updatedAt: timestampFromDate(new Date(created.getTime() + 60_000)),
        startedAt: started,
        duration: { seconds: 58n },
        outputResult: { case: "outputs", value: { data: { case: "uri", value: `${uri}/outputs` } } },
        workflowId: wf,
      }),
    }),
    launchPlan: lp,
    workflow: wf,
    launchEntity: "launch_plan",
    inputsUri: `${uri}/inputs`,
    userInputsUri: `${uri}/user_inputs`,
    user: "bench",
    cluster: "",
  };
}

function nodeExecution(execution: string, e: number, n: number) {
  const created = timestampFromDate(new Date(BASE_MS + e * 1000 + n * 10));
  const nodeId = `n${n}`;
  const prefix = `s3://bench-bucket/metadata/propeller/${execution}/${nodeId}`;
  return create(NodeExecutionSchema, {
    id: { nodeId, executionId: { project: PROJECT, domain: DOMAIN, name: execution } },
    inputUri: `${prefix}/inputs.pb`,
    closure: {
      phase: NodePhase.SUCCEEDED,
      createdAt: created,
      updatedAt: created,
      startedAt: created,
      duration: { seconds: 5n },
      outputResult: { case: "outputUri", value: `${prefix}/0/outputs.pb` },
    },
    metadata: { specNodeId: nodeId },
  });
}

/** Runs fn(0..count-1) with `width` in flight (PostgreSQL overlaps them; SQLite takes them in turn). */
async function parallel(count: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}
