import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";

/** What the server creates on disk is its user's alone: the data folder, the SQLite files, blobs and the URL-signing key. */
const parent = mkdtempSync(join(tmpdir(), "flyteadmin-modes-"));
afterAll(() => rmSync(parent, { recursive: true, force: true }));
const mode = (path: string) => statSync(path).mode & 0o777;

function appOn(dataDir: string, lines: string[] = []) {
  const config = loadConfig({ flags: { dataDir, logLevel: "warn", listen: "127.0.0.1:0" } });
  return buildApp(config, createLogger("warn", (l) => lines.push(l)));
}

describe("file permissions", () => {
  it("creates the data folder, database, -wal/-shm, blobs and key with dirMode and fileMode", async () => {
    const dataDir = join(parent, "fresh/data");
    const app = await appOn(dataDir);
    try {
      const admin = createClient(AdminService, createRouterTransport(app.routes, { router: { interceptors: app.interceptors } }));
      await admin.registerProject({ project: { id: "flytesnacks", name: "flytesnacks" } });
      const pkg = loadFlytekitPackage("hello", "flytesnacks", "development", "v1");
      await registerPackage(admin, pkg);
      await admin.createExecution({ project: "flytesnacks", domain: "development", name: "modes", spec: { launchPlan: pkg.launchPlans[0]!.id }, inputs: {} });
      expect(mode(dataDir)).toBe(0o700);
      expect(readdirSync(dataDir).sort()).toEqual(["blobs", "flyteadmin.db", "flyteadmin.db-shm", "flyteadmin.db-wal", "url-signing.key"]);
      for (const f of ["flyteadmin.db", "flyteadmin.db-shm", "flyteadmin.db-wal", "url-signing.key"]) expect([f, mode(join(dataDir, f))]).toEqual([f, 0o600]);
      const execDir = join(dataDir, "blobs/metadata/flytesnacks/development/modes");
      for (const d of ["blobs", "blobs/metadata", "blobs/metadata/flytesnacks/development/modes"]) expect([d, mode(join(dataDir, d))]).toEqual([d, 0o700]);
      for (const f of readdirSync(execDir)) expect([f, mode(join(execDir, f))]).toEqual([f, 0o600]);
    } finally {
      await app.close();
    }
  });

  it("warns about an existing data folder open to others, and leaves its mode alone", async () => {
    const dataDir = join(parent, "shared");
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    const lines: string[] = [];
    const app = await appOn(dataDir, lines);
    await app.close();
    expect(mode(dataDir)).toBe(0o755);
    const warning = lines.map((l) => JSON.parse(l) as { level: string; msg: string; mode?: string }).find((l) => /data folder/.test(l.msg));
    expect(warning).toMatchObject({ level: "warn", mode: "0755" });
  });
});
