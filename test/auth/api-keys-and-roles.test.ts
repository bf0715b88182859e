import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { DataCatalog } from "../../gen/flyteidl/datacatalog/datacatalog_pb.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apikeyCommand } from "../../src/apikey-command.js";
import { rbacCommand } from "../../src/rbac-command.js";
import { type AuthTestServer, CLIENT_ID, PROTOCOLS, selfAuth, startAuthServer, transportFor, withHeaders } from "../helpers/auth-server.js";

/**
 * API keys and roles through the authentication chain on a running server
 * (spec §1.9 scenarios 12 and 13, end to end): a `fak_` bearer value is an
 * API key on every protocol, refused alike whatever is wrong with it; with
 * roles on, what a caller may do is what it is bound to. Keys and bindings
 * are made with the CLI on the server's database, as an operator does.
 */
let s: AuthTestServer;
let dir: string;
const cli = async (command: typeof apikeyCommand, argv: string[]) => {
  const out = { stdout: "", stderr: "" };
  const code = await command([...argv, "--database", join(dir, "flyteadmin.db"), "--data-dir", dir], { stdout: (t) => void (out.stdout += t), stderr: (t) => void (out.stderr += t), env: {} });
  expect(code, out.stderr).toBe(0);
  return out.stdout.trim();
};
const codeOf = (p: Promise<unknown>) => p.then(() => "OK", (e: unknown) => Code[ConnectError.from(e).code]);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "flyteadmin-auth-access-"));
  s = await startAuthServer({
    dataDir: dir,
    flags: { database: join(dir, "flyteadmin.db") },
    // Bindings read on every call, so the CLI's grants apply at once.
    auth: selfAuth({ rbac: { enabled: true, superAdmins: [CLIENT_ID], cacheTtl: 0 } }),
  });
  const admin = s.admin("grpc", { authorization: `Bearer ${await s.token()}` });
  for (const id of ["mine", "theirs"]) await admin.registerProject({ project: { id, name: id } });
});
afterAll(() => s?.close());

describe("API keys", () => {
  it("are bearer tokens on every protocol and REST, in either header; a revoked one is refused alike", async () => {
    const key = await cli(apikeyCommand, ["create", "--owner", "alice"]);
    await cli(rbacCommand, ["grant", "alice", "viewer", "--project", "mine"]);
    for (const protocol of PROTOCOLS) {
      expect(await codeOf(s.admin(protocol, { authorization: `Bearer ${key}` }).getProject({ id: "mine" })), protocol).toBe("OK");
      expect(await codeOf(s.admin(protocol, { "flyte-authorization": `Bearer ${key}` }).getProject({ id: "mine" })), protocol).toBe("OK");
    }
    const me = await fetch(`${s.server.url}/me`, { headers: { "flyte-authorization": `Bearer ${key}` } });
    expect(me.headers.get("x-user-subject")).toBe("alice");

    await cli(apikeyCommand, ["revoke", key.slice(4, 16)]);
    for (const bad of [key, `${key.slice(0, -2)}zz`, "fak_short"]) {
      try {
        await s.admin("grpc", { authorization: `Bearer ${bad}` }).getProject({ id: "mine" });
        expect.fail("accepted");
      } catch (e) {
        expect(ConnectError.from(e)).toMatchObject({ code: Code.Unauthenticated, rawMessage: "invalid API key" });
      }
    }
    expect((await fetch(`${s.server.url}/api/v1/projects`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
    const metrics = await (await fetch(`${s.server.url}/metrics`)).text();
    expect(metrics).toMatch(/flyteadmin_auth_accepted_total\{kind="apikey"\} [1-9]/);
    expect(metrics).toMatch(/flyteadmin_auth_refused_total\{reason="revoked"\} [1-9]/);
  });
});

describe("roles", () => {
  it("a viewer reads its project, may not write to it, and lists only what it may see; a super-admin may do anything", async () => {
    const key = await cli(apikeyCommand, ["create", "--owner", "bob"]);
    await cli(rbacCommand, ["grant", "bob", "viewer", "--project", "mine"]);
    const bob = s.admin("connect", { authorization: `Bearer ${key}` });
    expect(await codeOf(bob.listExecutions({ id: { project: "mine", domain: "development" }, limit: 1 }))).toBe("OK");
    expect(await codeOf(bob.listExecutions({ id: { project: "theirs", domain: "development" }, limit: 1 }))).toBe("PermissionDenied");
    try {
      await bob.updateProject({ id: "mine", name: "renamed" });
      expect.fail("accepted");
    } catch (e) {
      expect(ConnectError.from(e).rawMessage).toMatch(/^principal bob lacks administer_project on mine/);
    }
    expect((await bob.listProjects({})).projects.map((p) => p.id)).toEqual(["mine"]);
    const root = s.admin("grpc", { authorization: `Bearer ${await s.token()}` });
    expect((await root.listProjects({})).projects.map((p) => p.id).sort()).toEqual(["mine", "theirs"]);
  });

  it("the DataCatalog's task cache is written by the system role alone and read with a view of the project", async () => {
    const engineKey = await cli(apikeyCommand, ["create", "--owner", "ops", "--service-account", "engine"]);
    await cli(rbacCommand, ["grant", "engine", "system", "--kind", "app"]);
    const viewerKey = await cli(apikeyCommand, ["create", "--owner", "carol"]);
    await cli(rbacCommand, ["grant", "carol", "viewer", "--project", "mine"]);
    const catalog = (key: string) => createClient(DataCatalog, transportFor("grpc", s.server.url, [withHeaders({ authorization: `Bearer ${key}` })]));
    const dataset = { project: "mine", domain: "development", name: "flyte_task-t", version: "1.0-abc" };
    expect(await codeOf(catalog(viewerKey).createDataset({ dataset: { id: dataset } }))).toBe("PermissionDenied");
    expect(await codeOf(catalog(engineKey).createDataset({ dataset: { id: dataset } }))).toBe("OK");
    expect(await codeOf(catalog(viewerKey).getDataset({ dataset }))).toBe("OK");
    expect(await codeOf(catalog(viewerKey).getDataset({ dataset: { ...dataset, project: "theirs" } }))).toBe("PermissionDenied");
  });
});
