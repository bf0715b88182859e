import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/paths.js";

/** What the command line says when the database cannot be opened: one line naming it and the code, and a non-zero exit. */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

// The launcher may add a note that it runs the sources; that is not the failure.
const failureLines = (stderr: string) => stderr.trim().split("\n").filter((l) => !l.includes("running them through tsx"));

describe("start-up failures", () => {
  const cli = (args: string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(packageRoot(), "bin/flyteadmin-ts.js"), "serve", "--listen", "127.0.0.1:0", ...args], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.once("exit", (code) => resolve({ code, stderr }));
    });

  it("names the host:port and the errno when PostgreSQL refuses, in one line, and exits non-zero", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const { code, stderr } = await cli(["--database", `postgres://postgres:s3cret-pw@127.0.0.1:${port}/nope`, "--db-connect-timeout-ms", "200"]);
    expect(code).not.toBe(0);
    expect(failureLines(stderr)).toHaveLength(1);
    expect(stderr).toContain(`PostgreSQL at 127.0.0.1:${port}`);
    expect(stderr).toContain("ECONNREFUSED");
    expect(stderr).not.toContain("s3cret-pw");
  });

  it("names the SQLite path and the errno when the file cannot be created, in one line, and exits non-zero", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flyteadmin-open-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "not-a-dir"), "");
    const database = join(dir, "not-a-dir", "flyteadmin.db");
    const { code, stderr } = await cli(["--database", database, "--data-dir", dir]);
    expect(code).not.toBe(0);
    expect(failureLines(stderr)).toHaveLength(1);
    expect(stderr).toContain(database);
    expect(stderr).toMatch(/ENOTDIR|EEXIST/);
  });
});

describe("the migrate command", () => {
  it("creates the SQLite database and its folder with the configured modes, as serve does", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flyteadmin-migrate-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const database = join(dir, "db", "flyteadmin.db");
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(
        process.execPath,
        [join(packageRoot(), "bin/flyteadmin-ts.js"), "migrate", "--database", database, "--data-dir", dir, "--file-mode", "0640", "--dir-mode", "0750"],
        { stdio: "ignore" },
      );
      child.once("exit", resolve);
    });
    expect(code).toBe(0);
    expect((statSync(database).mode & 0o777).toString(8)).toBe("640");
    expect((statSync(join(dir, "db")).mode & 0o777).toString(8)).toBe("750");
  });
});
