// From the terminal event to the receiver, through the configured channels:
// a real SMTP server (smtp-server) and a node:http webhook receiver on port 0,
// a fake clock and no jitter (§3.6 scenarios 7, 8, 9 and 15).
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import { afterEach, describe, expect, it } from "vitest";
import { WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import type { App } from "../../src/app.js";
import { webhookSignature } from "../../src/notifications/webhook-channel.js";
import { type Admin, emailOn, fakeClock, launch, notifyingApp, registerNotifyingLaunchPlan, run, slackOn, workflowEvent } from "./outbox-helpers.js";

const SECOND = 1000;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A real SMTP server recording accepted messages; `options` script refusals and delays. */
async function smtpServer(options: Partial<SMTPServerOptions> = {}) {
  const received: { to: string[]; raw: string }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString("utf8") });
        callback();
      });
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`, received };
}

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

/** A webhook receiver answering each request with the next scripted answer (204 when the script is done). */
async function receiver(script: ((res: ServerResponse) => void)[] = []) {
  const hits: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      hits.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      (script.shift() ?? ((r: ServerResponse) => r.writeHead(204).end()))(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}
const answer = (code: number, headers: Record<string, string> = {}) => (res: ServerResponse) => res.writeHead(code, headers).end();

/** An app whose notifications go to these receivers, on a clock the test moves. */
async function app(notifications: Record<string, unknown>, smtpUrl: string, clock = fakeClock()): Promise<{ app: App; admin: Admin; clock: typeof clock }> {
  const made = await notifyingApp(
    { notifications: JSON.stringify({ enabled: true, consoleBaseUrl: "https://flyte.example.com/console", ...notifications }), smtpUrl, emailFrom: "flyte@example.com" },
    { clock: clock.now, notifications: { jitter: () => 1 } },
  );
  cleanups.push(() => made.app.close());
  return { ...made, clock };
}

const rows = (a: App) => a.store.notifications.list({ limit: 100 });

describe("notification delivery end to end", () => {
  it("retries an SMTP 451 after 30 s and 60 s and delivers on the third attempt; a 550 to RCPT is dead at once (scenario 7)", async () => {
    let refusals = 2;
    const smtp = await smtpServer({
      onRcptTo(address, _session, callback) {
        callback(address.address === "nobody@x" ? smtpError(550, "5.1.1 no such user") : undefined);
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          if (refusals-- > 0) return callback(smtpError(451, "4.3.0 try again later"));
          smtp.received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString("utf8") });
          callback();
        });
      },
    });
    const { app: a, admin, clock } = await app({}, smtp.url);
    const lp = await registerNotifyingLaunchPlan(admin, "notify_lp", [emailOn([Phase.SUCCEEDED], ["a@x", "b@x"]), emailOn([Phase.SUCCEEDED], ["nobody@x"])]);
    await launch(admin, lp, "e1");
    await run(admin, "e1", Phase.SUCCEEDED);
    const worker = a.notifications.worker!;
    const t0 = clock.now().getTime();
    const byTarget = async () => Object.fromEntries((await rows(a)).map((r) => [r.target, r]));

    await worker.drain();
    expect(await byTarget()).toMatchObject({
      "a@x,b@x": { status: "pending", attempts: 1, nextAttemptAt: new Date(t0 + 30 * SECOND) },
      "nobody@x": { status: "dead", attempts: 1 },
    });
    expect((await byTarget())["nobody@x"]!.lastError).toContain("550");
    clock.advance(30 * SECOND);
    await worker.drain();
    expect((await byTarget())["a@x,b@x"]).toMatchObject({ status: "pending", attempts: 2, nextAttemptAt: new Date(t0 + 90 * SECOND) });
    clock.advance(60 * SECOND);
    await worker.drain();
    expect((await byTarget())["a@x,b@x"]).toMatchObject({ status: "sent", attempts: 3 });
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]!.to).toEqual(["a@x", "b@x"]);
    expect(smtp.received[0]!.raw).toContain("Execution notify_lp [e1] has succeeded.");
    const payload = (await byTarget())["a@x,b@x"]!.payload;
    expect(payload).toMatchObject({ kind: "email", from: "flyte@example.com", subject: 'Flyte execution "e1" has succeeded in flytesnacks/development.' });
    expect(payload.kind === "email" && smtp.received[0]!.raw).toContain(`Message-ID: ${payload.kind === "email" ? payload.messageId : ""}`);
  });

  it("posts the json document with a stable Idempotency-Key and a valid signature, honouring Retry-After (scenario 8)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flyteadmin-hook-"));
    writeFileSync(join(dir, "secret"), "s3cret\n");
    const hook = await receiver([answer(500), answer(429, { "retry-after": "120" })]);
    const smtp = await smtpServer();
    const { app: a, admin, clock } = await app({ webhooks: { aliases: { "ops-json": { url: `${hook.url}/flyte`, format: "json", secretFile: join(dir, "secret") } } } }, smtp.url);
    const lp = await registerNotifyingLaunchPlan(admin, "notify_lp", [emailOn([Phase.FAILED], ["ops-json"])]);
    await launch(admin, lp, "e1");
    await run(admin, "e1", Phase.FAILED, { outputResult: { case: "error", value: { code: "E", message: "boom <b>" } } });
    const worker = a.notifications.worker!;
    const t0 = clock.now().getTime();

    await worker.drain();
    clock.advance(30 * SECOND);
    await worker.drain();
    const [waiting] = await rows(a);
    expect(waiting!.nextAttemptAt.getTime() - clock.now().getTime()).toBeGreaterThanOrEqual(120 * SECOND);
    clock.set(waiting!.nextAttemptAt.getTime());
    await worker.drain();
    expect((await rows(a))[0]).toMatchObject({ status: "sent", attempts: 3, channel: "webhook", target: "ops-json" });
    expect(clock.now().getTime() - t0).toBe(150 * SECOND);

    expect(hook.hits).toHaveLength(3);
    const keys = new Set(hook.hits.map((h) => h.headers["idempotency-key"]));
    expect([...keys]).toEqual([waiting!.dedupeKey]);
    expect(new Set(hook.hits.map((h) => h.body)).size).toBe(1);
    for (const h of hook.hits) {
      expect(h.path).toBe("/flyte");
      expect(h.headers["x-flyte-signature"]).toBe(webhookSignature("s3cret", String(h.headers["x-flyte-timestamp"]), h.body));
    }
    const doc = JSON.parse(hook.hits[0]!.body) as Record<string, unknown>;
    expect(Object.keys(doc).sort()).toEqual(["delivery_id", "error", "execution", "launch_plan", "occurred_at", "phase", "principal", "text", "type", "url", "workflow"]);
    expect(doc).toMatchObject({
      type: "flyte.execution.phase",
      delivery_id: waiting!.dedupeKey,
      execution: { project: "flytesnacks", domain: "development", name: "e1" },
      phase: "FAILED",
      launch_plan: { name: "notify_lp" },
      error: { message: "boom <b>" },
      url: "https://flyte.example.com/console/projects/flytesnacks/domains/development/executions/e1",
    });
    expect(smtp.received).toEqual([]);
  });

  it("routes Slack recipients: an alias to its webhook, an address to email, a raw URL refused (scenario 9)", async () => {
    const hook = await receiver();
    const smtp = await smtpServer();
    const { app: a, admin } = await app({ webhooks: { aliases: { "slack:#data-alerts": { url: `${hook.url}/slack`, format: "slack" } } } }, smtp.url);
    const lp = await registerNotifyingLaunchPlan(admin, "notify_lp", [
      slackOn([Phase.SUCCEEDED], ["slack:#data-alerts"]),
      slackOn([Phase.SUCCEEDED], ["team@x"]),
      slackOn([Phase.SUCCEEDED], [`${hook.url}/raw`]),
    ]);
    await launch(admin, lp, "e1");
    await run(admin, "e1", Phase.SUCCEEDED);
    await a.notifications.worker!.drain();
    expect(hook.hits.map((h) => h.path)).toEqual(["/slack"]);
    expect(Object.keys(JSON.parse(hook.hits[0]!.body) as object)).toEqual(["text"]);
    expect(smtp.received.map((m) => m.to)).toEqual([["team@x"]]);
    const dead = (await rows(a)).filter((r) => r.status === "dead");
    expect(dead.map((r) => r.lastError)).toEqual(["raw URLs disabled"]);
    expect((await rows(a)).filter((r) => r.status === "sent")).toHaveLength(2);
  });

  it("answers CreateWorkflowEvent before a slow SMTP server has accepted anything (scenario 15)", async () => {
    let accepted = 0;
    const smtp = await smtpServer({
      onData(stream, _session, callback) {
        stream.resume();
        // Two seconds per message, as a congested relay might take.
        stream.on("end", () => setTimeout(() => (accepted++, callback()), 2000));
      },
    });
    const { app: a, admin } = await app({}, smtp.url);
    const lp = await registerNotifyingLaunchPlan(admin, "notify_lp", [emailOn([Phase.SUCCEEDED], ["a@x"])]);
    await a.start();
    await launch(admin, lp, "e1");
    await workflowEvent(admin, "e1", Phase.RUNNING, 0);
    await workflowEvent(admin, "e1", Phase.SUCCEEDED, 60);
    // The event is recorded and answered; the message is still on its way.
    expect(accepted).toBe(0);
    expect((await admin.getExecution({ id: { project: "flytesnacks", domain: "development", name: "e1" } })).closure?.phase).toBe(Phase.SUCCEEDED);
    const deadline = Date.now() + 20_000;
    while ((await rows(a))[0]?.status !== "sent") {
      if (Date.now() > deadline) throw new Error("the email was never delivered");
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(accepted).toBe(1);
  });
});
