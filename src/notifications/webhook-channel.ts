import { createHmac } from "node:crypto";
import { readFile } from "node:fs/promises";
import { withRoutingKey } from "../core/notification-payloads.js";
import type { WebhookAlias } from "../core/notification-plan.js";
import { type DeliveryChannel, permanent, retryable, type SendOutcome } from "./channel.js";

export interface WebhookChannelOptions {
  aliases: Readonly<Record<string, WebhookAlias>>;
  /** `flyteadmin-ts/<version>`. */
  userAgent: string;
  /** The whole request, response included; default 10 s. */
  timeoutMs?: number;
  /** Reads a secret or routing-key file (default: the file's text, trimmed); read at each send, so a rotated secret is picked up. */
  readSecret?: (file: string) => Promise<string>;
  /** For X-Flyte-Timestamp and HTTP-date Retry-After. */
  clock?: () => Date;
  /** The allow list, asked again at send time for raw-URL deliveries (the config may have changed since enqueue); without it they are refused. */
  isAllowedUrl?: (url: string) => boolean;
  /** The longest wait a Retry-After can ask for; default 1 h. */
  maxRetryAfterMs?: number;
}

/** Events API v2, where a PagerDuty alias without a url posts. */
export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";

/** How much of a refusal's body is read for the error text; the rest is discarded unread. */
const ERROR_BODY_BYTES = 1024;

const defaultReadSecret = async (file: string) => (await readFile(file, "utf8")).trim();

/**
 * A Retry-After header (delay-seconds or an HTTP date) as milliseconds from
 * `now`, at most `capMs`; undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: Date, capMs: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d{1,12}$/.test(v)) return Math.min(capMs, Number(v) * 1000);
  // An HTTP date starts with a day name (`Wed, 21 Oct 2015 07:28:00 GMT`);
  // requiring it keeps Date.parse's guesses ("1.5", "7") out.
  if (!/^[A-Za-z]{3,9},? /.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.min(capMs, Math.max(0, at - now.getTime()));
}

/** `sha256=<hex>`: HMAC-SHA256 with the alias secret over `<timestamp>.<body>`, the body being the exact bytes sent. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/**
 * Webhooks over fetch. The stored body is POSTed byte for byte (a PagerDuty
 * body gains its routing key first); `Idempotency-Key` is the dedupe key, the
 * same on every attempt. 2xx is delivered; 408, 425, 429 and 5xx are retried
 * (honouring Retry-After); any other answer, redirects included, is
 * permanent: a redirect is never followed, so an allowed URL cannot bounce
 * the request somewhere else.
 */
export function createWebhookChannel(o: WebhookChannelOptions): DeliveryChannel {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const readSecret = o.readSecret ?? defaultReadSecret;
  const clock = o.clock ?? (() => new Date());
  const maxRetryAfterMs = o.maxRetryAfterMs ?? 3_600_000;
  const closing = new AbortController();

  /** Where to post and with which alias settings, or why not. */
  function resolve(payload: { alias?: string; url?: string }): { url: string; alias?: WebhookAlias } | SendOutcome {
    if (payload.alias !== undefined) {
      const alias = Object.hasOwn(o.aliases, payload.alias) ? o.aliases[payload.alias] : undefined;
      if (!alias) return permanent(`unknown webhook alias "${payload.alias}"`);
      const url = alias.url ?? (alias.format === "pagerduty" ? PAGERDUTY_EVENTS_URL : undefined);
      return url === undefined ? permanent(`webhook alias "${payload.alias}" has no url`) : { url, alias };
    }
    if (payload.url === undefined) return permanent("webhook delivery has neither alias nor url");
    if (!o.isAllowedUrl?.(payload.url)) return permanent("raw URLs disabled");
    return { url: payload.url };
  }

  /** A secret file's text, or a retryable outcome: a secret not mounted yet is a configuration problem that can be fixed. */
  async function secret(file: string): Promise<string | SendOutcome> {
    try {
      return await readSecret(file);
    } catch (e) {
      return retryable(`cannot read webhook secret: ${(e as Error).message}`);
    }
  }

  async function send({ dedupeKey, payload }: Parameters<DeliveryChannel["send"]>[0]): Promise<SendOutcome> {
    if (payload.kind !== "webhook") return permanent(`webhook channel cannot send a ${payload.kind} delivery`);
    if (closing.signal.aborted) return retryable("webhook channel closed");
    const target = resolve(payload);
    if ("ok" in target) return target;
    const { url, alias } = target;

    let body = payload.body;
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "idempotency-key": dedupeKey,
      "user-agent": o.userAgent,
    };
    if (payload.format === "pagerduty") {
      if (!alias?.routingKeyFile) return permanent("PagerDuty delivery has no routingKeyFile");
      if (!body.startsWith("{")) return permanent("stored PagerDuty body is not a JSON object");
      const key = await secret(alias.routingKeyFile);
      if (typeof key !== "string") return key;
      body = withRoutingKey(body, key);
    }
    if (alias?.secretFile) {
      const key = await secret(alias.secretFile);
      if (typeof key !== "string") return key;
      const timestamp = String(Math.floor(clock().getTime() / 1000));
      headers["x-flyte-timestamp"] = timestamp;
      headers["x-flyte-signature"] = webhookSignature(key, timestamp, body);
    }

    const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), closing.signal]);
    try {
      const res = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal });
      const status = res.status;
      if (status >= 200 && status < 300) {
        await res.body?.cancel();
        return { ok: true };
      }
      const error = `HTTP ${status || res.type}${await bodyExcerpt(res)}`;
      if (status === 408 || status === 425 || status === 429 || status >= 500) {
        return retryable(error, parseRetryAfter(res.headers.get("retry-after"), clock(), maxRetryAfterMs));
      }
      const redirect = (status >= 300 && status < 400) || res.type === "opaqueredirect";
      return permanent(redirect ? `${error} (redirects are not followed)` : error);
    } catch (e) {
      return retryable(fetchFailure(e, timeoutMs, closing.signal.aborted));
    }
  }

  return {
    send,
    async close() {
      closing.abort();
    },
  };
}

/** `: <start of the body>`, reading at most ERROR_BODY_BYTES and dropping the rest of the stream. */
async function bodyExcerpt(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < ERROR_BODY_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const text = Buffer.concat(chunks).subarray(0, ERROR_BODY_BYTES).toString("utf8").replace(/\s+/g, " ").trim();
  return text === "" ? "" : `: ${text}`;
}

function fetchFailure(e: unknown, timeoutMs: number, closed: boolean): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (closed) return "webhook channel closed";
  if (err.name === "TimeoutError") return `timed out after ${timeoutMs} ms`;
  const cause = err.cause ? `: ${err.cause.code ?? err.cause.message}` : "";
  return `${err.message}${cause}`;
}
