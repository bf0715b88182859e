import { spawn } from "node:child_process";
import { join } from "node:path";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { packageRoot } from "../src/paths.js";
import type { FloorKind } from "./floor-server.js";
import { grpcClient } from "./grpc-client.js";
import { drive } from "./load.js";
import { processCpuSeconds } from "./server-process.js";
import { type Measured, mergeRounds } from "./stats.js";

/** A reference server (bench/floor-server.ts) running as a child process. */
interface FloorServer {
  url: string;
  cpuSeconds(): number;
  stop(): Promise<void>;
}

async function startFloorServer(kind: FloorKind, nodeArgs: string[]): Promise<FloorServer> {
  // Compiled with the server (tsconfig.build.json), so both run the same way: no loader, no source maps.
  const script = join(packageRoot(), "dist", "bench", "floor-server.js");
  const child = spawn(process.execPath, [...nodeArgs, script, kind], { stdio: ["pipe", "pipe", "inherit"], cwd: packageRoot() });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`the ${kind} reference server did not start within 30 s`)), 30_000);
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    void exited.then(() => reject(new Error(`the ${kind} reference server exited during start-up`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    cpuSeconds: () => processCpuSeconds(child.pid!),
    stop: async () => {
      // SIGTERM, so a --cpu-prof child writes its profile; closing stdin alone would too, more slowly.
      child.kill("SIGTERM");
      child.stdin!.end();
      await exited;
    },
  };
}

export interface FloorResults {
  concurrency: number;
  /** This server's Health/Check, measured in the same rounds as the two reference servers. */
  noop: Measured;
  connect: Measured;
  grpcJs: Measured;
}

export interface FloorOptions {
  /** This server, already running. */
  ours: { url: string; cpuSeconds(): number };
  /** Seconds per server per round (two rounds, interleaved). */
  seconds: number;
  /** node flags for the reference servers (e.g. --cpu-prof). */
  nodeArgs?: string[];
  log(s: string): void;
}

/**
 * The framework floor: Health/Check on this server against a bare
 * connect-node server and a grpc-js server, each driven by the same client
 * (16 in flight on one connection) in interleaved rounds, so machine load
 * drifts alike for all three. The figure that matters is server CPU per call.
 */
export async function measureFloor(o: FloorOptions, concurrency = 16): Promise<FloorResults> {
  o.log("floor: starting bare connect-node and grpc-js Health servers...");
  const servers = await Promise.all([startFloorServer("connect", o.nodeArgs ?? []), startFloorServer("grpc-js", o.nodeArgs ?? [])]);
  try {
    const targets = [o.ours, ...servers].map((s) => {
      const client = grpcClient(s.url);
      return { client, cpu: () => s.cpuSeconds(), call: () => client.raw(Health.method.check, { service: "" }), rounds: [] as Measured[] };
    });
    // Warm-up: the first calls of a path run unoptimised code.
    for (const t of targets) await drive(t.call, { concurrency, durationMs: 1000 });
    for (let r = 0; r < 2; r++) {
      for (const t of targets) t.rounds.push(await drive(t.call, { concurrency, durationMs: o.seconds * 1000, cpu: t.cpu }));
    }
    for (const t of targets) t.client.close();
    const [noop, connect, grpcJs] = targets.map((t) => mergeRounds(t.rounds)) as [Measured, Measured, Measured];
    return { concurrency, noop, connect, grpcJs };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}
