import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, envName, flagName, loadConfig } from "../src/config.js";
import { parseListen } from "../src/server.js";

const file = (text: string, name = "config.yaml") => {
  const path = join(mkdtempSync(join(tmpdir(), "flyteadmin-config-")), name);
  writeFileSync(path, text);
  return path;
};

describe("configuration", () => {
  it("has embedded defaults that need nothing else", () => {
    const c = loadConfig();
    expect(c).toMatchObject({ listen: ":8089", database: join("data", "flyteadmin.db"), storage: join("data", "blobs"), corsOrigins: ["*"] });
    expect(c.domains.map((d) => d.id)).toEqual(["development", "staging", "production"]);
    expect(c.maxMessageBytes).toBe(4 * 1024 * 1024);
  });

  it("layers defaults < file < environment < flags", () => {
    const path = file("listen: ':1'\nlogLevel: warn\ndomains:\n  - {id: dev, name: Development}\n  - prod\ncorsOrigins: [http://a]\n");
    const fromFile = loadConfig({ file: path });
    expect(fromFile).toMatchObject({ listen: ":1", logLevel: "warn", corsOrigins: ["http://a"] });
    expect(fromFile.domains).toEqual([{ id: "dev", name: "Development" }, { id: "prod", name: "prod" }]);
    const fromEnv = loadConfig({ file: path, env: { FLYTEADMIN_LISTEN: ":2", FLYTEADMIN_LOG_LEVEL: "error" } });
    expect(fromEnv).toMatchObject({ listen: ":2", logLevel: "error" });
    const fromFlags = loadConfig({ file: path, env: { FLYTEADMIN_LISTEN: ":2" }, flags: { listen: ":3" } });
    expect(fromFlags).toMatchObject({ listen: ":3", logLevel: "warn" });
  });

  it("reads JSON files and derives paths from the data directory", () => {
    const c = loadConfig({ file: file('{"dataDir": "/srv/flyte", "maxMessageBytes": 1024}', "c.json") });
    expect(c).toMatchObject({ database: "/srv/flyte/flyteadmin.db", storage: "/srv/flyte/blobs", maxMessageBytes: 1024 });
    expect(loadConfig({ flags: { database: "postgres://u@h/db" } }).database).toBe("postgres://u@h/db");
  });

  it("names each option consistently across sources", () => {
    expect(envName("maxMessageBytes")).toBe("FLYTEADMIN_MAX_MESSAGE_BYTES");
    expect(flagName("maxMessageBytes")).toBe("max-message-bytes");
  });

  it("rejects bad values with the source named", () => {
    expect(() => loadConfig({ flags: { maxMessageBytes: "lots" } })).toThrow(ConfigError);
    expect(() => loadConfig({ flags: { maxMessageBytes: "lots" } })).toThrow(/--max-message-bytes: expected a non-negative integer/);
    expect(() => loadConfig({ env: { FLYTEADMIN_LOG_LEVEL: "loud" } })).toThrow(/FLYTEADMIN_LOG_LEVEL: expected one of/);
    expect(() => loadConfig({ file: file("bogus: 1\n") })).toThrow(/unknown option bogus/);
    expect(() => loadConfig({ flags: { tlsCert: "a.pem" } })).toThrow(/--tls-cert and --tls-key go together/);
    expect(() => loadConfig({ flags: { domains: "" } })).toThrow(/at least one domain/);
    expect(() => loadConfig({ flags: { schedulerTimezone: "Mars/Olympus" } })).toThrow(/--scheduler-timezone: expected an IANA time zone/);
    expect(() => loadConfig({ flags: { schedulerCatchUp: "some" } })).toThrow(/--scheduler-catch-up: expected one of all, latest, none/);
    expect(() => loadConfig({ flags: { schedulerMinIntervalMs: "10" } })).toThrow(/--scheduler-min-interval-ms: expected an integer of at least 1000/);
    expect(loadConfig({ flags: { scheduler: "false", schedulerTimezone: "Europe/Berlin" } })).toMatchObject({ scheduler: false, schedulerTimezone: "Europe/Berlin" });
  });

  it("parses listen addresses", () => {
    expect(parseListen(":8089")).toEqual({ host: undefined, port: 8089 });
    expect(parseListen("127.0.0.1:0")).toEqual({ host: "127.0.0.1", port: 0 });
    expect(parseListen("[::1]:9")).toEqual({ host: "::1", port: 9 });
    expect(() => parseListen("8089")).toThrow(/host:port/);
  });
});

describe("documentation", () => {
  it("README lists every option with its flag and environment name", async () => {
    const { readFileSync } = await import("node:fs");
    const { OPTIONS } = await import("../src/config.js");
    const { packageRoot } = await import("../src/paths.js");
    const readme = readFileSync(join(packageRoot(), "README.md"), "utf8");
    for (const o of OPTIONS) {
      expect(readme).toContain(`\`--${flagName(o.key)}\``);
      expect(readme).toContain(`\`${envName(o.key)}\``);
    }
  });
});
