// `npm run bench`: starts the real server as a child process on a fresh
// database, drives it over gRPC from this process, prints a table and writes
// the results as JSON. See README.md "Benchmark".
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, totalmem, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { ResourceType } from "../gen/flyteidl/core/identifier_pb.js";
import { AdminService } from "../gen/flyteidl/service/admin_pb.js";
import { packageRoot } from "../src/paths.js";
import { openStore } from "../src/storage/open-store.js";
import { rawEventInserts } from "./event-baseline.js";
import { grpcClient } from "./grpc-client.js";
import { parseOptions, SIZES } from "./options.js";
import { CHAIN, createExecutions, eventIngestion, listLatencies, registerChain, unaryOverhead, writePaths } from "./phases.js";
import { measureEngine } from "./engine-run.js";
import { measureFloor } from "./floor.js";
import { noopBaseline } from "./noop-baseline.js";
import type { EngineResults } from "./engine-report.js";
import { engineRows } from "./engine-report.js";
import { createBenchDatabase } from "./postgres-database.js";
import { eventRow, floorRows, listRows, render, table, writeRows } from "./report.js";
import { measureNames } from "./names-run.js";
import { consoleRows, measureConsole } from "./console-run.js";
import { DOMAIN, PROJECT } from "./payloads.js";
import { seedLists } from "./seed.js";
import { measureReplicas, type ReplicaRows, replicaRows } from "./replicas.js";
import { measureScheduler, schedulerRows } from "./scheduler-run.js";
import { type AuthResults, authRows, measureAuth } from "./auth-run.js";
import { rssSampler, type ServerOptions, type ServerProcess, startServerProcess } from "./server-process.js";

