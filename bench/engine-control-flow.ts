// The engine rows of control-flow nodes: a map task (array node) over
// many elements of the echo task, and a chain of cacheable echo tasks run
// again on the same inputs, every node a cache hit. Timed by the server's
// timestamps, their CPU compared with the no-op's measured around each row.
import { CatalogCacheStatus } from "../gen/flyteidl/core/catalog_pb.js";
import { AdminService } from "../gen/flyteidl/service/admin_pb.js";
import {
  cachedChainExecutionRequest,
  cachedChainLaunchPlanRequest,
  cachedChainWorkflowRequest,
  cachedTaskRequest,
  mapExecutionRequest,
  mapLaunchPlanRequest,
  mapTaskRequest,
  mapWorkflowRequest,
} from "./engine-control-payloads.js";
import { DOMAIN, ENGINE_PROJECT } from "./engine-payloads.js";
import { waitForEnd, wallOf } from "./engine-phases.js";
import type { GrpcClient } from "./grpc-client.js";
import type { NoopBaseline } from "./noop-baseline.js";
import { quantile } from "./stats.js";

const A = AdminService.method;

/** Executions of a map over `elements` elements, one after another. */
export interface MapRun {
  elements: number;
  workflows: number;
  /** Each execution's wall, CreateExecution to SUCCEEDED (server timestamps), in run order. */
  wallMs: number[];
  workflowP50Ms: number;
  /** Engine time per element: the median wall / the elements. */
  msPerElement: number;
  /** The server's CPU over the runs (CreateExecution, the engine, its events, the polls) per element. */
  serverCpuMsPerElement: number;
  polls: number;
  /** Health/Check's server CPU per call around this row. */
  noopCpuMs: number;
}

/** Executions of a chain whose every node is a cache hit, one after another. */
export interface CacheHitRun {
  nodes: number;
  workflows: number;
  /** The run that populated the cache (every node ran its task). */
  populateMs: number;
  wallMs: number[];
  workflowP50Ms: number;
  msPerNode: number;
  serverCpuMsPerNode: number;
  polls: number;
  noopCpuMs: number;
}

export interface ControlFlow {
  maps: MapRun[];
  cacheHit: CacheHitRun;
}

export interface ControlFlowSizes {
  /** Executions of the cache-hit chain, one after another. */
  engineSequential: number;
  /** Element counts of the map row; the largest is the row, the smaller ones show how the cost grows. */
  engineMapElements: number[];
  /** Executions of each map, one after another. */
  engineMapRuns: number;
  /** Nodes of the cache-hit chain. */
  engineCachedNodes: number;
}

/** Registers the shapes, then measures the map at each size and the cache-hit chain. */
export async function controlFlowRows(c: GrpcClient, sizes: ControlFlowSizes, cpu: () => number, noop: NoopBaseline, log: (s: string) => void): Promise<ControlFlow> {
  await c.call(A.createTask, mapTaskRequest());
  await c.call(A.createWorkflow, mapWorkflowRequest());
  await c.call(A.createLaunchPlan, mapLaunchPlanRequest());
  await c.call(A.createTask, cachedTaskRequest());
  await c.call(A.createWorkflow, cachedChainWorkflowRequest(sizes.engineCachedNodes));
  await c.call(A.createLaunchPlan, cachedChainLaunchPlanRequest(sizes.engineCachedNodes));
  let seq = 0;
  const name = (prefix: string) => `${prefix}${seq++}`;

  // Unmeasured first: the array node's code paths compile on first use.
  await runMaps(c, Math.min(...sizes.engineMapElements), 1, cpu, () => name("map"));
  const maps: MapRun[] = [];
  for (const elements of [...sizes.engineMapElements].sort((a, b) => a - b)) {
    log(`engine: map task over ${elements.toLocaleString("en-US")} elements, 1 in flight...`);
    maps.push(await noop.bracket(() => runMaps(c, elements, sizes.engineMapRuns, cpu, () => name("map"))));
  }

  log(`engine: ${sizes.engineCachedNodes}-node chain of cache hits, 1 in flight...`);
  const length = sizes.engineCachedNodes;
  // The same x throughout: the first run populates every node's entry, every later run hits them all.
  const x = 7;
  const populate = name("hit");
  await c.call(A.createExecution, cachedChainExecutionRequest(length, populate, x));
  const populateMs = wallOf((await waitForEnd(c, populate)).closure, populate);
  const cacheHit = await noop.bracket(async () => {
    const walls: number[] = [];
    let polls = 0;
    let last = "";
    const before = cpu();
    for (let i = 0; i < sizes.engineSequential; i++) {
      last = name("hit");
      await c.call(A.createExecution, cachedChainExecutionRequest(length, last, x));
      const end = await waitForEnd(c, last);
      polls += end.polls;
      walls.push(wallOf(end.closure, last));
    }
    const cpuMs = (cpu() - before) * 1000;
    await expectAllHits(c, last, length);
    const p50 = quantile([...walls].sort((a, b) => a - b), 0.5);
    return { nodes: length, workflows: walls.length, populateMs, wallMs: walls, workflowP50Ms: p50, msPerNode: p50 / length, serverCpuMsPerNode: cpuMs / (length * walls.length), polls };
  });
  return { maps, cacheHit };
}

async function runMaps(c: GrpcClient, elements: number, count: number, cpu: () => number, name: () => string): Promise<Omit<MapRun, "noopCpuMs">> {
  const walls: number[] = [];
  let polls = 0;
  const before = cpu();
  for (let i = 0; i < count; i++) {
    const n = name();
    await c.call(A.createExecution, mapExecutionRequest(n, elements, i * elements));
    const end = await waitForEnd(c, n);
    polls += end.polls;
    walls.push(wallOf(end.closure, n));
  }
  const cpuMs = (cpu() - before) * 1000;
  const p50 = quantile([...walls].sort((a, b) => a - b), 0.5);
  return { elements, workflows: count, wallMs: walls, workflowP50Ms: p50, msPerElement: p50 / elements, serverCpuMsPerElement: cpuMs / (elements * count), polls };
}

/** The row measures hits only if every task node of the run was one: otherwise it fails rather than mislead. */
async function expectAllHits(c: GrpcClient, execution: string, nodes: number): Promise<void> {
  const { nodeExecutions } = await c.call(A.listNodeExecutions, { workflowExecutionId: { project: ENGINE_PROJECT, domain: DOMAIN, name: execution }, limit: nodes + 10 });
  const tasks = nodeExecutions.filter((ne) => /^n\d+$/.test(ne.id?.nodeId ?? ""));
  const missed = tasks.filter((ne) => {
    const m = ne.closure?.targetMetadata;
    return m?.case !== "taskNodeMetadata" || m.value.cacheStatus !== CatalogCacheStatus.CACHE_HIT;
  });
  if (tasks.length !== nodes || missed.length > 0) {
    throw new Error(`engine: cache-hit run ${execution} had ${tasks.length} task nodes, ${missed.length} of them not cache hits (${missed.map((ne) => ne.id?.nodeId).join(", ")})`);
  }
}
