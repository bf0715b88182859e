import { createPrivateKey, randomUUID } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { SignJWT } from "jose";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { AdminService } from "../gen/flyteidl/service/admin_pb.js";
import { grpcClient, type GrpcClient } from "./grpc-client.js";
import { drive } from "./load.js";
import { chainTasks } from "./payloads.js";
import { registerChain } from "./phases.js";
import { type ServerProcess, startServerProcess } from "./server-process.js";
import { type Measured, mergeRounds, round } from "./stats.js";
import { createContextValues, type Interceptor } from "@connectrpc/connect";
import { createAuth } from "../src/auth/auth-wiring.js";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/logger.js";

const AUDIENCE = "http://bench.flyteadmin.local";
const CLIENT = "bench-client";
const SECRET = "bench-secret";

export interface AuthResults {
  concurrency: number;
  rounds: number;
  off: { noop: Measured; getTask: Measured };
  /** The same token on every call: verified once, then from the cache; and, on the same server, no token at all. */
  on: { noop: Measured; getTask: Measured; anonymous: Measured };
  /** A token never seen before on every call: its signature checked each time. */
  fresh: Measured;
  /**
   * What the token check adds to GetTask's server CPU: GetTask with the token
   * over GetTask without one, on the same server (one process, so no JIT or
   * heap difference between two processes weighs in), minus 1. Per round and
   * over all rounds pooled.
   */
  overheadPerRound: number[];
  overhead: number;
  /** Across the two servers: GetTask in each one's own no-ops, authentication on over off, minus 1. */
  acrossServers: number;
  /** The authentication interceptor alone, in this process: CPU microseconds per call without a token, with a cached one, with a new one each time. */
  interceptorUs: { anonymous: number; cached: number; fresh: number };
  /** GetTask's throughput, auth on over off. */
  throughputRatio: number;
}

/**
 * GetTask with authentication off and on, in one run: two servers side by
 * side, each on its own database, measured in alternating rounds. Each
 * server's GetTask CPU is taken in its own Health/Check no-ops (public in
 * both), so load on the machine drifting between rounds cancels out. The
 * third measurement sends a new token on every call, what the cache saves.
 */