const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const sizes = SIZES[options.scale];
  const root = packageRoot();
  if (options.build) {
    log("building dist/ (npm run build)...");
    // The server runs compiled; a type error elsewhere still emits, so only a missing build is fatal.
    const built = spawnSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
    if (built.status !== 0) log("warning: `npm run build` reported errors; running what it emitted");
  }
  const dir = mkdtempSync(join(tmpdir(), "flyteadmin-bench-"));
  const pg = options.postgres ? await createBenchDatabase(options.postgres) : undefined;
  const database = pg?.url ?? join(dir, "admin.db");
  // The engine is off except for its own rows: the other rows measure the API alone.
  const server = (args = ["--engine", "none"]): ServerOptions => ({
    database,
    dataDir: dir,
    args,
    ...(options.profileDir ? { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`] } : {}),
  });
  const started = performance.now();
  // Stopped in any case, so a failed run leaves no server behind.
  const servers: ServerProcess[] = [];
  const start = async (args?: string[]) => {
    const s = await startServerProcess(server(args));
    servers.push(s);
    return s;
  };
  try {
    log(`scale ${options.scale} on ${pg ? `PostgreSQL ${pg.version}` : "SQLite"}; data in ${dir}`);
    const databaseName = pg ? `PostgreSQL ${pg.version}` : `SQLite ${sqliteVersion()}`;
    const engineRowsOf = () => measureEngine({ dir, sizes, start, log });
    const replicaRowsOf = () => measureReplicas({ executions: sizes.replicaExecutions, start, log });
    // A group of rows alone: its own results file and table.
    const alone = (what: string, key: string, value: object, rows: string[][]) => {
      const results = { scale: options.scale, database: databaseName, machine: machine(), date: new Date().toISOString(), [key]: value, totalSeconds: (performance.now() - started) / 1000 };
      const out = resolve(root, options.out);
      mkdirSync(join(out, ".."), { recursive: true });
      writeFileSync(out, JSON.stringify(results, null, 2) + "\n");
      const m = results.machine;
      process.stdout.write(`\n${render(rows)}\n\n${results.scale} ${what} rows on ${databaseName}, ${m.cpus} × ${m.cpuModel}, Node ${m.node.slice(1)}; ${Math.round(results.totalSeconds)} s\nwritten to ${options.out}\n`);
    };
    if (options.only === "replicas") {
      const replicas = await replicaRowsOf();
      return alone("replica", "replicas", replicas, replicaRows(replicas));
    }
    if (options.only === "engine") {
      const engine = await engineRowsOf();
      return alone("engine", "engine", engine, engineRows(engine));
    }
    if (options.only === "console") {
      const results = await measureConsole({ start: (args) => start(args), runs: 5, log });
      return alone("console", "console", results, consoleRows(results));
    }
    if (options.only === "names") {
      const names = await measureNames({ database, sizes, start, log, ...(pg ? { analyze: pg.analyze } : {}) });
      return alone(`named-entity (seeding ${Math.round(names.seedSeconds)} s)`, "names", names, listRows(names.calls, names.noopCpuMs));
    }
    if (options.only === "scheduler") {
      const scheduler = await measureScheduler({ database, dataDir: dir, schedules: sizes.schedules, firing: sizes.firingSchedules, log });
      return alone("scheduler", "scheduler", scheduler, schedulerRows(scheduler));
    }
    const authRowsOf = () => measureAuth({ dir, seconds: sizes.unarySeconds, log, ...(options.profileDir ? { nodeArgs: server().nodeArgs! } : {}) });
    if (options.only === "auth") {
      const auth = await authRowsOf();
      return alone("authentication", "auth", auth, authRows(auth));
    }
    if (options.only === "events") {
      const one = await start();
      const admin = grpcClient(one.url);
      await registerChain(admin);
      log(`creating ${sizes.eventExecutions} executions...`);
      await createExecutions(admin, { concurrency: 8, total: sizes.eventExecutions });
      const noop = await noopBaseline(admin, one.cpuSeconds);
      log("event ingestion...");
      const events = await noop.bracket(() => eventIngestion(admin, sizes.eventExecutions, one.cpuSeconds));
      admin.close();
      return alone("event", "events", events, [eventRow(events)]);
    }
    const first = await start();
    await sleep(1000); // let start-up garbage settle before reading idle memory
    const idleRssMb = first.rssMb();
    const admin = grpcClient(first.url);
    await registerChain(admin);
    if (options.only === "writes") {
      const noop = await noopBaseline(admin, first.cpuSeconds);
      const writes = await noop.bracket(() => writePaths(admin, sizes, first.cpuSeconds));
      admin.close();
      return alone("write", "writes", writes, writeRows(writes));
    }
    const sampler = rssSampler(first);
    log("unary: GetTask against Health/Check...");
    const unary = await unaryOverhead(admin, sizes.unarySeconds, first.cpuSeconds);
    const floor = await measureFloor({ ours: first, seconds: sizes.unarySeconds, log, ...(options.profileDir ? { nodeArgs: server().nodeArgs! } : {}) });
    if (options.only === "floor") {
      admin.close();
      return alone("floor", "floor", { unary, floor }, floorRows(unary, floor));
    }
    // Two servers of their own (authentication off and on), while the first idles.
    const auth = await authRowsOf();
    // Each phase's CPU is compared with the no-op's just before and after it: load on a shared machine drifts between phases.
    const noop = await noopBaseline(admin, first.cpuSeconds);
    log("write paths...");
    const writes = await noop.bracket(() => writePaths(admin, sizes, first.cpuSeconds));
    log("event ingestion...");
    const events = await noop.bracket(() => eventIngestion(admin, Math.min(sizes.eventExecutions, sizes.createExecutions), first.cpuSeconds));
    const loadRssMb = sampler.stop();
    const chain = await admin.call(AdminService.method.getWorkflow, { id: { resourceType: ResourceType.WORKFLOW, project: PROJECT, domain: DOMAIN, name: CHAIN, version: "v1" } });
    admin.close();
    await first.stop();
    log("raw better-sqlite3 baseline...");
    const eventBaseline = rawEventInserts(dir, Math.min(sizes.eventExecutions, sizes.createExecutions));
    // Two servers on the one database; SQLite is one process's file.
    const replicas = pg ? await replicaRowsOf() : undefined;
    const engineStarted = performance.now();
    const engine = options.only === "api" ? undefined : await engineRowsOf();
    const engineSeconds = (performance.now() - engineStarted) / 1000;

    log("seeding list history through the Store...");
    const seedStarted = performance.now();
    const store = await openStore(database);
    await seedLists(store, sizes.lists, chain.closure!.compiledWorkflow!, log);
    await store.close();
    await pg?.analyze();
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    const second = await start();
    log("console list calls...");
    const lister = grpcClient(second.url);
    const listNoop = await noopBaseline(lister, second.cpuSeconds);
    const lists = await listNoop.bracket(async () => ({ calls: await listLatencies(lister, sizes.lists, sizes.listCalls, second.cpuSeconds) }));
    lister.close();
    const listsRssMb = second.rssMb();
    await second.stop();

    const results = {
      scale: options.scale,
      database: databaseName,
      machine: machine(),
      date: new Date().toISOString(),
      unary: { ...unary, noopCall: "grpc.health.v1.Health/Check" },
      floor,
      auth,
      writes,
      events,
      eventBaseline,
      lists: { seeded: sizes.lists, seedSeconds, ...lists },
      ...(engine ? { engine: { ...engine, seconds: engineSeconds } } : {}),
      ...(replicas ? { replicas } : {}),
      footprint: { startupMs: first.startupMs, startupSeededMs: second.startupMs, idleRssMb, loadRssMb, listsRssMb },
      totalSeconds: (performance.now() - started) / 1000,
    };
    const out = resolve(root, options.out); // an absolute --out is kept as given
    mkdirSync(join(out, ".."), { recursive: true });
    writeFileSync(out, JSON.stringify(results, null, 2) + "\n");
    process.stdout.write(`\n${table(results)}\n\n${describe(results)}\nwritten to ${options.out}\n`);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
    await pg?.drop();
  }
}

export type Results = {
  scale: string;
  database: string;
  machine: ReturnType<typeof machine>;
  unary: Awaited<ReturnType<typeof unaryOverhead>>;
  floor?: Awaited<ReturnType<typeof measureFloor>>;
  auth?: AuthResults;
  writes: Awaited<ReturnType<typeof writePaths>> & { noopCpuMs?: number };
  events: Awaited<ReturnType<typeof eventIngestion>> & { noopCpuMs?: number };
  eventBaseline: ReturnType<typeof rawEventInserts>;
  lists: { seeded: object; seedSeconds: number; calls: Awaited<ReturnType<typeof listLatencies>>; noopCpuMs?: number };
  engine?: EngineResults & { seconds: number };
  replicas?: ReplicaRows;
  footprint: { startupMs: number; startupSeededMs: number; idleRssMb: number; loadRssMb: number; listsRssMb: number };
  totalSeconds: number;
};

function machine() {
  const cpu = cpus();
  return { cpus: cpu.length, cpuModel: cpu[0]?.model ?? "", memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform} ${process.arch}` };
}

function sqliteVersion(): string {
  const db = new Database(":memory:");
  try {
    return (db.prepare("select sqlite_version() as v").get() as { v: string }).v;
  } finally {
    db.close();
  }
}

function describe(r: Results): string {
  const m = r.machine;
  return `${r.scale} run on ${r.database}, ${m.cpus} × ${m.cpuModel}, ${m.memoryGb} GB, Node ${m.node.slice(1)}, ${m.platform}; ${Math.round(r.totalSeconds)} s in all (seeding ${Math.round(r.lists.seedSeconds)} s${r.engine ? `, engine rows ${Math.round(r.engine.seconds)} s` : ""})`;
}

main().catch((e: unknown) => {
  log(String((e as Error)?.stack ?? e));
  process.exit(1);
});
