import { createTransport } from "nodemailer";
import { type DeliveryChannel, permanent, retryable, type SendOutcome } from "./channel.js";

export interface EmailChannelOptions {
  /** `smtp://[user@]host[:port]` (STARTTLS when offered, port 587) or `smtps://…` (TLS from the start, port 465). */
  smtpUrl: string;
  /** The SMTP password (from a file or the environment); overrides one written in the URL. */
  password?: string;
  /** Connecting, the greeting, DNS and any silence on the socket each give up after this; default 30 s. */
  timeoutMs?: number;
  /** One whole send (queueing in the pool included) gives up after this; default 2 min. */
  sendTimeoutMs?: number;
  /** Check the server's certificate (default true); false for a relay with a self-signed one. */
  tlsRejectUnauthorized?: boolean;
  /** SMTP connections kept open at most; default 4, the default worker concurrency. */
  maxConnections?: number;
  /** The name sent in EHLO; default the host name. */
  clientName?: string;
}

/** The fields of a nodemailer error this channel reads. */
interface SmtpError {
  message?: string;
  code?: string;
  command?: string;
  responseCode?: number;
  permanent?: boolean;
}

/** The connection settings of an SMTP URL; throws with the reason when the URL is unusable. */
export function parseSmtpUrl(smtpUrl: string): { host: string; port: number; secure: boolean; user?: string; password?: string } {
  if (!URL.canParse(smtpUrl)) throw new Error(`smtpUrl: not a URL (expected smtp://[user@]host[:port] or smtps://...)`);
  const url = new URL(smtpUrl);
  if (url.protocol !== "smtp:" && url.protocol !== "smtps:") throw new Error(`smtpUrl: scheme must be smtp or smtps, not ${url.protocol.slice(0, -1)}`);
  if (url.hostname === "") throw new Error("smtpUrl: no host");
  if ((url.pathname !== "" && url.pathname !== "/") || url.search !== "" || url.hash !== "") {
    throw new Error("smtpUrl: takes no path, query or fragment");
  }
  const port = url.port === "" ? (url.protocol === "smtps:" ? 465 : 587) : Number(url.port);
  return {
    // `[::1]` is a URL's spelling of an IPv6 host; sockets want it bare.
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port,
    // Port 465 is implicit TLS whatever the scheme says (a STARTTLS greeting never comes there).
    secure: url.protocol === "smtps:" || port === 465,
    ...(url.username !== "" ? { user: decodeUserInfo(url.username) } : {}),
    ...(url.password !== "" ? { password: decodeUserInfo(url.password) } : {}),
  };
}

function decodeUserInfo(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new Error("smtpUrl: bad %-escape in the user or password");
  }
}

/**
 * Whether an SMTP failure is the message's fault (permanent) or may pass on a
 * later attempt. Permanent: a 5xx reply to RCPT or DATA (except 503, a
 * session-state reply), or an envelope or message nodemailer refuses before
 * sending. Everything else (network, timeouts, 4xx, a refused connection or
 * login, a 5xx to EHLO or MAIL FROM, which is the server's or our config's
 * problem) is retried: configuration can be fixed while the row waits.
 */
export function classifySmtpError(err: SmtpError): SendOutcome {
  const where = err.command && err.command !== "API" ? `${err.command}: ` : "";
  const text = `${where}${err.message ?? String(err)}${err.code && err.responseCode === undefined ? ` [${err.code}]` : ""}`;
  const rejected = err.permanent === true && (err.command === "RCPT TO" || err.command === "DATA");
  const refusedLocally = err.responseCode === undefined && (err.code === "EENVELOPE" || err.code === "EMESSAGE");
  return rejected || refusedLocally ? permanent(text) : retryable(text);
}

/**
 * Email through one pooled SMTP transport. The Message-ID is the one planned
 * at enqueue, so a copy sent again after a crash is recognisably the same
 * message. With `bcc` the recipients only appear in the envelope.
 */
export function createEmailChannel(o: EmailChannelOptions): DeliveryChannel {
  const smtp = parseSmtpUrl(o.smtpUrl);
  const timeoutMs = o.timeoutMs ?? 30_000;
  const sendTimeoutMs = o.sendTimeoutMs ?? 120_000;
  const password = o.password ?? smtp.password;
  const transport = createTransport({
    pool: true,
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.user !== undefined ? { auth: { user: smtp.user, pass: password ?? "" } } : {}),
    ...(o.clientName !== undefined ? { name: o.clientName } : {}),
    maxConnections: o.maxConnections ?? 4,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    dnsTimeout: timeoutMs,
    tls: { rejectUnauthorized: o.tlsRejectUnauthorized ?? true },
    // The messages are ours; never let a body make the mailer read files or URLs.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  let closed = false;

  return {
    async send({ payload }) {
      if (payload.kind !== "email") return permanent(`email channel cannot send a ${payload.kind} delivery`);
      if (closed) return retryable("email channel closed");
      try {
        await transport.sendMail({
          from: payload.from,
          ...(payload.bcc ? { bcc: payload.to } : { to: payload.to }),
          subject: payload.subject,
          html: payload.html,
          text: payload.text,
          messageId: payload.messageId,
          // Socket timeouts miss a server that trickles its replies; this bounds the whole send.
          signal: AbortSignal.timeout(sendTimeoutMs),
        });
        return { ok: true };
      } catch (e) {
        const err = e as SmtpError;
        if (err.code === "EABORT") return retryable(`SMTP send timed out after ${sendTimeoutMs} ms`);
        return classifySmtpError(err);
      }
    },
    async close() {
      closed = true;
      transport.close();
    },
  };
}
