import { AdminService } from "../gen/flyteidl/service/admin_pb.js";
import { Sort_Direction } from "../gen/flyteidl/admin/common_pb.js";
import { WorkflowExecution_Phase as Phase } from "../gen/flyteidl/core/execution_pb.js";
import { ResourceType } from "../gen/flyteidl/core/identifier_pb.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { type DescMethodUnary, fromBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { GrpcClient } from "./grpc-client.js";
import { drive, type LoadOptions, sequential } from "./load.js";
import {
  chainTasks,
  DOMAIN,
  executionRequest,
  launchPlanId,
  launchPlanRequest,
  PROJECT,
  propellerEvents,
  taskRequest,
  workflowRequest,
} from "./payloads.js";
import { HOT, type ListScale, listedExecution, NAMES_DOMAIN, seededName } from "./seed.js";
import { type Measured, mergeRounds, summarize } from "./stats.js";

const A = AdminService.method;
export const CHAIN = "bench.chain";

/** The project, the chain's tasks, workflow and launch plan every later phase uses. */
export async function registerChain(c: GrpcClient): Promise<void> {
  await c.call(A.registerProject, { project: { id: PROJECT, name: PROJECT } });
  for (const t of chainTasks("v1")) await c.call(A.createTask, t);
  await c.call(A.createWorkflow, workflowRequest(CHAIN, "v1", "v1"));
  await c.call(A.createLaunchPlan, launchPlanRequest(CHAIN, "v1"));
}

/**
 * GetTask of a stored task against Health/Check on the same connection and
 * concurrency, in two interleaved rounds so drift (other load on the
 * machine, JIT) hits both alike.
 */
export async function unaryOverhead(c: GrpcClient, seconds: number, cpu: () => number, concurrency = 16) {
  const taskId = chainTasks("v1")[0]!.id!;
  const noop = () => c.raw(Health.method.check, { service: "flyteadmin" });
  const getTask = () => c.raw(A.getTask, { id: taskId });
  await drive(noop, { concurrency, durationMs: 1000 });
  await drive(getTask, { concurrency, durationMs: 1000 });
  const rounds: Record<"noop" | "getTask", Measured[]> = { noop: [], getTask: [] };
  for (let r = 0; r < 2; r++) {
    rounds.noop.push(await drive(noop, { concurrency, durationMs: seconds * 1000, cpu }));
    rounds.getTask.push(await drive(getTask, { concurrency, durationMs: seconds * 1000, cpu }));
  }
  const noopM = mergeRounds(rounds.noop);
  const getM = mergeRounds(rounds.getTask);
  return { concurrency, noop: noopM, getTask: getM, ratio: getM.perSecond / noopM.perSecond, cpuRatio: noopM.serverCpuMsPerCall! / getM.serverCpuMsPerCall! };
}

/** CreateTask, CreateWorkflow (10 nodes, compiled) and CreateExecution (inputs written to blob storage), each with unique ids. */
export async function writePaths(
  c: GrpcClient,
  sizes: { createTasks: number; createWorkflows: number; createExecutions: number },
  cpu?: () => number,
  concurrency = 8,
) {
  const opts = (total: number) => ({ concurrency, total, ...(cpu ? { cpu } : {}) });
  const createTask = await drive((i) => c.raw(A.createTask, taskRequest(`w_${i}`, "v1")), opts(sizes.createTasks));
  const createWorkflow = await drive((i) => c.raw(A.createWorkflow, workflowRequest(CHAIN, `w${i}`, "v1")), opts(sizes.createWorkflows));
  const createExecution = await createExecutions(c, opts(sizes.createExecutions));
  return { concurrency, createTask, createWorkflow, createExecution };
}

/** Executions e0, e1, ... of the chain's launch plan, the ones eventIngestion plays events for. */
export function createExecutions(c: GrpcClient, options: LoadOptions) {
  const lp = launchPlanId(CHAIN, "v1");
  return drive((i) => c.raw(A.createExecution, executionRequest(`e${i}`, lp, i)), options);
}

/**
 * flytepropeller's pattern: `inFlight` executions progress at once, each
 * reporting its nodes' events in order. The executions (e0, e1, ... from
 * writePaths) are first marked RUNNING (not timed); the timed part is node
 * and task events only.
 */
