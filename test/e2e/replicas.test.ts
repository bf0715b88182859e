import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toJson } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutionSchema } from "../../gen/flyteidl/admin/execution_pb.js";
import { LaunchPlanState } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import { NodeExecutionSchema } from "../../gen/flyteidl/admin/node_execution_pb.js";
import { TaskExecutionSchema } from "../../gen/flyteidl/admin/task_execution_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import type { App } from "../../src/app.js";
import { migrationsFolder } from "../../src/paths.js";
import { inMemoryAdmin } from "../helpers/app.js";
import { createTestDatabase, PG_URL } from "../helpers/backends.js";
import { type ReplicaProcess, startReplica } from "../helpers/replica-process.js";
import { DOMAIN, launchPlanId, PROJECT } from "../fixtures/flyte-builders.js";
import { FANOUT, fanoutExecution, fanoutRegistration, type PropellerEvent, propellerStreams } from "../fixtures/propeller-streams.js";
import { seededRandom } from "../helpers/seeded-random.js";
import { type Admin, permutations, registrationRace, send, type SendOutcome } from "./replica-races.js";

/**
 * Two server processes on one PostgreSQL database, as two replicas behind a
 * load balancer: every write is checked against what one server produces
 * from the same requests in some sequential order. Runs where a PostgreSQL
 * server is given (FLYTEADMIN_TEST_PG_URL; CI sets it).
 */
const WIDTH = 8;
const EXECUTIONS = 12;
const SEED = Number(process.env.REPLICA_TEST_SEED ?? Date.now() % 1_000_000);

