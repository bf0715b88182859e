import net, { type AddressInfo } from "node:net";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import { afterEach, describe, expect, it } from "vitest";
import type { DeliveryPayload } from "../../src/core/notification-plan.js";
import type { DeliveryChannel } from "../../src/notifications/channel.js";
import { classifySmtpError, createEmailChannel, parseSmtpUrl } from "../../src/notifications/email-channel.js";

interface Received {
  from: string;
  to: string[];
  raw: string;
}

/** A real SMTP server on port 0, with no TLS, recording what it accepts. */
async function startSmtp(options: Partial<SMTPServerOptions> = {}) {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString("utf8"),
        });
        callback();
      });
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return { server, port, received };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function track<T extends DeliveryChannel>(channel: T): T {
  cleanups.push(() => channel.close());
  return channel;
}
async function smtp(options: Partial<SMTPServerOptions> = {}) {
  const s = await startSmtp(options);
  cleanups.unshift(() => new Promise<void>((resolve) => s.server.close(() => resolve())));
  return s;
}

const payload = (over: Partial<Extract<DeliveryPayload, { kind: "email" }>> = {}): DeliveryPayload => ({
  kind: "email",
  from: "flyte@example.com",
  to: ["a@example.com", "b@example.com"],
  bcc: false,
  subject: "Flyte execution abc has succeeded",
  html: "<p>Execution <b>abc</b> has succeeded.</p>",
  text: "Execution abc has succeeded.",
  messageId: "<0123456789abcdef0123456789abcdef@flyteadmin-ts>",
  ...over,
});

const header = (raw: string, name: string) => new RegExp(`^${name}: (.*)$`, "im").exec(raw)?.[1];

describe("email channel", () => {
  it("delivers to every recipient with the subject, both bodies and the planned Message-ID", async () => {
    const logins: string[] = [];
    const s = await smtp({
      authOptional: false,
      onAuth(auth, _session, cb) {
        logins.push(`${auth.username}:${auth.password}`);
        cb(null, { user: auth.username });
      },
    });
    const channel = track(createEmailChannel({ smtpUrl: `smtp://flyte%40ops@127.0.0.1:${s.port}`, password: "s3cret", timeoutMs: 5_000 }));
    expect(await channel.send({ dedupeKey: "p/d/n/SUCCEEDED/0/x", payload: payload() })).toEqual({ ok: true });
    expect(logins).toEqual(["flyte@ops:s3cret"]);
    expect(s.received).toHaveLength(1);
    const [mail] = s.received;
    expect(mail!.from).toBe("flyte@example.com");
    expect(mail!.to).toEqual(["a@example.com", "b@example.com"]);
    expect(header(mail!.raw, "Subject")).toBe("Flyte execution abc has succeeded");
    expect(header(mail!.raw, "Message-ID")).toBe("<0123456789abcdef0123456789abcdef@flyteadmin-ts>");
    expect(header(mail!.raw, "To")).toBe("a@example.com, b@example.com");
    expect(mail!.raw).toContain("Content-Type: text/html");
    expect(mail!.raw).toContain("Content-Type: text/plain");
    expect(mail!.raw).toContain("Execution abc has succeeded.");
  });

  it("hides recipients from each other with bcc", async () => {
    const s = await smtp();
    const channel = track(createEmailChannel({ smtpUrl: `smtp://127.0.0.1:${s.port}`, timeoutMs: 5_000 }));
    expect(await channel.send({ dedupeKey: "k", payload: payload({ bcc: true }) })).toEqual({ ok: true });
    expect(s.received[0]!.to).toEqual(["a@example.com", "b@example.com"]);
    expect(s.received[0]!.raw).not.toContain("a@example.com");
  });

  it("reports 451 as retryable, then delivers", async () => {
    let answers = 0;
    const s = await smtp({
      onData(stream, _session, cb) {
        stream.resume();
        stream.on("end", () => {
          answers += 1;
          if (answers <= 2) return cb(Object.assign(new Error("Try again later"), { responseCode: 451 }));
          cb();
        });
      },
    });
    const channel = track(createEmailChannel({ smtpUrl: `smtp://127.0.0.1:${s.port}`, timeoutMs: 5_000 }));
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push(await channel.send({ dedupeKey: "k", payload: payload() }));
    expect(outcomes.map((o) => (o.ok ? "ok" : o.retryable ? "retry" : "dead"))).toEqual(["retry", "retry", "ok"]);
    expect(outcomes[0]).toMatchObject({ error: expect.stringMatching(/^DATA: .*451 Try again later/) });
  });

  it("reports 550 on RCPT as permanent", async () => {
    const s = await smtp({
      onRcptTo(_address, _session, cb) {
        cb(Object.assign(new Error("No such user"), { responseCode: 550 }));
      },
    });
    const channel = track(createEmailChannel({ smtpUrl: `smtp://127.0.0.1:${s.port}`, timeoutMs: 5_000 }));
    const outcome = await channel.send({ dedupeKey: "k", payload: payload() });
    expect(outcome).toMatchObject({ ok: false, retryable: false, error: expect.stringMatching(/^RCPT TO: .*550 No such user/) });
    expect(s.received).toEqual([]);
  });

  it("retries a refused login, which is a configuration problem that can be fixed", async () => {
    const s = await smtp({
      authOptional: false,
      onAuth(_auth, _session, cb) {
        cb(Object.assign(new Error("Invalid credentials"), { responseCode: 535 }));
      },
    });
    const channel = track(createEmailChannel({ smtpUrl: `smtp://u@127.0.0.1:${s.port}`, password: "wrong", timeoutMs: 5_000 }));
    expect(await channel.send({ dedupeKey: "k", payload: payload() })).toMatchObject({ ok: false, retryable: true });
  });

  it("reports an unreachable server as retryable, within the timeout", async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", () => resolve()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = track(createEmailChannel({ smtpUrl: `smtp://127.0.0.1:${port}`, timeoutMs: 5_000 }));
    expect(await refused.send({ dedupeKey: "k", payload: payload() })).toMatchObject({ ok: false, retryable: true });

    // A server that accepts and never greets: the greeting timeout ends the wait.
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", () => resolve()));
    cleanups.unshift(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const mute = track(createEmailChannel({ smtpUrl: `smtp://127.0.0.1:${(silent.address() as AddressInfo).port}`, timeoutMs: 200 }));
    expect(await mute.send({ dedupeKey: "k", payload: payload() })).toMatchObject({ ok: false, retryable: true, error: expect.stringMatching(/ETIMEDOUT/) });
  });

  it("refuses a webhook payload and sends nothing after close", async () => {
    const s = await smtp();
    const channel = createEmailChannel({ smtpUrl: `smtp://127.0.0.1:${s.port}` });
    expect(await channel.send({ dedupeKey: "k", payload: { kind: "webhook", format: "json", body: "{}" } })).toMatchObject({ ok: false, retryable: false });
    await channel.close();
    expect(await channel.send({ dedupeKey: "k", payload: payload() })).toMatchObject({ ok: false, retryable: true });
    expect(s.received).toEqual([]);
  });
});