export async function eventIngestion(c: GrpcClient, executions: number, cpu?: () => number, inFlight = 64) {
  const t0 = Date.parse("2026-06-01T00:00:00Z");
  await drive(
    (i) => c.call(A.createWorkflowEvent, { event: { executionId: { project: PROJECT, domain: DOMAIN, name: `e${i}` }, phase: Phase.RUNNING, occurredAt: timestampFromDate(new Date(t0)), producerId: "propeller" } }),
    { concurrency: 16, total: executions },
  );
  const plans = Array.from({ length: executions }, (_, i) => propellerEvents(`e${i}`, "v1", t0 + 1000));
  const latencies: number[] = [];
  let events = 0;
  const cpuBefore = cpu?.();
  const started = performance.now();
  await drive(
    async (i) => {
      for (const e of plans[i]!) {
        const t = performance.now();
        if ("node" in e) await c.raw(A.createNodeEvent, e.node);
        else await c.raw(A.createTaskEvent, e.task);
        latencies.push(performance.now() - t);
        events++;
      }
    },
    { concurrency: inFlight, total: executions },
  );
  const measured = summarize(latencies, (performance.now() - started) / 1000, events);
  if (cpuBefore !== undefined) measured.serverCpuMsPerCall = ((cpu!() - cpuBefore) * 1000) / events;
  return { executions, inFlight, ...measured };
}

/** The list calls the Flyte console makes (shared/spec/console-calls.txt), against the seeded history. */
export function consoleLists(scale: ListScale): Record<string, { method: DescMethodUnary; input: object; targetP99Ms?: number }> {
  const desc = { key: "created_at", direction: Sort_Direction.DESCENDING };
  const scope = { project: PROJECT, domain: DOMAIN };
  const byLaunchPlan = (name: string) => `eq(launch_plan.name,${name})+eq(launch_plan.project,${PROJECT})+eq(launch_plan.domain,${DOMAIN})`;
  const byWorkflow = (name: string) => `eq(workflow.name,${name})+eq(workflow.project,${PROJECT})+eq(workflow.domain,${DOMAIN})`;
  const typical = seededName(Math.floor(scale.namedEntities / 2) + 1);
  return {
    "ListProjects": { method: A.listProjects, input: {} },
    "ListExecutions of the project, limit 100, created_at desc": { method: A.listExecutions, input: { id: scope, limit: 100, sortBy: desc } },
    "ListExecutions by launch plan (busy), limit 100": { method: A.listExecutions, input: { id: scope, filters: byLaunchPlan(HOT), limit: 100, sortBy: desc } },
    "ListExecutions by launch plan (typical), limit 100": { method: A.listExecutions, input: { id: scope, filters: byLaunchPlan(typical), limit: 100, sortBy: desc } },
    "ListExecutions by workflow (busy), limit 100": { method: A.listExecutions, input: { id: scope, filters: byWorkflow(HOT), limit: 100, sortBy: desc } },
    "ListNamedEntities workflows eq(state,0), limit 10000, name asc": {
      method: A.listNamedEntities,
      input: { resourceType: ResourceType.WORKFLOW, ...scope, filters: "eq(state,0)", limit: 10000, sortBy: { key: "name", direction: Sort_Direction.ASCENDING } },
      // The console's whole list of names is one answer of thousands: its target is its own.
      targetP99Ms: 40,
    },
    [`ListNamedEntities workflows eq(state,0), page of 100 at ${scale.pagedNames.toLocaleString("en-US")} names, name asc`]: {
      method: A.listNamedEntities,
      input: { resourceType: ResourceType.WORKFLOW, project: PROJECT, domain: NAMES_DOMAIN, filters: "eq(state,0)", limit: 100, sortBy: { key: "name", direction: Sort_Direction.ASCENDING } },
    },
    "ListWorkflows latest version (limit 1, created_at desc)": { method: A.listWorkflows, input: { id: { ...scope, name: HOT }, limit: 1, sortBy: desc } },
    "ListNodeExecutions of one execution, limit 10000, created_at asc": {
      method: A.listNodeExecutions,
      input: { workflowExecutionId: { ...scope, name: listedExecution(scale) }, limit: 10000, sortBy: { key: "created_at", direction: Sort_Direction.ASCENDING } },
    },
  };
}

/**
 * Each list call `calls` times, one at a time (latency, not queueing). The
 * answer is timed as received, not decoded: decoding 10,000 entities is the
 * client's cost. It is decoded once to count the items.
 */
export async function listLatencies(c: GrpcClient, scale: ListScale, calls: number, cpu?: () => number, only?: (name: string) => boolean) {
  const out: Record<string, Measured & { items: number; targetP99Ms: number }> = {};
  for (const [name, { method, input, targetP99Ms = 20 }] of Object.entries(consoleLists(scale))) {
    if (only && !only(name)) continue;
    const answer = fromBinary(method.output, await c.raw(method, input as never)) as unknown as Record<string, unknown>;
    const items = Object.values(answer).find(Array.isArray)?.length ?? 0;
    out[name] = { ...(await sequential(() => c.raw(method, input as never), calls, cpu)), items, targetP99Ms };
  }
  return out;
}