export async function measureAuth(o: { dir: string; seconds: number; log: (s: string) => void; nodeArgs?: string[]; concurrency?: number }): Promise<AuthResults> {
  const concurrency = o.concurrency ?? 16;
  // Many short rounds: on a loaded machine the CPU per call drifts, and both servers then drift alike within a round.
  const rounds = 10;
  const hash = Buffer.from(bcrypt.hashSync(SECRET, 10), "latin1").toString("base64");
  // Enforcement off on gRPC (FlyteAdmin's disableForGrpc), so the same server also answers a call without a
  // token: the interceptor then finds no credential and lets it through, the token check left out.
  const auth = { authorizedUris: [AUDIENCE], disableForGrpc: true, appAuth: { selfAuthServer: { staticClients: { [CLIENT]: { client_secret: hash, grant_types: ["client_credentials"], scopes: ["all"] } } } } };
  const servers: ServerProcess[] = [];
  const clients: GrpcClient[] = [];
  try {
    const start = async (name: string, args: string[]) => {
      // The server process starts in its data folder.
      mkdirSync(join(o.dir, name), { recursive: true, mode: 0o700 });
      const s = await startServerProcess({ database: join(o.dir, `${name}.db`), dataDir: join(o.dir, name), args: ["--engine", "none", ...args], ...(o.nodeArgs ? { nodeArgs: o.nodeArgs } : {}) });
      servers.push(s);
      return s;
    };
    const offServer = await start("auth-off", []);
    const onServer = await start("auth-on", ["--auth", JSON.stringify(auth)]);
    const token = await clientToken(onServer.url);
    const off = grpcClient(offServer.url);
    const on = grpcClient(onServer.url, { "flyte-authorization": `Bearer ${token}` });
    const bare = grpcClient(onServer.url);
    clients.push(off, on, bare);
    await registerChain(off);
    await registerChain(on);
    const taskId = chainTasks("v1")[0]!.id!;
    const sign = freshTokens(join(o.dir, "auth-on", "secrets", "token_rsa_key.pem"));

    const noop = (c: GrpcClient) => () => c.raw(Health.method.check, { service: "flyteadmin" });
    const getTask = (c: GrpcClient) => () => c.raw(AdminService.method.getTask, { id: taskId });
    const run = (call: () => Promise<unknown>, server: ServerProcess, durationMs = (o.seconds * 1000) / 2) => drive(call, { concurrency, durationMs, cpu: server.cpuSeconds });
    for (const [c, s] of [[off, offServer], [on, onServer]] as const) {
      await run(noop(c), s, 1000);
      await run(getTask(c), s, 1000);
    }
    o.log("auth: GetTask with authentication off and on, alternating...");
    const m = { offNoop: [] as Measured[], offGet: [] as Measured[], onNoop: [] as Measured[], onGet: [] as Measured[], onAnon: [] as Measured[], fresh: [] as Measured[] };
    const overheadPerRound: number[] = [];
    await run(getTask(bare), onServer, 1000);
    for (let r = 0; r < rounds; r++) {
      m.offNoop.push(await run(noop(off), offServer));
      m.offGet.push(await run(getTask(off), offServer));
      m.onNoop.push(await run(noop(on), onServer));
      m.onAnon.push(await run(getTask(bare), onServer));
      m.onGet.push(await run(getTask(on), onServer));
      overheadPerRound.push(m.onGet[r]!.serverCpuMsPerCall! / m.onAnon[r]!.serverCpuMsPerCall! - 1);
    }
    // Tokens signed ahead, so the client's signing is not in the timed part.
    const tokens = await Promise.all(Array.from({ length: 3000 }, () => sign()));
    let next = 0;
    m.fresh.push(await drive(() => bare.raw(AdminService.method.getTask, { id: taskId }, { "flyte-authorization": `Bearer ${tokens[next++ % tokens.length]}` }), { concurrency, total: tokens.length, cpu: onServer.cpuSeconds }));

    const interceptorUs = await interceptorCost(join(o.dir, "auth-on"), auth, token, sign);

    const offNoop = mergeRounds(m.offNoop);
    const offGet = mergeRounds(m.offGet);
    const onNoop = mergeRounds(m.onNoop);
    const onGet = mergeRounds(m.onGet);
    const onAnon = mergeRounds(m.onAnon);
    return {
      concurrency,
      rounds,
      off: { noop: offNoop, getTask: offGet },
      on: { noop: onNoop, getTask: onGet, anonymous: onAnon },
      fresh: mergeRounds(m.fresh),
      overheadPerRound,
      overhead: onGet.serverCpuMsPerCall! / onAnon.serverCpuMsPerCall! - 1,
      acrossServers: inNoops(onGet, onNoop) / inNoops(offGet, offNoop) - 1,
      interceptorUs,
      throughputRatio: onGet.perSecond / offGet.perSecond,
    };
  } finally {
    for (const c of clients) c.close();
    await Promise.all(servers.map((s) => s.stop()));
  }
}

const inNoops = (call: Measured, noop: Measured) => call.serverCpuMsPerCall! / noop.serverCpuMsPerCall!;


async function clientToken(url: string): Promise<string> {
  const res = await fetch(`${url}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: CLIENT, client_secret: SECRET }).toString(),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`the bench client got no token: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/** Valid tokens, each different, signed with the server's own key as /oauth2/token would. */
function freshTokens(keyFile: string): () => Promise<string> {
  const key = createPrivateKey(readFileSync(keyFile));
  return () => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ scp: ["all"], client_id: CLIENT })
      .setProtectedHeader({ alg: "RS256" })
      .setIssuer(AUDIENCE)
      .setSubject(CLIENT)
      .setAudience([AUDIENCE])
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .setJti(randomUUID())
      .sign(key);
  };
}

/**
 * The authentication interceptor on its own, built from the same settings and
 * keys as the server, called in a loop in this process: what one call costs
 * it, measured in CPU time, which a loaded machine disturbs far less than it
 * does the end-to-end rows.
 */
