import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildApp } from "../src/app.js";
import { ConfigError, loadConfig, optionsHelp } from "../src/config.js";
import { createLogger } from "../src/logger.js";
import { DEFAULT_EMAIL_SUBJECT, defaultNotifications, notificationSettings } from "../src/notification-config.js";
import { testConfig } from "./helpers/app.js";

const file = (text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), "flyteadmin-config-")), "config.yaml");
  writeFileSync(path, text);
  return path;
};
const ON = { smtpUrl: "smtp://mail.example.com:587", emailFrom: "flyte@example.com" };
const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("accepted");
};

describe("notification configuration", () => {
  it("is off by default, with the documented delivery policy and templates", () => {
    const n = loadConfig().notifications;
    expect(n.enabled).toBe(false);
    expect(n.email.subject).toBe(DEFAULT_EMAIL_SUBJECT);
    expect(n.delivery).toEqual({
      maxAttempts: 12,
      initialBackoffMs: 30_000,
      maxBackoffMs: 3_600_000,
      maxAgeMs: 86_400_000,
      concurrency: 4,
      leaseTimeoutMs: 120_000,
      keepSentForMs: 7 * 86_400_000,
    });
  });

  it("reads the nested mapping of a config file, with flags switching it and overriding the common settings", () => {
    const path = file(`
notifications:
  enabled: true
  consoleBaseUrl: https://flyte.example.com/console
  email: { smtpUrl: "smtp://user@mail.example.com:587", passwordFile: /run/secrets/smtp, from: flyte@example.com, bcc: true }
  webhooks:
    aliases:
      "slack:#alerts": { url: https://hooks.slack.com/services/x, format: slack }
      pd: { format: pagerduty, routingKeyFile: /run/secrets/pd }
    allowRawUrls: true
    allowedUrlPrefixes: [https://hooks.slack.com/]
  delivery: { maxAttempts: 5, initialBackoff: 10s, maxBackoff: 30m, maxAge: 12h, concurrency: 8, leaseTimeout: 5m, keepSentFor: 2d }
`);
    const n = loadConfig({ file: path }).notifications;
    expect(n).toMatchObject({
      enabled: true,
      consoleBaseUrl: "https://flyte.example.com/console",
      email: { smtpUrl: "smtp://user@mail.example.com:587", passwordFile: "/run/secrets/smtp", from: "flyte@example.com", bcc: true },
      webhooks: { allowRawUrls: true, allowedUrlPrefixes: ["https://hooks.slack.com/"] },
      delivery: { maxAttempts: 5, initialBackoffMs: 10_000, maxBackoffMs: 1_800_000, maxAgeMs: 43_200_000, concurrency: 8, leaseTimeoutMs: 300_000, keepSentForMs: 172_800_000 },
    });
    expect(n.webhooks.aliases).toEqual({ "slack:#alerts": { url: "https://hooks.slack.com/services/x", format: "slack" }, pd: { format: "pagerduty", routingKeyFile: "/run/secrets/pd" } });
    // A boolean flag switches notifications off and on and keeps the file's settings; flat options override them.
    expect(loadConfig({ file: path, flags: { notifications: "false" } }).notifications).toMatchObject({ enabled: false, delivery: { maxAttempts: 5 } });
    const flagged = loadConfig({ file: path, env: { FLYTEADMIN_NOTIFICATIONS: "off" }, flags: { notifications: "on", smtpUrl: "smtps://relay:465", emailFrom: "ops@x" } });
    expect(flagged.notifications).toMatchObject({ enabled: true, email: { smtpUrl: "smtps://relay:465", from: "ops@x", passwordFile: "/run/secrets/smtp" }, delivery: { maxAttempts: 5 } });
    // The whole setting as JSON from a flag or the environment.
    const json = loadConfig({ env: { FLYTEADMIN_NOTIFICATIONS: JSON.stringify({ enabled: true, email: { smtpUrl: "smtp://m", from: "f@x" } }) } }).notifications;
    expect(json).toMatchObject({ enabled: true, email: { smtpUrl: "smtp://m", from: "f@x" } });
  });

  it("refuses what would not work, saying why, at start-up", () => {
    expect(refusal(() => loadConfig({ flags: { notifications: "true" } }))).toMatch(/^notifications: email\.smtpUrl \(--smtp-url\) is required/);
    expect(refusal(() => loadConfig({ flags: { notifications: "true", smtpUrl: "smtp://m" } }))).toMatch(/email\.from \(--email-from\) is required/);
    expect(refusal(() => loadConfig({ flags: { notifications: "true", ...ON, smtpUrl: "http://mail" } }))).toMatch(/^notifications: email\.smtpUrl: scheme must be smtp or smtps/);
    const bad = (mapping: unknown) => refusal(() => loadConfig({ flags: { ...ON, notifications: JSON.stringify({ enabled: true, ...(mapping as object) }) } }));
    expect(bad({ emial: {} })).toBe("--notifications: notifications: unknown key emial (expected enabled, consoleBaseUrl, email, webhooks, delivery)");
    expect(bad({ delivery: { maxAttempts: 0 } })).toMatch(/delivery\.maxAttempts: expected an integer from 1 to 1000, got 0/);
    expect(bad({ delivery: { initialBackoff: "soon" } })).toMatch(/delivery\.initialBackoff: expected an age such as/);
    expect(bad({ delivery: { leaseTimeout: "5s" } })).toMatch(/delivery\.leaseTimeout must be at least 30s/);
    expect(bad({ delivery: { initialBackoff: "2h", maxBackoff: "1h" } })).toMatch(/maxBackoff must be at least delivery\.initialBackoff/);
    expect(bad({ webhooks: { aliases: { ops: { format: "teams", url: "https://x" } } } })).toMatch(/webhooks\.aliases\.ops\.format: expected one of slack, json, pagerduty/);
    expect(bad({ webhooks: { aliases: { ops: { format: "slack" } } } })).toMatch(/a slack alias needs url/);
    expect(bad({ webhooks: { aliases: { pd: { format: "pagerduty" } } } })).toMatch(/a pagerduty alias needs routingKeyFile/);
    expect(bad({ webhooks: { allowedUrlPrefixes: ["ftp://x"] } })).toMatch(/allowedUrlPrefixes\[0\]: expected an http/);
    expect(refusal(() => loadConfig({ flags: { ...ON, notifications: '{"enabled":true,"webhooks":{"allowRawUrls":true}}' } }))).toMatch(/allowRawUrls needs webhooks\.allowedUrlPrefixes/);
    expect(refusal(() => loadConfig({ flags: { notifications: "maybe" } }))).toMatch(/expected true, false or a JSON mapping/);
    expect(refusal(() => loadConfig({ file: file("notifications: [1]\n") }))).toMatch(/expected true, false or a mapping/);
  });

  it("stops the server at start-up when the SMTP password file cannot be read", async () => {
    const config = testConfig({ notifications: "true", ...ON, smtpPasswordFile: "/nonexistent/smtp-password" });
    await expect(buildApp(config, createLogger("silent"))).rejects.toThrow(/notifications\.email\.passwordFile: cannot read \/nonexistent\/smtp-password: ENOENT/);
  });

  it("links to the console at the public URL, or where the server listens", () => {
    const n = defaultNotifications();
    expect(notificationSettings(n, "https://flyte.example.com", "http://127.0.0.1:8089").consoleBaseUrl).toBe("https://flyte.example.com/console");
    expect(notificationSettings(n, "", "http://127.0.0.1:8089").consoleBaseUrl).toBe("http://127.0.0.1:8089/console");
    expect(notificationSettings({ ...n, consoleBaseUrl: "https://c.example.com/console" }, "https://x", undefined).consoleBaseUrl).toBe("https://c.example.com/console");
  });

  it("documents every option in --help", () => {
    const help = optionsHelp();
    for (const flag of ["--notifications", "--smtp-url", "--smtp-password ", "--smtp-password-file", "--email-from"]) expect(help).toContain(flag);
    expect(help).toContain("FLYTEADMIN_SMTP_PASSWORD");
  });
});
