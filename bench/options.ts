import { parseArgs } from "node:util";
import type { ListScale } from "./seed.js";

/** The row groups `--only` can run alone. */
export const ONLY_ROWS = ["engine", "api", "events", "writes", "replicas", "floor", "names", "console", "scheduler", "auth"] as const;
export type OnlyRows = (typeof ONLY_ROWS)[number];

export interface BenchOptions {
  scale: "small" | "full";
  /** A PostgreSQL server URL; the run gets a database of its own there. */
  postgres?: string;
  /** Where the JSON results go. */
  out: string;
  /** A folder for the server's V8 CPU profiles (node --cpu-prof). */
  profileDir?: string;
  /** Rebuild dist/ before starting (the server runs compiled). */
  build: boolean;
  /** Run only these rows (`engine`: the local engine's; `api`: all but the engine's; `events`: CreateNodeEvent + CreateTaskEvent; `writes`: CreateTask, CreateWorkflow and CreateExecution; `replicas`: two servers on one PostgreSQL; `floor`: Health/Check against bare connect-node and grpc-js; `names`: ListNamedEntities'; `console`: the execution page in Chromium; `scheduler`: the in-process scheduler over many active schedules; `auth`: GetTask with authentication off and on), on a fresh database. */
  only?: OnlyRows;
}

/** How much work each phase does at a scale. */
export interface Sizes {
  /** Seconds each of GetTask and the no-op runs, per round (two rounds, interleaved). */
  unarySeconds: number;
  createTasks: number;
  createWorkflows: number;
  createExecutions: number;
  /** Executions whose events are played back (50 node and task events each). */
  eventExecutions: number;
  lists: ListScale;
  /** Calls of each list shape. */
  listCalls: number;
  /** Engine rows: executions of each echo workflow run one after another... */
  engineSequential: number;
  /** ...and created at once (the 20-node chain; the 50-wide fan-out as many nodes in all). */
  engineInFlight: number;
  /** Elements of the map task row (the largest) and of the smaller maps it is compared with. */
  engineMapElements: number[];
  /** Executions of each map, one after another (each is hundreds of nodes' work already). */
  engineMapRuns: number;
  /** Nodes of the chain whose every node is a cache hit. */
  engineCachedNodes: number;
  /** Runs of flytekit's hello through pyflyte-execute. */
  realTaskRuns: number;
  /** Executions of the 10-node fan-out whose events each replica row plays (PostgreSQL only). */
  replicaExecutions: number;
  /** Active schedules the scheduler rows hold, and how many of them fall due in the same minute. */
  schedules: number;
  firingSchedules: number;
}

export const SIZES: Record<BenchOptions["scale"], Sizes> = {
  small: {
    unarySeconds: 2,
    createTasks: 300,
    createWorkflows: 100,
    createExecutions: 300,
    eventExecutions: 200,
    lists: { executions: 20_000, nodeExecutions: 2_000, nodesPerExecution: 100, workflows: 1_000, namedEntities: 200, pagedNames: 2_000 },
    listCalls: 50,
    engineSequential: 3,
    engineInFlight: 20,
    engineMapElements: [250, 1_000],
    engineMapRuns: 3,
    engineCachedNodes: 20,
    realTaskRuns: 1,
    replicaExecutions: 48,
    schedules: 1_000,
    firingSchedules: 100,
  },
  full: {
    unarySeconds: 6,
    createTasks: 3_000,
    createWorkflows: 1_000,
    createExecutions: 3_000,
    eventExecutions: 2_000,
    lists: { executions: 1_000_000, nodeExecutions: 100_000, nodesPerExecution: 100, workflows: 50_000, namedEntities: 10_000, pagedNames: 100_000 },
    listCalls: 300,
    engineSequential: 10,
    engineInFlight: 100,
    engineMapElements: [250, 1_000],
    engineMapRuns: 5,
    engineCachedNodes: 20,
    realTaskRuns: 3,
    replicaExecutions: 300,
    schedules: 10_000,
    firingSchedules: 1_000,
  },
};

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      scale: { type: "string", default: "full" },
      postgres: { type: "string" },
      out: { type: "string" },
      "cpu-prof": { type: "string" },
      "no-build": { type: "boolean", default: false },
      only: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`npm run bench -- [--scale small|full] [--postgres postgres://user@host:5432/db] [--out file.json] [--cpu-prof dir] [--no-build] [--only ${ONLY_ROWS.join("|")}]\n`);
    process.exit(0);
  }
  if (values.scale !== "small" && values.scale !== "full") throw new Error(`--scale must be small or full, got ${values.scale}`);
  if (values.only !== undefined && !(ONLY_ROWS as readonly string[]).includes(values.only)) throw new Error(`--only must be one of ${ONLY_ROWS.join(", ")}, got ${values.only}`);
  if (values.only === "replicas" && !values.postgres) throw new Error("--only replicas needs --postgres (replicas share a PostgreSQL database)");
  const suffix = `${values.only ? `.${values.only}` : ""}${values.scale === "small" ? ".small" : ""}${values.postgres ? ".postgres" : ""}`;
  return {
    scale: values.scale,
    ...(values.postgres ? { postgres: values.postgres } : {}),
    out: values.out ?? `bench/results${suffix}.json`,
    ...(values["cpu-prof"] ? { profileDir: values["cpu-prof"] } : {}),
    build: !values["no-build"],
    ...(values.only ? { only: values.only as OnlyRows } : {}),
  };
}
