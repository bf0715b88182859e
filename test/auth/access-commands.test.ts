import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apikeyCommand } from "../../src/apikey-command.js";
import { createApiKeyAuthenticator } from "../../src/auth/api-keys.js";
import { packageRoot } from "../../src/paths.js";
import { rbacCommand } from "../../src/rbac-command.js";
import { openStore } from "../../src/storage/open-store.js";

const NOW = new Date("2026-05-01T12:00:00Z");
let dir: string;
let args: string[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "flyteadmin-access-cli-"));
  args = ["--database", join(dir, "flyteadmin.db"), "--data-dir", dir];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = async (command: typeof apikeyCommand, argv: string[]) => {
  const out = { stdout: "", stderr: "" };
  const code = await command([...argv, ...args], { stdout: (t) => void (out.stdout += t), stderr: (t) => void (out.stderr += t), env: {} }, () => NOW);
  return { code, ...out };
};
const apikey = (...argv: string[]) => run(apikeyCommand, argv);
const rbac = (...argv: string[]) => run(rbacCommand, argv);
const rows = (table: string) => table.trimEnd().split("\n").slice(1).map((l) => l.split(/\s{2,}/));

async function withStore<T>(fn: (store: Awaited<ReturnType<typeof openStore>>) => Promise<T>): Promise<T> {
  const store = await openStore(join(dir, "flyteadmin.db"));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

describe("flyteadmin-ts apikey", () => {
  it("creates a key printed once, lists keys without their secrets, and revokes them", async () => {
    const created = await apikey("create", "--owner", "alice", "--description", "nightly build");
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^fak_[a-z2-7]{12}_[A-Za-z0-9_-]{43}\n$/);
    const key = created.stdout.trim();
    const id = key.slice(4, 16);
    expect(created.stderr).toBe(`API key ${id} acts as alice, expires 2026-07-30T12:00:00Z. Keep it now: it is not shown again.\n`);
    // The key works as a bearer token against the same database.
    const identity = await withStore((store) => createApiKeyAuthenticator({ store: store.apiKeys, clock: () => NOW })("Bearer", key));
    expect(identity).toMatchObject({ kind: "apikey", subject: "alice" });

    const forever = await apikey("create", "--owner", "alice", "--service-account", "ci-bot", "--expires-in", "never");
    expect(forever.stderr).toContain("acts as app ci-bot (owner alice), expires never.");
    const foreverId = forever.stdout.trim().slice(4, 16);

    const listed = await apikey("list");
    expect(listed.code).toBe(0);
    expect(listed.stdout.split("\n")[0]).toMatch(/^ID\s+OWNER\s+SERVICE ACCOUNT\s+STATUS\s+CREATED\s+EXPIRES\s+LAST USED\s+DESCRIPTION$/);
    expect(rows(listed.stdout).map((r) => r.slice(0, 4))).toEqual(
      expect.arrayContaining([
        [id, "alice", "-", "active"],
        [foreverId, "alice", "ci-bot", "active"],
      ]),
    );
    expect(listed.stdout).toContain("nightly build");
    expect(listed.stdout).not.toContain(key.slice(17));
    expect(rows(listed.stdout).find((r) => r[0] === id)?.[6]).toBe("2026-05-01T12:00:00Z"); // last used, by the check above

    expect(await apikey("revoke", id)).toMatchObject({ code: 0, stdout: `API key ${id} revoked\n` });
    expect(await apikey("revoke", id)).toMatchObject({ code: 1, stderr: `API key ${id} was revoked already\n` });
    expect(await apikey("revoke", "aaaaaaaaaaaa")).toMatchObject({ code: 1, stderr: "no API key aaaaaaaaaaaa\n" });
    // A whole key names its id.
    expect(await apikey("revoke", forever.stdout.trim())).toMatchObject({ code: 0, stdout: `API key ${foreverId} revoked\n` });
    expect(rows((await apikey("list")).stdout)).toEqual([]);
    expect((await apikey("list")).stdout).toBe("no API keys\n");
    expect(rows((await apikey("list", "--all", "--owner", "alice")).stdout).map((r) => r[3])).toEqual(["revoked", "revoked"]);
  });

  it("refuses bad arguments with its usage, never repeating a key", async () => {
    const secretish = `fak_abcdefghijk2_${"Z".repeat(42)}`; // one character short
    for (const argv of [
      ["create"],
      ["create", "--owner", ""],
      ["create", "--owner", "a\nb"],
      ["create", "--owner", "alice", "--expires-in", "0d"],
      ["create", "--owner", "alice", "--expires-in", "forever"],
      ["create", "--owner", "alice", "extra"],
      ["list", "--limit", "0"],
      ["revoke"],
      ["revoke", "not-an-id"],
      ["revoke", secretish],
      ["rotate"],
      [],
    ]) {
      const r = await apikey(...argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr).toContain("flyteadmin-ts apikey create --owner SUBJECT");
      expect(r.stderr).not.toContain(secretish.slice(17));
    }
    expect((await apikey("--help")).stdout).toContain('command: ["cat", "<key file>"]');
  });
});