describe("SMTP settings and failure classes", () => {
  it("reads SMTP URLs", () => {
    expect(parseSmtpUrl("smtp://apikey@smtp.sendgrid.net")).toEqual({ host: "smtp.sendgrid.net", port: 587, secure: false, user: "apikey" });
    expect(parseSmtpUrl("smtps://u:p%2Fw@mail.example.com")).toEqual({ host: "mail.example.com", port: 465, secure: true, user: "u", password: "p/w" });
    expect(parseSmtpUrl("smtp://[::1]:465")).toEqual({ host: "::1", port: 465, secure: true });
    expect(() => parseSmtpUrl("mail.example.com:25")).toThrow(/scheme must be smtp or smtps/);
    expect(() => parseSmtpUrl("http://mail.example.com")).toThrow(/scheme must be smtp or smtps, not http/);
    expect(() => parseSmtpUrl("smtp://mail.example.com/x?y=1")).toThrow(/no path, query or fragment/);
    expect(() => parseSmtpUrl("not a url")).toThrow(/not a URL/);
    expect(() => parseSmtpUrl("smtp://%zz@mail.example.com")).toThrow(/bad %-escape/);
  });

  it("classifies SMTP failures as §3.5.4 says", () => {
    const kind = (err: Parameters<typeof classifySmtpError>[0]) => {
      const o = classifySmtpError(err);
      return o.ok ? "ok" : o.retryable ? "retry" : "dead";
    };
    expect(kind({ command: "RCPT TO", responseCode: 550, permanent: true, code: "EENVELOPE" })).toBe("dead");
    expect(kind({ command: "DATA", responseCode: 554, permanent: true, code: "EMESSAGE" })).toBe("dead");
    expect(kind({ command: "RCPT TO", responseCode: 503, permanent: false, code: "EENVELOPE" })).toBe("retry");
    expect(kind({ command: "DATA", responseCode: 452, permanent: false, code: "EMESSAGE" })).toBe("retry");
    expect(kind({ command: "MAIL FROM", responseCode: 553, permanent: true, code: "EENVELOPE" })).toBe("retry");
    expect(kind({ command: "AUTH PLAIN", responseCode: 535, permanent: true, code: "EAUTH" })).toBe("retry");
    expect(kind({ command: "CONN", code: "ETIMEDOUT" })).toBe("retry");
    expect(kind({ command: "API", code: "EENVELOPE", message: "No recipients defined" })).toBe("dead");
  });
});
