import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { AdminService } from "../gen/flyteidl/service/admin_pb.js";
import { packageRoot } from "../src/paths.js";
import { GrpcError, grpcClient } from "./grpc-client.js";

export interface ServerProcess {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** From spawn to the first GetVersion answered (refused, with authentication on). */
  readonly startupMs: number;
  /** Resident memory of the server process now (VmRSS). */
  rssMb(): number;
  /** CPU seconds (user + system) the server process has used so far. */
  cpuSeconds(): number;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<void>;
}

export interface ServerOptions {
  database: string;
  dataDir: string;
  /** Flags appended to `serve`. */
  args?: string[];
  /** node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
}

/**
 * Starts the server as `npm start` does once built: node on dist/src/main.js
 * (what bin/flyteadmin-ts.js imports), on a free loopback port, logging only
 * warnings so per-call log lines do not take part in the measurement.
 */
export async function startServerProcess(options: ServerOptions): Promise<ServerProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const main = join(packageRoot(), "dist", "src", "main.js");
  const args = [
    ...(options.nodeArgs ?? []),
    main,
    "serve",
    "--listen", `127.0.0.1:${port}`,
    "--database", options.database,
    "--data-dir", options.dataDir,
    "--log-level", "warn",
    ...(options.args ?? []),
  ];
  const spawned = performance.now();
  const child = spawn(process.execPath, args, { stdio: ["ignore", "inherit", "inherit"], cwd: options.dataDir });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));

  for (;;) {
    if (gone) throw new Error(`the server exited during start-up (${main})`);
    if (performance.now() - spawned > 30_000) {
      child.kill("SIGKILL");
      throw new Error(`the server did not answer within 30 s of start-up (${main})`);
    }
    // A fresh connection per attempt: a refused one is not retried by the session.
    const probe = grpcClient(url);
    try {
      await probe.raw(AdminService.method.getVersion, {});
      break;
    } catch (e) {
      // With authentication on, a refusal is an answer too.
      if (e instanceof GrpcError && e.status === 16) break;
      await new Promise((r) => setTimeout(r, 2));
    } finally {
      probe.close();
    }
  }
  const startupMs = performance.now() - spawned;
  return {
    url,
    port,
    pid: child.pid!,
    startupMs,
    rssMb: () => rssMb(child),
    cpuSeconds: () => processCpuSeconds(child.pid!),
    stop: async () => {
      if (!gone) child.kill("SIGTERM");
      await exited;
    },
  };
}


function rssMb(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
  return kb ? Number(kb) / 1024 : NaN;
}

/** utime + stime from /proc/<pid>/stat, in clock ticks of 1/100 s (Linux's USER_HZ). */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Samples a process's RSS while work runs; the peak is the "under load" figure. */
export function rssSampler(server: ServerProcess, everyMs = 100): { stop(): number } {
  let peak = server.rssMb();
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, server.rssMb());
    } catch {
      // the process is gone; keep the last peak
    }
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}