describe("flyteadmin-ts rbac", () => {
  it("grants, lists and revokes bindings", async () => {
    expect(await rbac("grant", "alice", "viewer", "--project", "p", "--domain", "development")).toMatchObject({
      code: 0,
      stdout: "granted viewer on p/development for user alice\n",
      stderr: "note: project p does not exist (yet)\n",
    });
    expect(await rbac("grant", "alice", "viewer", "--project", "p", "--domain", "development")).toMatchObject({
      code: 0,
      stdout: "viewer on p/development for user alice was granted already\n",
    });
    expect(await rbac("grant", "ml", "contributor", "--kind", "group")).toMatchObject({ code: 0, stdout: "granted contributor on */* for group ml\n", stderr: "" });
    expect(await rbac("grant", "propeller", "system", "--kind", "app")).toMatchObject({ code: 0 });

    const listed = await rbac("list");
    expect(listed.stdout.split("\n")[0]).toMatch(/^KIND\s+SUBJECT\s+ROLE\s+PROJECT\s+DOMAIN\s+GRANTED\s+BY$/);
    expect(rows(listed.stdout)).toEqual([
      ["app", "propeller", "system", "*", "*", "2026-05-01T12:00:00Z", "cli"],
      ["group", "ml", "contributor", "*", "*", "2026-05-01T12:00:00Z", "cli"],
      ["user", "alice", "viewer", "p", "development", "2026-05-01T12:00:00Z", "cli"],
    ]);
    expect(rows((await rbac("list", "--subject", "alice")).stdout).map((r) => r[1])).toEqual(["alice"]);
    expect(rows((await rbac("list", "--project", "p")).stdout).map((r) => r[1])).toEqual(["alice"]);
    expect(rows((await rbac("list", "--kind", "group")).stdout).map((r) => r[1])).toEqual(["ml"]);
    // What authorization reads.
    expect(await withStore((s) => s.roleBindings.forPrincipals([{ kind: "group", subject: "ml" }]))).toMatchObject([{ role: "contributor", project: "*", domain: "*" }]);

    expect(await rbac("revoke", "alice", "viewer", "--project", "p", "--domain", "development")).toMatchObject({ code: 0, stdout: "revoked viewer on p/development for user alice\n" });
    expect(await rbac("revoke", "alice", "viewer", "--project", "p", "--domain", "development")).toMatchObject({ code: 1, stderr: "no binding viewer on p/development for user alice\n" });
    expect(await rbac("revoke", "ml", "contributor")).toMatchObject({ code: 1 }); // a group binding needs --kind group
  });

  it("refuses bad arguments with its usage", async () => {
    const refused = async (...argv: string[]) => {
      const r = await rbac(...argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr).toContain("flyteadmin-ts rbac grant SUBJECT ROLE");
      return r.stderr.split("\n")[0];
    };
    expect(await refused("grant", "alice", "owner")).toBe('ROLE: expected one of viewer, contributor, admin, system, got "owner"');
    expect(await refused("grant", "alice", "system")).toBe("the system role is for apps only (--kind app)");
    expect(await refused("grant", "ml", "system", "--kind", "group")).toBe("the system role is for apps only (--kind app)");
    expect(await refused("grant", "alice", "viewer", "--domain", "prod")).toBe('--domain: "prod" is not a configured domain (development, staging, production)');
    expect(await refused("grant", "alice", "viewer", "--kind", "robot")).toBe('--kind: expected one of user, app, group, got "robot"');
    expect(await refused("grant", "alice")).toContain("rbac grant takes SUBJECT ROLE");
    expect(await refused("grant", "", "viewer")).toContain("SUBJECT: expected 1 to 255 characters");
    expect(await refused("grant", "alice", "viewer", "--project", "a\u001b[2Jb")).toContain("--project: expected 1 to 255 characters");
    expect(await refused("list", "--limit", "x")).toContain("--limit");
    expect(await refused("list", "--domain", "development")).toBe("--domain is for grant and revoke");
    expect(await refused("delete", "alice")).toBe("unknown rbac command delete alice");
    expect((await rbac("--help")).stdout).toContain("flyteadmin-ts rbac list");
  });
});

it("both are verbs of the installed command", async () => {
  const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [join(packageRoot(), "bin/flyteadmin-ts.js"), "rbac", "grant", "bob", "admin", "--project", "p", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
  expect(r).toMatchObject({ code: 0, stdout: "granted admin on p/* for user bob\n" });
  const help = await new Promise<string>((resolve) => {
    const child = spawn(process.execPath, [join(packageRoot(), "bin/flyteadmin-ts.js"), "--help"], { stdio: ["ignore", "pipe", "ignore"] });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.once("exit", () => resolve(stdout));
  });
  expect(help).toContain("flyteadmin-ts apikey create --owner SUBJECT");
  expect(help).toContain("flyteadmin-ts rbac grant SUBJECT ROLE");
}, 60_000);
