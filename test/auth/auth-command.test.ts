import { createPrivateKey } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { authCommand } from "../../src/auth-command.js";
import { ConfigError, loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { bcryptHashOf } from "../../src/auth/static-clients.js";

function io(stdin?: string) {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t), env: {}, ...(stdin !== undefined ? { stdin: async () => stdin } : {}) } };
}
const SECRET_FILES = ["token_rsa_key.pem", "claim_symmetric_key", "cookie_hash_key", "cookie_block_key"];

describe("flyteadmin-ts auth init", () => {
  it("writes FlyteAdmin's secrets, mode 0600, and never overwrites them", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "flyteadmin-auth-init-"));
    const first = io();
    expect(await authCommand(["init", "--data-dir", dataDir], first.io)).toBe(0);
    const dir = join(dataDir, "secrets");
    expect(first.out.join("")).toBe(SECRET_FILES.map((f) => `wrote ${join(dir, f)}\n`).join(""));
    const pem = readFileSync(join(dir, "token_rsa_key.pem"), "utf8");
    expect(pem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    const key = createPrivateKey(pem);
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    // base64 without padding, as FlyteAdmin's secret init writes them.
    expect(Buffer.from(readFileSync(join(dir, "claim_symmetric_key"), "utf8"), "base64")).toHaveLength(32);
    expect(Buffer.from(readFileSync(join(dir, "cookie_hash_key"), "utf8"), "base64")).toHaveLength(64);
    expect(readFileSync(join(dir, "cookie_block_key"), "utf8")).not.toContain("=");
    for (const f of SECRET_FILES) expect(statSync(join(dir, f)).mode & 0o777, f).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);

    const again = io();
    expect(await authCommand(["init", "--secrets-dir", dir], again.io)).toBe(0);
    expect(again.out.join("")).toContain(`kept ${join(dir, "token_rsa_key.pem")} (already there)`);
    expect(readFileSync(join(dir, "token_rsa_key.pem"), "utf8")).toBe(pem);
  });

  it("refuses unknown commands with the usage", async () => {
    const r = io();
    expect(await authCommand(["rotate"], r.io)).toBe(2);
    expect(r.err.join("")).toContain("unknown auth command rotate");
  });
});

describe("flyteadmin-ts auth hash-secret", () => {
  it("prints the base64 bcrypt hash of the secret read on stdin, or of a generated one", async () => {
    const r = io("p@ss w+rd\n");
    expect(await authCommand(["hash-secret"], r.io)).toBe(0);
    const value = /^client_secret: (\S+)\n$/.exec(r.out.join(""))![1]!;
    expect(await bcrypt.compare("p@ss w+rd", bcryptHashOf(value))).toBe(true);
    const g = io();
    expect(await authCommand(["hash-secret", "--generate"], g.io)).toBe(0);
    const [, secret, hash] = /^secret: (\S+)\nclient_secret: (\S+)\n$/.exec(g.out.join(""))!;
    expect(await bcrypt.compare(secret!, bcryptHashOf(hash!))).toBe(true);
    expect(await authCommand(["hash-secret"], io("").io)).toBe(2);
    expect(await authCommand(["hash-secret"], io("x".repeat(73)).io)).toBe(2);
  });
});

describe("start-up with authentication on", () => {
  const config = (dataDir: string, database: string) =>
    loadConfig({ flags: { dataDir, database, logLevel: "silent", engine: "none", auth: JSON.stringify({ authorizedUris: ["http://localhost:8089"] }) } });

  it("stops with one line naming the file when a key is missing on PostgreSQL, or unusable", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "flyteadmin-auth-start-"));
    // No database is opened before the keys are read: an unreachable URL never gets dialled.
    const pg = buildApp(config(dataDir, "postgres://nobody@127.0.0.1:1/none"), createLogger("silent"));
    await expect(pg).rejects.toThrow(ConfigError);
    await expect(pg).rejects.toThrow(/no token signing key at .*token_rsa_key\.pem; run `flyteadmin-ts auth init/);

    expect(await authCommand(["init", "--data-dir", dataDir], io().io)).toBe(0);
    writeFileSync(join(dataDir, "secrets", "token_rsa_key.pem"), "-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----\n");
    await expect(buildApp(config(dataDir, ":memory:"), createLogger("silent"))).rejects.toThrow(/token_rsa_key\.pem: not a PEM private key$/);
    chmodSync(join(dataDir, "secrets", "token_rsa_key.pem"), 0);
    if (process.getuid?.() !== 0) await expect(buildApp(config(dataDir, ":memory:"), createLogger("silent"))).rejects.toThrow(/cannot read it \(EACCES\)/);
  });

  it("generates the secrets on a single node's first start (SQLite) and keeps them", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "flyteadmin-auth-start-"));
    const app = await buildApp(config(dataDir, ":memory:"), createLogger("silent"));
    await app.close();
    const pem = readFileSync(join(dataDir, "secrets", "token_rsa_key.pem"), "utf8");
    const again = await buildApp(config(dataDir, ":memory:"), createLogger("silent"));
    await again.close();
    expect(readFileSync(join(dataDir, "secrets", "token_rsa_key.pem"), "utf8")).toBe(pem);
  });
});
