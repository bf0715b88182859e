import { spawn } from "node:child_process";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";

export interface ReplicaProcess {
  readonly url: string;
  readonly pid: number;
  /** What the process wrote to stderr and stdout so far (for a failure's message). */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * Starts `flyteadmin-ts serve` as an operator would (bin/flyteadmin-ts.js, on
 * a free loopback port) and resolves once its "serving" log line names the
 * address, or rejects if it exits or says nothing within `timeoutMs`.
 */
export function startReplica(args: string[], timeoutMs = 60_000): Promise<ReplicaProcess> {
  const bin = join(packageRoot(), "bin", "flyteadmin-ts.js");
  const child = spawn(process.execPath, [bin, "serve", "--listen", "127.0.0.1:0", "--log-level", "info", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  child.stderr.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const replica = (url: string): ReplicaProcess => ({
    url,
    pid: child.pid!,
    output: () => out,
    stop: async (graceMs = 10_000) => {
      if (gone) return exited;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no "serving" line within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} during start-up:\n${out}`));
    });
    const look = () => {
      // The "serving" line is the only one that names a url.
      const url = /"url":"(http[^"]+)"/.exec(out)?.[1];
      if (!url) return;
      clearTimeout(timer);
      child.stdout.off("data", look);
      resolve(replica(url));
    };
    child.stdout.on("data", look);
  });
}
