// The attacks `npm run attack` replays against the compiled server: each one
// is what a hostile client or a flaky network did to an earlier build, sent
// only to the loopback server this run started, bounded in count and time.
import * as net from "node:net";
import pg from "pg";
import { create } from "@bufbuild/protobuf";
import { Resources_ResourceName, ResourcesSchema } from "../gen/flyteidl/core/tasks_pb.js";
import { AdminService } from "../gen/flyteidl/service/admin_pb.js";
import { type GrpcClient, GrpcError, grpcClient } from "./grpc-client.js";
import { DOMAIN, executionRequest, launchPlanId, PROJECT, taskRequest } from "./payloads.js";
import { CHAIN } from "./phases.js";

const A = AdminService.method;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface AttackContext {
  url: string;
  port: number;
  /** Set when the run has a PostgreSQL database (the connection-kill attack needs one). */
  postgres?: { url: string; database: string };
}

export interface Attack {
  name: string;
  /** What the attack sends, for the report. */
  what: string;
  /** Flags for this attack's server beyond the defaults. */
  serverArgs?: string[];
  /** Needs the seeded history of executions (the list flood). */
  seeded?: boolean;
  postgresOnly?: boolean;
  /** Runs the attack; resolves with what the server answered, in words. */
  run(ctx: AttackContext): Promise<string>;
}

const STATUS_NAMES: Record<number, string> = { 0: "OK", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 8: "RESOURCE_EXHAUSTED", 13: "INTERNAL", 14: "UNAVAILABLE" };
/** RST_STREAM codes (RFC 9113 §7) for streams that ended without a gRPC status. */
const RST_NAMES = ["NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM"];

/**
 * How a call ended, in words: its gRPC status, or how its HTTP/2 stream was
 * ended without one (a stream refused at the server's concurrent-stream
 * limit is reset with REFUSED_STREAM, which clients may retry). Settled at
 * once, so no failure goes unhandled and no answer's bytes are kept.
 */
const outcome = (call: Promise<unknown>): Promise<string> =>
  call.then(
    () => "OK",
    (e: unknown) => {
      if (e instanceof GrpcError) {
        const rst = /rst (\d+)\)/.exec(e.message)?.[1];
        if (e.status === -1) return rst === undefined ? "no status" : `reset ${RST_NAMES[Number(rst)] ?? rst}`;
        return STATUS_NAMES[e.status] ?? `status ${e.status}`;
      }
      const code = (e as { code?: unknown })?.code;
      const nghttp2 = /NGHTTP2_(\w+)/.exec(String((e as Error)?.message))?.[1];
      return nghttp2 ? `reset ${nghttp2}` : typeof code === "string" ? code : "failed";
    },
  );

/** Counts outcomes: `OK 10, INVALID_ARGUMENT 5`. */
async function codes(calls: Promise<string>[]): Promise<string> {
  const counts = new Map<string, number>();
  for (const name of await Promise.all(calls)) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].map(([k, v]) => `${k} ${v}`).join(", ");
}

/** Runs `count` calls with at most `width` in flight on one connection. */
async function inWaves(count: number, width: number, call: (i: number) => Promise<unknown>): Promise<Promise<string>[]> {
  const all: Promise<string>[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) {
        const p = outcome(call(next++));
        all.push(p);
        await p;
      }
    }),
  );
  return all;
}

const listExecutions = (c: GrpcClient, filters: string, limit = 100) =>
  c.raw(A.listExecutions, { id: { project: PROJECT, domain: DOMAIN }, limit, filters });

