// The replica rows: two server processes on one PostgreSQL database with
// flytepropeller's events for the same executions spread over both (as a
// load balancer would), against one server on the same database in the
// same run. Only with --postgres: SQLite is one process's file.
import { AdminService } from "../gen/flyteidl/service/admin_pb.js";
import { fanoutExecution, fanoutRegistration, type PropellerEvent, propellerStreams } from "../test/fixtures/propeller-streams.js";
import { seededRandom } from "../test/helpers/seeded-random.js";
import { type GrpcClient, grpcClient, GrpcError } from "./grpc-client.js";
import { PROJECT } from "./payloads.js";
import type { ServerProcess } from "./server-process.js";
import { type Measured, round, summarize } from "./stats.js";

const A = AdminService.method;
/** Nodes per execution (one stream of events each, concurrent as propeller runs them). */
const WIDTH = 10;
/** Executions reporting at once. */
const IN_FLIGHT = 16;
/** Refusals the sequential order also produces (a late task event: FAILED_PRECONDITION); anything else fails the run. */
const EXPECTED_REFUSALS = new Set([9]);

export interface ReplicaRows {
  executions: number;
  width: number;
  inFlight: number;
  /** One server gets every event. */
  one: Measured;
  /** Two servers, each event to either at random; CPU per call is the sum of both processes'. */
  two: Measured;
}

/**
 * `start` starts a server process on the run's PostgreSQL database (the
 * project already registered, or not: it is registered here if missing).
 */
export async function measureReplicas(options: { executions: number; start: () => Promise<ServerProcess>; log: (s: string) => void }): Promise<ReplicaRows> {
  const { executions, log } = options;
  log("replicas: two servers on one database...");
  const servers = await Promise.all([options.start(), options.start()]);
  const clients = servers.map((s) => grpcClient(s.url));
  try {
    await register(clients[0]!);
    const cpu = (which: ServerProcess[]) => () => which.reduce((sum, s) => sum + s.cpuSeconds(), 0);
    // A warm-up on both, then two interleaved rounds of each, so neither pays for the other's JIT or for load that came and went.
    await play(clients, "warm", Math.min(32, executions), cpu(servers));
    const half = Math.ceil(executions / 2);
    const rounds: Record<"one" | "two", Measured[]> = { one: [], two: [] };
    for (let r = 0; r < 2; r++) {
      rounds.one.push(await play([clients[0]!], `one${r}`, half, cpu(servers)));
      rounds.two.push(await play(clients, `two${r}`, half, cpu(servers)));
    }
    return { executions: 2 * half, width: WIDTH, inFlight: IN_FLIGHT, one: merge(rounds.one), two: merge(rounds.two) };
  } finally {
    for (const c of clients) c.close();
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/** Rounds as one: counts and times add up; the quantiles are the worse round's (conservative). */
function merge(ms: Measured[]): Measured {
  const count = ms.reduce((a, m) => a + m.count, 0);
  const seconds = ms.reduce((a, m) => a + m.seconds, 0);
  const cpuMs = ms.reduce((a, m) => a + m.serverCpuMsPerCall! * m.count, 0);
  return { count, seconds, perSecond: count / seconds, p50Ms: Math.max(...ms.map((m) => m.p50Ms)), p99Ms: Math.max(...ms.map((m) => m.p99Ms)), serverCpuMsPerCall: cpuMs / count };
}

async function register(c: GrpcClient): Promise<void> {
  await c.call(A.registerProject, { project: { id: PROJECT, name: PROJECT } }).catch(ignore(6));
  const { task, workflow, launchPlan } = fanoutRegistration(WIDTH);
  await c.call(A.createTask, task).catch(ignore(6));
  await c.call(A.createWorkflow, workflow).catch(ignore(6));
  await c.call(A.createLaunchPlan, launchPlan).catch(ignore(6));
}

const ignore = (status: number) => (e: unknown) => {
  if (!(e instanceof GrpcError && e.status === status)) throw e;
};

/**
 * Creates `executions` executions of the fan-out (not timed), then plays
 * their events: IN_FLIGHT executions at once, each one's node streams
 * concurrently, every event to a client chosen at random.
 */
async function play(clients: GrpcClient[], prefix: string, executions: number, cpu: () => number): Promise<Measured> {
  const rng = seededRandom(prefix.length * 1000 + executions);
  const pick = () => clients[Math.floor(rng() * clients.length)]!;
  const t0 = Date.parse("2026-07-01T00:00:00Z");
  const plans = Array.from({ length: executions }, (_, i) => propellerStreams(`rep-${prefix}-${i}`, WIDTH, t0 + i * 60_000));
  for (let i = 0; i < plans.length; i += 16) await Promise.all(plans.slice(i, i + 16).map((p) => pick().call(A.createExecution, fanoutExecution(p.name))));
  const latencies: number[] = [];
  const sendAll = async (events: PropellerEvent[]) => {
    for (const e of events) {
      const t = performance.now();
      await send(pick(), e).catch((err: unknown) => {
        if (!(err instanceof GrpcError && EXPECTED_REFUSALS.has(err.status))) throw err;
      });
      latencies.push(performance.now() - t);
    }
  };
  let next = 0;
  const cpuBefore = cpu();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < plans.length) {
        const plan = plans[next++]!;
        await sendAll(plan.first);
        await Promise.all(plan.streams.map(sendAll));
        await sendAll(plan.last);
      }
    }),
  );
  const measured = summarize(latencies, (performance.now() - started) / 1000);
  measured.serverCpuMsPerCall = ((cpu() - cpuBefore) * 1000) / measured.count;
  return measured;
}

function send(c: GrpcClient, e: PropellerEvent): Promise<Uint8Array> {
  if (e.kind === "workflow") return c.raw(A.createWorkflowEvent, e.request);
  if (e.kind === "node") return c.raw(A.createNodeEvent, e.request);
  return c.raw(A.createTaskEvent, e.request);
}

/** Rows for the benchmark's Markdown table (same five columns). */
export function replicaRows(r: ReplicaRows): string[][] {
  const rate = (n: number) => `${Math.round(n).toLocaleString("en-US")}/s`;
  const ms = (n: number) => `${round(n)} ms`;
  const what = `${r.one.count.toLocaleString("en-US")} workflow, node and task events of ${r.executions} executions (${r.width} nodes each), ${r.inFlight} in flight`;
  return [
    ["events, one server", rate(r.one.perSecond), `${ms(r.one.p50Ms)} / ${ms(r.one.p99Ms)}`, ms(r.one.serverCpuMsPerCall!), what],
    [
      "events, two servers on one database",
      rate(r.two.perSecond),
      `${ms(r.two.p50Ms)} / ${ms(r.two.p99Ms)}`,
      ms(r.two.serverCpuMsPerCall!),
      `each event to either at random; CPU is both processes'; vs one server: events/s ${round(r.two.perSecond / r.one.perSecond)}×, CPU per event ${round(r.two.serverCpuMsPerCall! / r.one.serverCpuMsPerCall!)}×`,
    ],
  ];
}