describe.skipIf(!PG_URL)("two replicas on one PostgreSQL", () => {
  let db: { url: string; drop(): Promise<void> };
  let oracleDb: { url: string; drop(): Promise<void> };
  let oracle: { app: App; admin: Admin };
  let replicas: ReplicaProcess[] = [];
  let admins: Admin[];
  let sql: pg.Client;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "flyteadmin-replicas-"));
    [db, oracleDb] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    // Started together, so their migrations race on the fresh database; both share one blob store, as replicas share a bucket.
    const args = (i: number) => ["--database", db.url, "--data-dir", join(dir, `replica${i}`), "--storage", join(dir, "blobs"), "--engine", "none", "--db-pool-size", "4"];
    const started = await Promise.allSettled([startReplica(args(0)), startReplica(args(1))]);
    replicas = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    for (const s of started) if (s.status === "rejected") throw s.reason;
    admins = replicas.map((r) => createClient(AdminService, createGrpcTransport({ baseUrl: r.url })));
    oracle = await inMemoryAdmin({ database: oracleDb.url });
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    for (const admin of [admins[0]!, oracle.admin]) {
      await admin.registerProject({ project: { id: PROJECT, name: PROJECT } });
      const { task, workflow, launchPlan } = fanoutRegistration(WIDTH);
      await admin.createTask(task);
      await admin.createWorkflow(workflow);
      await admin.createLaunchPlan(launchPlan);
    }
  }, 180_000);

  afterAll(async () => {
    await sql?.end();
    await oracle?.app.close();
    await Promise.all(replicas.map((r) => r.stop()));
    await Promise.all([db?.drop(), oracleDb?.drop()]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("migrate the database once when they start together", async () => {
    const journal = JSON.parse(readFileSync(join(migrationsFolder("pg"), "meta", "_journal.json"), "utf8")) as { entries: unknown[] };
    const { rows } = await sql.query<{ n: string; distinct_hashes: string }>("select count(*) as n, count(distinct hash) as distinct_hashes from drizzle.__drizzle_migrations");
    expect(rows[0]).toEqual({ n: String(journal.entries.length), distinct_hashes: String(journal.entries.length) });
    for (const r of replicas) expect(r.output()).not.toMatch(/"level":"(error|fatal)"/);
  });

  it("store what one server stores from the same events in order, whatever replica each reaches", async () => {
    const rng = seededRandom(SEED);
    const plans = Array.from({ length: EXECUTIONS }, (_, i) => propellerStreams(`race-${i}`, WIDTH, Date.parse("2026-05-01T00:00:00Z") + i * 60_000));
    const outcomes = new Map<PropellerEvent, SendOutcome[]>();
    const expected = new Map<PropellerEvent, SendOutcome>();

    // The oracle: one server, each execution's events in order, one stream after another.
    for (const plan of plans) {
      await oracle.admin.createExecution(fanoutExecution(plan.name));
      for (const e of [...plan.first, ...plan.streams.flat(), ...plan.last]) expected.set(e, (await send([oracle.admin], e, () => 0, 0))[0]!);
    }

    // The replicas: every execution at once, its streams concurrent, each event to a random replica,
    // sometimes also to the other (a send that timed out and was retried elsewhere while the first still ran).
    await Promise.all(
      plans.map(async (plan) => {
        await admins[Math.floor(rng() * 2)]!.createExecution(fanoutExecution(plan.name));
        const run = async (events: PropellerEvent[]) => {
          for (const e of events) outcomes.set(e, await send(admins, e, rng, 0.25));
        };
        await run(plan.first);
        await Promise.all(plan.streams.map(run));
        await run(plan.last);
      }),
    );

    expect(outcomes.size).toBe(expected.size);
    for (const [event, codes] of outcomes) {
      const want = expected.get(event)!;
      // An event applied once: the retry of an accepted one hears AlreadyExists; a refused one is refused at both.
      const allowed = want === "OK" ? ["OK", ...codes.slice(1).map(() => "AlreadyExists")] : codes.map(() => want);
      expect([...codes].sort(), `${describeEvent(event)} (REPLICA_TEST_SEED=${SEED})`).toEqual([...allowed].sort());
    }
    for (const plan of plans) expect(await snapshot(admins[0]!, plan.name), `${plan.name} (REPLICA_TEST_SEED=${SEED})`).toEqual(await snapshot(oracle.admin, plan.name));
    for (const plan of plans) expect(await snapshot(admins[1]!, plan.name), `${plan.name} (REPLICA_TEST_SEED=${SEED})`).toEqual(await snapshot(oracle.admin, plan.name));
    const counts = async (c: pg.Client) => {
      const tables = ["executions", "node_executions", "task_executions", "execution_events"];
      const out: Record<string, string> = {};
      for (const t of tables) out[t] = (await c.query<{ n: string }>(`select count(*) as n from ${t}`)).rows[0]!.n;
      return out;
    };
    const oracleSql = new pg.Client({ connectionString: oracleDb.url });
    await oracleSql.connect();
    try {
      expect(await counts(sql)).toEqual(await counts(oracleSql));
    } finally {
      await oracleSql.end();
    }
  }, 300_000);

  it("register one entity at both at once: one row, and FlyteAdmin's answer to the later one", async () => {
    const expected = { identical: ["AlreadyExists", "OK"], conflicting: ["InvalidArgument", "OK"], versions: ["OK", "OK"] };
    for (let round = 0; round < 6; round++) {
      for (const kind of ["task", "workflow", "launchPlan"] as const) {
        for (const mode of ["identical", "conflicting", "versions"] as const) {
          const race = await registrationRace(admins, kind, `r${round}-${mode}`, mode);
          const codes = race.outcomes.map((o) => o.code).sort();
          // FlyteAdmin: identical → ALREADY_EXISTS, different structure → INVALID_ARGUMENT; two versions of one name are two rows.
          expect(codes, `${kind} ${race.name}`).toEqual(expected[mode]);
          const table = { task: "tasks", workflow: "workflows", launchPlan: "launch_plans" }[kind];
          const { rows } = await sql.query<{ version: string }>(`select version from ${table} where name = $1 order by version`, [race.name]);
          expect(rows.map((r) => r.version)).toEqual(mode === "versions" ? ["v1", "v2"] : ["v1"]);
          // The stored v1 is the winner's, read back at either replica.
          const winner = mode === "versions" ? 0 : race.outcomes.findIndex((o) => o.code === "OK");
          for (const admin of admins) expect(await race.read(admin)).toEqual(race.specs[winner]);
        }
      }
    }
  }, 120_000);

  it("activate and deactivate launch plan versions at both at once: an end state some sequential order produces", async () => {
    const versions = ["a1", "a2", "a3", "a4"];
    for (const version of versions) {
      const lp = fanoutRegistration(WIDTH).launchPlan;
      await admins[0]!.createLaunchPlan({ ...lp, id: launchPlanId(FANOUT, version) });
    }
    const rng = seededRandom(SEED + 1);
    const active = async () =>
      (await sql.query<{ version: string }>("select version from launch_plans where name = $1 and version like 'a%' and state = $2 order by version", [FANOUT, LaunchPlanState.ACTIVE])).rows.map((r) => r.version);
    for (let round = 0; round < 12; round++) {
      const before = await active();
      const ops = Array.from({ length: 4 }, () => ({ version: versions[Math.floor(rng() * versions.length)]!, state: rng() < 0.7 ? LaunchPlanState.ACTIVE : LaunchPlanState.INACTIVE }));
      const results = await Promise.allSettled(ops.map((op, i) => admins[i % 2]!.updateLaunchPlan({ id: launchPlanId(FANOUT, op.version), state: op.state })));
      expect(results.map((r) => r.status)).toEqual(ops.map(() => "fulfilled"));
      const reachable = new Set(
        permutations(ops).map((order) => {
          const set = new Set(before);
          for (const op of order) {
            if (op.state === LaunchPlanState.ACTIVE) (set.clear(), set.add(op.version));
            else set.delete(op.version);
          }
          return [...set].sort().join(",");
        }),
      );
      const after = await active();
      expect(reachable, `${JSON.stringify(ops)} from [${before}] (REPLICA_TEST_SEED=${SEED})`).toContain(after.join(","));
      expect(after.length).toBeLessThanOrEqual(1);
      for (const admin of admins) {
        const got = await admin.getActiveLaunchPlan({ id: { project: PROJECT, domain: DOMAIN, name: FANOUT } }).then(
          (lp) => lp.id?.version,
          (e: unknown) => (ConnectError.from(e).code === Code.NotFound ? undefined : Promise.reject(e)),
        );
        expect(got).toBe(after[0]);
      }
    }
  }, 120_000);
});

const describeEvent = (e: PropellerEvent) => `${e.kind} event ${JSON.stringify(e.request, (_, v: unknown) => (typeof v === "bigint" ? String(v) : v))}`;

/** What the console reads of an execution: its closure, its nodes and each node's attempts (wall-clock stamps of the create left out). */
async function snapshot(admin: Admin, name: string) {
  const id = { project: PROJECT, domain: DOMAIN, name };
  const execution = toJson(ExecutionSchema, await admin.getExecution({ id })) as { closure: { createdAt?: string; stateChangeDetails?: { occurredAt?: string } } };
  delete execution.closure.createdAt;
  delete execution.closure.stateChangeDetails?.occurredAt;
  const nodes = (await admin.listNodeExecutions({ workflowExecutionId: id, limit: 100 })).nodeExecutions;
  const attempts = await Promise.all(nodes.map(async (n) => (await admin.listTaskExecutions({ nodeExecutionId: n.id, limit: 100 })).taskExecutions.map((t) => toJson(TaskExecutionSchema, t))));
  return { execution, nodes: nodes.map((n) => toJson(NodeExecutionSchema, n)), attempts };
}