export const ATTACKS: Attack[] = [
  {
    name: "filter ReDoS",
    what: "40 ListExecutions whose filters are '(,' repeated 2,000 times (4 KB) or 500,000 times (1 MB)",
    async run({ url }) {
      const c = grpcClient(url);
      try {
        const calls = await inWaves(40, 4, (i) => listExecutions(c, "(,".repeat(i % 2 ? 2000 : 500_000)));
        return await codes(calls);
      } finally {
        c.close();
      }
    },
  },
  {
    name: "quantity parsing",
    what: "20 CreateTask whose CPU request is 60,000 '1's followed by 'x'",
    async run({ url }) {
      const c = grpcClient(url);
      try {
        const calls = await inWaves(20, 2, (i) => {
          const req = taskRequest(`attack_${i}`, "v1");
          const container = (req.spec!.template as { target?: { value?: { resources?: unknown } } }).target!.value!;
          container.resources = create(ResourcesSchema, { requests: [{ name: Resources_ResourceName.CPU, value: `${"1".repeat(60_000)}x` }] });
          return c.raw(A.createTask, req);
        });
        return await codes(calls);
      } finally {
        c.close();
      }
    },
  },
  {
    name: "statement-cache flood",
    what: "200 ListExecutions with value_in of 30,000 names, then 1,000 with 1..1,000 distinct names (1,000 statement shapes)",
    async run({ url }) {
      const c = grpcClient(url);
      try {
        const names = (k: number, salt: number) => Array.from({ length: k }, (_, j) => `n${salt}_${j}`).join(";");
        const huge = await inWaves(200, 4, (i) => listExecutions(c, `value_in(execution_name,${names(30_000, i)})`));
        const shapes = await inWaves(1000, 4, (i) => listExecutions(c, `value_in(execution_name,${names(i + 1, i)})`));
        return `30,000 values: ${await codes(huge)}; 1..1,000 values: ${await codes(shapes)}`;
      } finally {
        c.close();
      }
    },
  },
  {
    name: "list flood",
    what: "4 connections × 1,000 concurrent ListExecutions (limit 1,000) over 50,000 executions, and 4 with limit 1,000,000",
    seeded: true,
    async run({ url }) {
      const clients = Array.from({ length: 4 }, () => grpcClient(url));
      try {
        const huge = clients.map((c) => outcome(listExecutions(c, "", 1_000_000)));
        const flood = clients.flatMap((c) => Array.from({ length: 1000 }, () => outcome(listExecutions(c, "", 1000))));
        return `limit 1,000,000: ${await codes(huge)}; flood: ${await codes(flood)}`;
      } finally {
        for (const c of clients) c.close();
      }
    },
  },
  {
    name: "slow bodies",
    what: "3,000 HTTP/1.1 POSTs announcing 1,000-byte bodies, each sending 1 byte every 2 s for 20 s (server: --body-timeout-ms 5000, --max-connections 2000)",
    serverArgs: ["--body-timeout-ms", "5000", "--max-connections", "2000"],
    async run({ port }) {
      const sockets: net.Socket[] = [];
      const started = performance.now();
      let lastClosedAt = 0;
      let refused = 0;
      let timedOut = 0;
      for (let i = 0; i < 3000; i++) {
        const s = net.connect(port, "127.0.0.1");
        s.on("error", () => undefined);
        s.once("connect", () =>
          s.write(`POST /flyteidl.service.AdminService/GetVersion HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`),
        );
        s.once("data", (d: Buffer) => {
          const head = d.toString("latin1");
          if (head.startsWith("HTTP/1.1 503")) refused++;
          if (head.startsWith("HTTP/1.1 408")) timedOut++;
        });
        s.once("close", () => (lastClosedAt = performance.now()));
        s.resume();
        sockets.push(s);
        if (i % 100 === 99) await sleep(10);
      }
      const until = started + 20_000;
      while (performance.now() < until) {
        await sleep(2000);
        for (const s of sockets) if (!s.destroyed) s.write(" ");
      }
      const open = sockets.filter((s) => !s.destroyed).length;
      for (const s of sockets) s.destroy();
      const allGoneAfter = open === 0 ? `, the last closed ${((lastClosedAt - started) / 1000).toFixed(1)} s after the first opened` : "";
      return `${refused} refused with 503 at the cap, ${timedOut} cut with 408 (too slow), ${open} still open after 20 s${allGoneAfter}`;
    },
  },
  {
    name: "PostgreSQL connection kill",
    what: "8 concurrent CreateExecution for 12 s while every backend of the database is terminated every 1.5 s",
    postgresOnly: true,
    async run({ url, postgres }) {
      const c = grpcClient(url);
      const killer = new pg.Client({ connectionString: postgres!.url });
      await killer.connect();
      let kills = 0;
      const stop = performance.now() + 12_000;
      const killing = (async () => {
        while (performance.now() < stop) {
          await sleep(1500);
          const r = await killer.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()", [postgres!.database]);
          kills += r.rowCount ?? 0;
        }
      })();
      try {
        const calls: Promise<string>[] = [];
        let n = 0;
        await Promise.all(
          Array.from({ length: 8 }, async () => {
            while (performance.now() < stop) {
              const p = outcome(c.raw(A.createExecution, executionRequest(`k${n++}`, launchPlanId(CHAIN, "v1"), 1)));
              calls.push(p);
              await p;
            }
          }),
        );
        await killing;
        return `${kills} backends terminated; CreateExecution: ${await codes(calls)}`;
      } finally {
        c.close();
        await killer.end();
      }
    },
  },
];
