import { execFile, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { packageRoot } from "../../src/paths.js";
import { createListener } from "../../src/server/listener.js";
import { realServer } from "../helpers/app.js";

const run = promisify(execFile);
const root = packageRoot();
const bufBin = join(root, "node_modules/.bin/buf");

describe("graceful shutdown", () => {
  it("lets in-flight calls finish and refuses new connections", async () => {
    let started!: () => void;
    const inFlight = new Promise<void>((r) => (started = r));
    const handler = connectNodeAdapter({
      routes: (router) =>
        router.service(AdminService, {
          async getVersion() {
            started();
            await new Promise((r) => setTimeout(r, 300));
            return { controlPlaneVersion: { Version: "slow" } };
          },
        }),
    });
    const listener = createListener(handler, { headersTimeoutMs: 5000, idleTimeoutMs: 5000 });
    const { port } = await listener.listen(0, "127.0.0.1");
    const baseUrl = `http://127.0.0.1:${port}`;
    const call = createClient(AdminService, createGrpcTransport({ baseUrl })).getVersion({});
    await inFlight;
    const t0 = Date.now();
    const closed = listener.close(3000);
    expect((await call).controlPlaneVersion?.Version).toBe("slow");
    await closed;
    expect(Date.now() - t0).toBeLessThan(2000);
    const late = createClient(AdminService, createGrpcTransport({ baseUrl })).getVersion({});
    await expect(late).rejects.toThrow();
  });

  it("reports NOT_SERVING to health watchers, then ends their streams", async () => {
    const server = await realServer();
    const health = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
    const seen: Status[] = [];
    const watching = (async () => {
      for await (const res of health.watch({ service: "flyteadmin" })) {
        seen.push(res.status);
        if (seen.length === 1) void server.close();
      }
    })();
    await watching;
    expect(seen).toEqual([Status.SERVING, Status.NOT_SERVING]);
  });

  it("exits within a few seconds of SIGTERM when run from the command line", async () => {
    const child = spawn(process.execPath, [join(root, "bin/flyteadmin-ts.js"), "serve", "--listen", "127.0.0.1:0", "--database", ":memory:"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`exited early with ${code}: ${out}`)));
      child.stdout.on("data", () => {
        const m = /"url":"([^"]+)"/.exec(out);
        if (m) resolve(m[1]!);
      });
    });
    const admin = createClient(AdminService, createGrpcTransport({ baseUrl: url }));
    expect((await admin.getVersion({})).controlPlaneVersion?.Version).toBeTruthy();
    const t0 = Date.now();
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(out).toContain('"msg":"stopped"');
  });
});

describe("durability", () => {
  it("keeps every acknowledged write when the process is killed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flyteadmin-kill-"));
    const start = async () => {
      const child = spawn(process.execPath, [join(root, "bin/flyteadmin-ts.js"), "--listen", "127.0.0.1:0", "--data-dir", dir], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      const url = await new Promise<string>((resolve, reject) => {
        child.once("exit", (code) => reject(new Error(`exited early with ${code}: ${out}`)));
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const m = /"url":"([^"]+)"/.exec(out);
          if (m) resolve(m[1]!);
        });
      });
      return { child, admin: createClient(AdminService, createGrpcTransport({ baseUrl: url })) };
    };
    const first = await start();
    const ids = Array.from({ length: 20 }, (_, i) => `p${i}`);
    await Promise.all(ids.map((id) => first.admin.registerProject({ project: { id, name: id } })));
    first.child.kill("SIGKILL");
    await new Promise((resolve) => first.child.once("exit", resolve));
    const second = await start();
    const listed = await second.admin.listProjects({});
    second.child.kill("SIGTERM");
    await new Promise((resolve) => second.child.once("exit", resolve));
    expect(listed.projects.map((p) => p.id).sort()).toEqual([...ids].sort());
  });
});

describe("health and reflection", () => {
  it("serves grpc.health.v1 for the whole server and for flyteadmin", async () => {
    const server = await realServer();
    const health = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
    expect((await health.check({ service: "" })).status).toBe(Status.SERVING);
    expect((await health.check({ service: "flyteadmin" })).status).toBe(Status.SERVING);
    await expect(health.check({ service: "nope" })).rejects.toThrow(/unknown service nope/);
    const healthcheck = await fetch(`${server.url}/healthcheck`);
    expect(healthcheck.status).toBe(200);
    await server.close();
  });

  it("lets buf curl list services and call GetVersion with no local protos", async () => {
    const server = await realServer();
    try {
      const list = await run(bufBin, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", "--list-services", server.url]);
      expect(list.stdout.trim().split("\n").sort()).toEqual([
        "datacatalog.DataCatalog",
        "flyteidl.service.AdminService",
        "flyteidl.service.AuthMetadataService",
        "flyteidl.service.DataProxyService",
        "flyteidl.service.IdentityService",
        "flyteidl.service.SignalService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
      ]);
      const version = await run(bufBin, [
        "curl",
        "--protocol",
        "grpc",
        "--http2-prior-knowledge",
        `${server.url}/flyteidl.service.AdminService/GetVersion`,
      ]);
      expect(JSON.parse(version.stdout)).toMatchObject({ controlPlaneVersion: { Build: "unknown" } });
      const projects = await run(bufBin, [
        "curl",
        "--protocol",
        "grpcweb",
        "-d",
        '{"filters":"eq(state,0)"}',
        `${server.url}/flyteidl.service.AdminService/ListProjects`,
      ]);
      // No projects, limit 0: FlyteAdmin answers an empty list with token "0".
      expect(JSON.parse(projects.stdout)).toEqual({ token: "0" });
    } finally {
      await server.close();
    }
  });
});

describe("auth services with authentication off", () => {
  it("answer UNIMPLEMENTED like FlyteAdmin's unregistered services", async () => {
    const server = await realServer();
    const res = await fetch(`${server.url}/flyteidl.service.AuthMetadataService/GetPublicClientConfig`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(501);
    expect(await res.json()).toEqual({ code: "unimplemented", message: "unknown service flyteidl.service.AuthMetadataService" });
    await server.close();
  });
});
