import { createHmac } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DeliveryPayload, WebhookAlias } from "../../src/core/notification-plan.js";
import { createWebhookChannel, parseRetryAfter, webhookSignature } from "../../src/notifications/webhook-channel.js";

interface Hit {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A node:http receiver on port 0 answering each request with the next scripted answer. */
async function receiver(script: ((res: ServerResponse) => void)[]) {
  const hits: Hit[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      hits.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      const answer = script.shift() ?? ((r: ServerResponse) => r.writeHead(204).end());
      answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

const status = (code: number, headers: Record<string, string> = {}, body = "") => (res: ServerResponse) => res.writeHead(code, headers).end(body);

const cleanups: (() => Promise<void>)[] = [];
let dir = "";
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "webhook-channel-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
});
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const NOW = new Date("2024-05-01T10:00:00.000Z");
const clock = () => NOW;
const JSON_BODY = JSON.stringify({ type: "flyte.execution.phase", delivery_id: "p/d/n/FAILED/0/abc", phase: "FAILED", text: "héllo \u2028" });
const jsonPayload = (alias = "ops-json"): DeliveryPayload => ({ kind: "webhook", format: "json", alias, body: JSON_BODY });

function channel(aliases: Record<string, WebhookAlias>, over: Partial<Parameters<typeof createWebhookChannel>[0]> = {}) {
  const c = createWebhookChannel({ aliases, userAgent: "flyteadmin-ts/0.1.0", clock, ...over });
  cleanups.push(() => c.close());
  return c;
}

describe("webhook channel", () => {
  it("retries 500 and 429 (with its Retry-After), then delivers the same signed bytes with one Idempotency-Key (scenario 8)", async () => {
    const r = await receiver([status(500, {}, "upstream down"), status(429, { "retry-after": "120" }), status(204)]);
    const secretFile = join(dir, "ops-hmac");
    await writeFile(secretFile, "hmac-secret\n");
    const c = channel({ "ops-json": { url: `${r.url}/flyte`, format: "json", secretFile } });
    const send = () => c.send({ dedupeKey: "p/d/n/FAILED/0/abc", payload: jsonPayload() });

    expect(await send()).toEqual({ ok: false, retryable: true, error: "HTTP 500: upstream down" });
    expect(await send()).toEqual({ ok: false, retryable: true, error: "HTTP 429", retryAfterMs: 120_000 });
    expect(await send()).toEqual({ ok: true });

    expect(r.hits).toHaveLength(3);
    for (const hit of r.hits) {
      expect(hit.path).toBe("/flyte");
      expect(hit.body).toBe(JSON_BODY);
      expect(hit.headers["content-type"]).toBe("application/json");
      expect(hit.headers["idempotency-key"]).toBe("p/d/n/FAILED/0/abc");
      expect(hit.headers["user-agent"]).toBe("flyteadmin-ts/0.1.0");
      expect(hit.headers["x-flyte-timestamp"]).toBe(String(NOW.getTime() / 1000));
      // What a receiver does: HMAC over "<timestamp>.<raw body>" with the shared secret.
      const expected = createHmac("sha256", "hmac-secret").update(`${hit.headers["x-flyte-timestamp"]}.${hit.body}`).digest("hex");
      expect(hit.headers["x-flyte-signature"]).toBe(`sha256=${expected}`);
    }
    expect(webhookSignature("hmac-secret", "1714557600", JSON_BODY)).toBe(r.hits[0]!.headers["x-flyte-signature"]);
  });

  it("posts Slack bodies unsigned when the alias has no secret", async () => {
    const r = await receiver([status(200, {}, "ok")]);
    const c = channel({ "slack:#data-alerts": { url: `${r.url}/services/T/B/x`, format: "slack" } });
    const body = JSON.stringify({ text: "*daily* has failed" });
    expect(await c.send({ dedupeKey: "k", payload: { kind: "webhook", format: "slack", alias: "slack:#data-alerts", body } })).toEqual({ ok: true });
    expect(r.hits[0]!.body).toBe(body);
    expect(r.hits[0]!.headers["x-flyte-signature"]).toBeUndefined();
  });

  it("adds the PagerDuty routing key at send time, from its file", async () => {
    const r = await receiver([status(202)]);
    const routingKeyFile = join(dir, "pd-key");
    await writeFile(routingKeyFile, "R0UT1NG\n");
    const c = channel({ "pagerduty:data": { url: `${r.url}/v2/enqueue`, format: "pagerduty", routingKeyFile } });
    const body = JSON.stringify({ event_action: "trigger", dedup_key: "k", payload: { summary: "s", source: "flyteadmin-ts", severity: "error" } });
    expect(await c.send({ dedupeKey: "k", payload: { kind: "webhook", format: "pagerduty", alias: "pagerduty:data", body } })).toEqual({ ok: true });
    expect(JSON.parse(r.hits[0]!.body)).toEqual({ routing_key: "R0UT1NG", ...JSON.parse(body) });
    expect(r.hits[0]!.body.startsWith('{"routing_key":"R0UT1NG",')).toBe(true);
  });

  it("treats other 4xx and redirects as permanent, and never follows a redirect", async () => {
    const r = await receiver([status(404, {}, "no such hook"), status(302, { location: "/elsewhere" }), status(408), status(425), status(503)]);
    const c = channel({ "ops-json": { url: `${r.url}/flyte`, format: "json" } });
    const send = () => c.send({ dedupeKey: "k", payload: jsonPayload() });
    expect(await send()).toEqual({ ok: false, retryable: false, error: "HTTP 404: no such hook" });
    expect(await send()).toMatchObject({ ok: false, retryable: false, error: expect.stringContaining("redirects are not followed") });
    expect(await send()).toMatchObject({ ok: false, retryable: true });
    expect(await send()).toMatchObject({ ok: false, retryable: true });
    expect(await send()).toMatchObject({ ok: false, retryable: true });
    expect(r.hits.map((h) => h.path)).toEqual(["/flyte", "/flyte", "/flyte", "/flyte", "/flyte"]);
  });

  it("re-checks raw URLs against the allow list at send time", async () => {
    const r = await receiver([]);
    const payload: DeliveryPayload = { kind: "webhook", format: "slack", url: `${r.url}/raw`, body: '{"text":"x"}' };
    expect(await channel({}).send({ dedupeKey: "k", payload })).toEqual({ ok: false, retryable: false, error: "raw URLs disabled" });
    expect(await channel({}, { isAllowedUrl: () => false }).send({ dedupeKey: "k", payload })).toMatchObject({ retryable: false });
    expect(r.hits).toEqual([]);
    expect(await channel({}, { isAllowedUrl: (u) => u.startsWith(`${r.url}/`) }).send({ dedupeKey: "k", payload })).toEqual({ ok: true });
    expect(r.hits.map((h) => h.path)).toEqual(["/raw"]);
  });

  it("gives up on a silent receiver at the timeout, and on a refused connection at once, both retryable", async () => {
    const r = await receiver([() => {}]);
    const slow = channel({ "ops-json": { url: r.url, format: "json" } }, { timeoutMs: 200 });
    expect(await slow.send({ dedupeKey: "k", payload: jsonPayload() })).toEqual({ ok: false, retryable: true, error: "timed out after 200 ms" });

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", () => resolve()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = channel({ "ops-json": { url: `http://127.0.0.1:${port}/`, format: "json" } });
    expect(await refused.send({ dedupeKey: "k", payload: jsonPayload() })).toMatchObject({ ok: false, retryable: true, error: expect.stringContaining("ECONNREFUSED") });
  });

  it("reads only the start of an endless error body", async () => {
    const r = await receiver([
      (res) => {
        res.writeHead(500);
        const chunk = "x".repeat(16 * 1024);
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once("drain", pump);
        };
        pump();
      },
    ]);
    const outcome = await channel({ "ops-json": { url: r.url, format: "json" } }).send({ dedupeKey: "k", payload: jsonPayload() });
    expect(outcome).toMatchObject({ ok: false, retryable: true });
    expect(!outcome.ok && outcome.error.length).toBeLessThanOrEqual(500);
  });

  it("refuses unknown aliases and other payloads for good, and retries an unreadable secret", async () => {
    const c = channel({ "ops-json": { url: "http://127.0.0.1:1/", format: "json", secretFile: join(dir, "missing") } });
    expect(await c.send({ dedupeKey: "k", payload: jsonPayload("gone") })).toEqual({ ok: false, retryable: false, error: 'unknown webhook alias "gone"' });
    expect(await c.send({ dedupeKey: "k", payload: { kind: "webhook", format: "json", body: "{}" } })).toMatchObject({ retryable: false });
    expect(await c.send({ dedupeKey: "k", payload: jsonPayload() })).toMatchObject({ ok: false, retryable: true, error: expect.stringContaining("cannot read webhook secret") });
    const email: DeliveryPayload = { kind: "email", from: "f", to: ["t"], bcc: false, subject: "s", html: "h", text: "t", messageId: "<m@x>" };
    expect(await c.send({ dedupeKey: "k", payload: email })).toMatchObject({ retryable: false });
    await c.close();
    expect(await c.send({ dedupeKey: "k", payload: jsonPayload() })).toEqual({ ok: false, retryable: true, error: "webhook channel closed" });
  });
});

describe("Retry-After", () => {
  it("reads seconds and HTTP dates, capped, and ignores anything else", () => {
    const cap = 3_600_000;
    expect(parseRetryAfter("120", NOW, cap)).toBe(120_000);
    expect(parseRetryAfter(" 0 ", NOW, cap)).toBe(0);
    expect(parseRetryAfter("999999", NOW, cap)).toBe(cap);
    expect(parseRetryAfter("Wed, 01 May 2024 10:02:00 GMT", NOW, cap)).toBe(120_000);
    expect(parseRetryAfter("Wed, 01 May 2024 09:00:00 GMT", NOW, cap)).toBe(0);
    for (const bad of [null, "", "1.5", "-1", "soon", "7 days"]) expect(parseRetryAfter(bad, NOW, cap), String(bad)).toBeUndefined();
  });
});
