import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const TEST_BUCKET = "flyte-test";
/** s3rver's built-in account. */
export const TEST_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export interface TestS3Server {
  endpoint: string;
  stop(): Promise<void>;
}

const CHILD = fileURLToPath(new URL("./s3-server-child.ts", import.meta.url));

/** An S3-compatible server (s3rver) on 127.0.0.1, port chosen by the OS, storing into a fresh temp dir. */
export async function startS3Server(): Promise<TestS3Server> {
  const dir = await mkdtemp(join(tmpdir(), "s3rver-"));
  const child = spawn(process.execPath, ["--openssl-legacy-provider", "--import", "tsx", CHILD, dir, TEST_BUCKET], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, "exit");
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    once(lines, "line").then(([line]) => String(line)),
    exited.then(([code]) => {
      throw new Error(`s3rver exited (${String(code)}) before listening: ${stderr}`);
    }),
  ]);
  const { port } = JSON.parse(first) as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