async function interceptorCost(dataDir: string, auth: object, token: string, sign: () => Promise<string>): Promise<AuthResults["interceptorUs"]> {
  const config = loadConfig({ flags: { dataDir, database: join(dataDir, "unused.db"), auth: JSON.stringify(auth), logLevel: "silent" } });
  const runtime = await createAuth({ auth: config.auth, dialect: "sqlite", modes: { fileMode: 0o600, dirMode: 0o700 }, logger: createLogger("silent") });
  // Neither store is read on these calls (no API key, roles off).
  const call = runtime.attach({ apiKeys: {}, roleBindings: {} } as never)[0]! as Interceptor;
  const answer = { stream: false } as never;
  const handler = call(async () => answer);
  const request = (headers: Record<string, string>) =>
    ({ service: AdminService, method: AdminService.method.getTask, header: new Headers(headers), contextValues: createContextValues() }) as never;
  // Call i's headers: the first `warm` calls are not measured.
  const perCall = async (warm: number, times: number, headersOf: (i: number) => Record<string, string>) => {
    for (let i = 0; i < warm; i++) await handler(request(headersOf(i)));
    const before = process.cpuUsage();
    for (let i = warm; i < warm + times; i++) await handler(request(headersOf(i)));
    const used = process.cpuUsage(before);
    return (used.user + used.system) / times;
  };
  const fresh = await Promise.all(Array.from({ length: 4000 }, () => sign()));
  return {
    anonymous: await perCall(2000, 100_000, () => ({})),
    cached: await perCall(2000, 100_000, () => ({ "flyte-authorization": `Bearer ${token}` })),
    fresh: await perCall(2000, 2000, (i) => ({ "flyte-authorization": `Bearer ${fresh[i]!}` })),
  };
}

/** The cached token check (the interceptor with a token, less without one) in GetTask's server CPU with authentication off. */
const checkShare = (a: AuthResults) => (a.interceptorUs.cached - a.interceptorUs.anonymous) / (a.off.getTask.serverCpuMsPerCall! * 1000);

/** The auth rows of the table. */
export function authRows(a: AuthResults): string[][] {
  const ms = (n: number) => `${round(n)} ms`;
  const rate = (n: number) => `${Math.round(n).toLocaleString("en-US")}/s`;
  const pct = (n: number) => `${n >= 0 ? "+" : ""}${round(n * 100)}%`;
  const row = (name: string, m: Measured, notes: string) => [name, rate(m.perSecond), `${ms(m.p50Ms)} / ${ms(m.p99Ms)}`, ms(m.serverCpuMsPerCall!), notes];
  const noops = (m: Measured, noop: Measured) => `${round(inNoops(m, noop))} no-ops (${ms(noop.serverCpuMsPerCall!)} each)`;
  const sorted = [...a.overheadPerRound].sort((x, y) => x - y);
  return [
    row("GetTask, authentication off", a.off.getTask, `${a.concurrency} in flight; ${noops(a.off.getTask, a.off.noop)}`),
    row(
      "GetTask, authentication on (bearer JWT)",
      a.on.getTask,
      `${noops(a.on.getTask, a.on.noop)}, ${pct(a.acrossServers)} of the other server's; throughput ×${round(a.throughputRatio)} of it`,
    ),
    row(
      "same server, GetTask without a token",
      a.on.anonymous,
      `GetTask with the token above costs ${pct(a.overhead)} of this over ${a.rounds} alternating rounds (rounds from ${pct(sorted[0]!)} to ${pct(sorted[sorted.length - 1]!)}: the spread is this machine's noise)`,
    ),
    row("GetTask, authentication on, a new token every call", a.fresh, `${noops(a.fresh, a.on.noop)}: each signature checked, what the cache of verified tokens saves`),
    [
      "the authentication interceptor alone, in-process",
      "",
      "",
      `${round(a.interceptorUs.cached)} µs`,
      `with a cached token; ${round(a.interceptorUs.anonymous)} µs without a token, ${round(a.interceptorUs.fresh)} µs with a new one (signature checked): the token check is ${pct(checkShare(a))} of GetTask's CPU without authentication (target ≤ +10%: ${checkShare(a) <= 0.1 ? "met" : "**missed**"})`,
    ],
  ];
}
