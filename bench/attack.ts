// `npm run attack`: replays the attacks of bench/attacks.ts against the
// compiled server, each on a server of its own, and reports for each whether
// the server survived, what it answered, its peak memory, and how a cheap call
// (GetVersion on a new connection) fared meanwhile. See README "Reliability".
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { AdminService } from "../gen/flyteidl/service/admin_pb.js";
import { packageRoot } from "../src/paths.js";
import { openStore } from "../src/storage/open-store.js";
import { type Attack, ATTACKS } from "./attacks.js";
import { grpcClient } from "./grpc-client.js";
import { CHAIN, registerChain } from "./phases.js";
import { DOMAIN, PROJECT } from "./payloads.js";
import { createBenchDatabase } from "./postgres-database.js";
import { answers, startProbe } from "./probe.js";
import { seedLists } from "./seed.js";
import { type ServerProcess, startServerProcess } from "./server-process.js";
import { round } from "./stats.js";
import { ResourceType } from "../gen/flyteidl/core/identifier_pb.js";

const log = (s: string) => process.stderr.write(`${s}\n`);

interface Row {
  attack: string;
  survived: boolean;
  answered: string;
  getVersionP99Ms: number;
  getVersionFailed: string;
  rssPeakMb: number;
  seconds: number;
}

async function main() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { postgres: { type: "string" }, only: { type: "string" }, build: { type: "boolean", default: true }, "no-build": { type: "boolean" } },
  });
  if (values.build && !values["no-build"]) {
    log("building dist/ (npm run build)...");
    const built = spawnSync("npm", ["run", "--silent", "build"], { cwd: packageRoot(), stdio: ["ignore", "ignore", "inherit"] });
    if (built.status !== 0) log("warning: `npm run build` reported errors; running what it emitted");
  }
  const chosen = ATTACKS.filter((a) => !values.only || a.name.toLowerCase().includes(values.only.toLowerCase()));
  const rows: Row[] = [];
  for (const attack of chosen) {
    if (attack.postgresOnly && !values.postgres) {
      log(`skipping "${attack.name}": it needs --postgres URL`);
      continue;
    }
    rows.push(await runOne(attack, values.postgres));
  }
  process.stdout.write(`\n${table(rows)}\n`);
  if (rows.some((r) => !r.survived)) process.exitCode = 1;
}

/** One attack on a server of its own (fresh SQLite file, or a PostgreSQL database of its own). */
async function runOne(attack: Attack, postgresUrl: string | undefined): Promise<Row> {
  log(`== ${attack.name}: ${attack.what}`);
  const dir = mkdtempSync(join(tmpdir(), "flyteadmin-attack-"));
  const pg = attack.postgresOnly && postgresUrl ? await createBenchDatabase(postgresUrl) : undefined;
  const database = pg?.url ?? join(dir, "admin.db");
  let server: ServerProcess | undefined;
  try {
    server = await startServerProcess({ database, dataDir: dir, args: attack.serverArgs ?? [] });
    const admin = grpcClient(server.url);
    await registerChain(admin);
    if (attack.seeded) {
      const chain = await admin.call(AdminService.method.getWorkflow, { id: { resourceType: ResourceType.WORKFLOW, project: PROJECT, domain: DOMAIN, name: CHAIN, version: "v1" } });
      admin.close();
      await server.stop();
      log("   seeding 50,000 executions...");
      const store = await openStore(database);
      await seedLists(store, { executions: 50_000, nodeExecutions: 0, nodesPerExecution: 1, workflows: 10, namedEntities: 10, pagedNames: 0 }, chain.closure!.compiledWorkflow!, () => undefined);
      await store.close();
      server = await startServerProcess({ database, dataDir: dir, args: attack.serverArgs ?? [] });
    } else {
      admin.close();
    }
    const probe = startProbe(server);
    const started = performance.now();
    let answered: string;
    try {
      answered = await attack.run({ url: server.url, port: server.port, ...(pg ? { postgres: { url: pg.url, database: new URL(pg.url).pathname.slice(1) } } : {}) });
    } catch (e) {
      answered = `the attack itself failed: ${(e as Error).message}`;
    }
    const seconds = (performance.now() - started) / 1000;
    const report = await probe.stop();
    const survived = await answers(server.url);
    log(`   ${survived ? "survived" : "DID NOT SURVIVE"}; ${answered}`);
    return {
      attack: attack.name,
      survived,
      answered,
      getVersionP99Ms: round(report.p99Ms),
      getVersionFailed: `${report.failed}/${report.calls}`,
      rssPeakMb: round(report.rssPeakMb),
      seconds: round(seconds),
    };
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    await pg?.drop();
  }
}

function table(rows: Row[]): string {
  const head = "| attack | survived | GetVersion p99 (ms) | GetVersion failed | RSS peak (MB) | seconds | what the server answered |\n| --- | --- | --- | --- | --- | --- | --- |";
  return [head, ...rows.map((r) => `| ${r.attack} | ${r.survived ? "yes" : "**no**"} | ${r.getVersionP99Ms} | ${r.getVersionFailed} | ${r.rssPeakMb} | ${r.seconds} | ${r.answered} |`)].join("\n");
}

main().catch((e: unknown) => {
  log(String((e as Error)?.stack ?? e));
  process.exit(1);
});
