import type { NotificationSettings, WebhookAlias } from "./core/notification-plan.js";
import { parseAge, RetentionError } from "./core/retention.js";
import { parseSmtpUrl } from "./notifications/email-channel.js";

/**
 * The `notifications` option: off by default; a config file gives a mapping
 * (README "Notifications"), a flag or variable `true`/`false` or the same
 * mapping as JSON. Pure: files named here (passwords, secrets) are read when
 * the server starts, not while the configuration is parsed.
 */
export interface NotificationsConfig {
  enabled: boolean;
  /** Where execution links in messages point (default: <publicUrl>/console). */
  consoleBaseUrl: string;
  email: { smtpUrl: string; passwordFile: string; from: string; subject: string; body: string; bcc: boolean };
  webhooks: NotificationSettings["webhooks"];
  delivery: DeliveryPolicy;
}

/** How the outbox workers retry and keep deliveries (all times in milliseconds). */
export interface DeliveryPolicy {
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  maxAgeMs: number;
  /** Sends in flight at once per replica. */
  concurrency: number;
  /** How long a claimed delivery is held before another worker may take it over. */
  leaseTimeoutMs: number;
  /** Sent rows are deleted this long after they were sent (dead rows are kept). */
  keepSentForMs: number;
}

export class NotificationConfigError extends Error {
  override name = "NotificationConfigError";
}

export const DEFAULT_EMAIL_SUBJECT = 'Flyte execution "{{ name }}" has {{ phase }} in {{ project }}/{{ domain }}.';
export const DEFAULT_EMAIL_BODY =
  '<p>Execution <b>{{ launch_plan.name }}</b> [{{ name }}] has {{ phase }}.{{ error }}</p><p><a href="{{ execution_url }}">View in console</a></p>';
export const DEFAULT_WEBHOOK_TEXT = "*{{ launch_plan.name }}* `{{ name }}` in {{ project }}/{{ domain }} has {{ phase }}.{{ error }} <{{ execution_url }}|View>";

export const defaultNotifications = (): NotificationsConfig => ({
  enabled: false,
  consoleBaseUrl: "",
  email: { smtpUrl: "", passwordFile: "", from: "", subject: DEFAULT_EMAIL_SUBJECT, body: DEFAULT_EMAIL_BODY, bcc: false },
  webhooks: { aliases: {}, allowRawUrls: false, allowedUrlPrefixes: [], text: DEFAULT_WEBHOOK_TEXT },
  delivery: {
    maxAttempts: 12,
    initialBackoffMs: 30_000,
    maxBackoffMs: 3_600_000,
    maxAgeMs: 86_400_000,
    concurrency: 4,
    leaseTimeoutMs: 120_000,
    keepSentForMs: 7 * 86_400_000,
  },
});

/** The keys a mapping may hold, per section (anything else is a typo worth an error). */
const KEYS = {
  top: ["enabled", "consoleBaseUrl", "email", "webhooks", "delivery"],
  email: ["smtpUrl", "passwordFile", "from", "subject", "body", "bcc"],
  webhooks: ["aliases", "allowRawUrls", "allowedUrlPrefixes", "text"],
  alias: ["url", "format", "secretFile", "routingKeyFile"],
  delivery: ["maxAttempts", "initialBackoff", "maxBackoff", "maxAge", "concurrency", "leaseTimeout", "keepSentFor"],
} as const;
const FORMATS: readonly WebhookAlias["format"][] = ["slack", "json", "pagerduty"];
// Bounds that keep a typo from turning into a flood or a stuck outbox.
const MAX_ATTEMPTS = 1000;
const MAX_CONCURRENCY = 64;
// A claim must outlive a send (the channels give up after 10-30 s) or two workers would send at once.
const MIN_LEASE_MS = 30_000;
const MAX_TEXT = 64 * 1024;

const fail = (what: string) => new NotificationConfigError(what);
const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const BOOLS: Record<string, boolean> = { true: true, "1": true, yes: true, on: true, false: false, "0": false, no: false, off: false };

/**
 * Reads the option from one source onto `previous` (the value of the sources
 * below it): a boolean only switches notifications on or off, keeping what a
 * config file set; a mapping replaces the whole setting (unset keys default).
 */
export function parseNotifications(raw: unknown, previous: NotificationsConfig = defaultNotifications()): NotificationsConfig {
  if (typeof raw === "boolean") return { ...previous, enabled: raw };
  let value = raw;
  if (typeof raw === "string") {
    const text = raw.trim();
    if (text === "") return previous;
    const flag = BOOLS[text.toLowerCase()];
    if (flag !== undefined) return { ...previous, enabled: flag };
    try {
      value = JSON.parse(text) as unknown;
    } catch {
      throw fail('expected true, false or a JSON mapping such as {"enabled":true,"email":{...}}');
    }
  }
  if (!isMapping(value)) throw fail("expected true, false or a mapping of enabled, consoleBaseUrl, email, webhooks and delivery");
  const out = defaultNotifications();
  const top = section(value, "notifications", KEYS.top);
  if (top.enabled !== undefined) out.enabled = bool(top.enabled, "enabled");
  if (top.consoleBaseUrl !== undefined) out.consoleBaseUrl = httpUrl(top.consoleBaseUrl, "consoleBaseUrl");
  if (top.email !== undefined) {
    const e = section(top.email, "email", KEYS.email);
    for (const key of ["smtpUrl", "passwordFile", "from", "subject", "body"] as const) if (e[key] !== undefined) out.email[key] = str(e[key], `email.${key}`);
    if (e.bcc !== undefined) out.email.bcc = bool(e.bcc, "email.bcc");
  }
  if (top.webhooks !== undefined) {
    const w = section(top.webhooks, "webhooks", KEYS.webhooks);
    if (w.aliases !== undefined) out.webhooks.aliases = aliases(w.aliases);
    if (w.allowRawUrls !== undefined) out.webhooks.allowRawUrls = bool(w.allowRawUrls, "webhooks.allowRawUrls");
    if (w.allowedUrlPrefixes !== undefined) {
      if (!Array.isArray(w.allowedUrlPrefixes)) throw fail("webhooks.allowedUrlPrefixes: expected a list of URL prefixes");
      out.webhooks.allowedUrlPrefixes = w.allowedUrlPrefixes.map((p, i) => httpUrl(p, `webhooks.allowedUrlPrefixes[${i}]`));
    }
    if (w.text !== undefined) out.webhooks.text = str(w.text, "webhooks.text");
  }
  if (top.delivery !== undefined) out.delivery = delivery(section(top.delivery, "delivery", KEYS.delivery));
  return out;
}

/** The checks that need the whole configuration (flat options merged in): run once it is complete. */
export function checkNotifications(n: NotificationsConfig): void {
  if (!n.enabled) return;
  if (n.email.smtpUrl === "") throw fail("email.smtpUrl (--smtp-url) is required when notifications are enabled, e.g. smtp://user@smtp.example.com:587");
  try {
    parseSmtpUrl(n.email.smtpUrl);
  } catch (e) {
    throw fail(`email.${(e as Error).message}`);
  }
  if (n.email.from === "") throw fail("email.from (--email-from) is required when notifications are enabled, e.g. flyte@example.com");
  if (n.webhooks.allowRawUrls && n.webhooks.allowedUrlPrefixes.length === 0) {
    throw fail("webhooks.allowRawUrls needs webhooks.allowedUrlPrefixes (e.g. [https://hooks.slack.com/]): no raw URL would be allowed");
  }
}

/** What rendering needs of the configuration; the console link falls back to the server's own address. */
export function notificationSettings(n: NotificationsConfig, publicUrl: string, listeningUrl: string | undefined): NotificationSettings {
  const base = publicUrl || listeningUrl || "";
  return {
    consoleBaseUrl: n.consoleBaseUrl || (base ? `${base.replace(/\/+$/, "")}/console` : ""),
    email: { from: n.email.from, subject: n.email.subject, body: n.email.body, bcc: n.email.bcc },
    webhooks: n.webhooks,
  };
}

function section<K extends string>(raw: unknown, where: string, keys: readonly K[]): Partial<Record<K, unknown>> {
  if (!isMapping(raw)) throw fail(`${where}: expected a mapping of ${keys.join(", ")}`);
  for (const key of Object.keys(raw)) if (!(keys as readonly string[]).includes(key)) throw fail(`${where}: unknown key ${key} (expected ${keys.join(", ")})`);
  return raw as Partial<Record<K, unknown>>;
}

function str(v: unknown, where: string): string {
  if (typeof v !== "string") throw fail(`${where}: expected a string, got ${JSON.stringify(v)}`);
  if (v.length > MAX_TEXT) throw fail(`${where}: longer than ${MAX_TEXT} characters`);
  return v;
}

function bool(v: unknown, where: string): boolean {
  const b = typeof v === "boolean" ? v : typeof v === "string" ? BOOLS[v.toLowerCase()] : undefined;
  if (b === undefined) throw fail(`${where}: expected true or false, got ${JSON.stringify(v)}`);
  return b;
}

function httpUrl(v: unknown, where: string): string {
  const s = str(v, where);
  let url: URL | undefined;
  try {
    url = new URL(s);
  } catch {
    url = undefined;
  }
  // The value is not repeated: a webhook URL is a secret.
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) throw fail(`${where}: expected an http:// or https:// URL`);
  return s;
}

function aliases(raw: unknown): Record<string, WebhookAlias> {
  if (!isMapping(raw)) throw fail('webhooks.aliases: expected a mapping of recipient name to {url, format}, e.g. "slack:#alerts": {url: https://hooks.slack.com/..., format: slack}');
  const out: Record<string, WebhookAlias> = {};
  for (const [name, value] of Object.entries(raw)) {
    const where = `webhooks.aliases.${name}`;
    if (name.trim() === "") throw fail("webhooks.aliases: an alias name must not be empty");
    const a = section(value, where, KEYS.alias);
    const format = a.format === undefined ? "json" : str(a.format, `${where}.format`);
    if (!(FORMATS as readonly string[]).includes(format)) throw fail(`${where}.format: expected one of ${FORMATS.join(", ")}, got ${JSON.stringify(format)}`);
    const alias: WebhookAlias = { format: format as WebhookAlias["format"] };
    if (a.url !== undefined) alias.url = httpUrl(a.url, `${where}.url`);
    if (a.secretFile !== undefined) alias.secretFile = str(a.secretFile, `${where}.secretFile`);
    if (a.routingKeyFile !== undefined) alias.routingKeyFile = str(a.routingKeyFile, `${where}.routingKeyFile`);
    if (alias.format === "pagerduty" && !alias.routingKeyFile) throw fail(`${where}: a pagerduty alias needs routingKeyFile`);
    if (alias.format !== "pagerduty" && !alias.url) throw fail(`${where}: a ${alias.format} alias needs url`);
    out[name] = alias;
  }
  return out;
}

function delivery(d: Partial<Record<(typeof KEYS.delivery)[number], unknown>>): DeliveryPolicy {
  const out = defaultNotifications().delivery;
  const int = (v: unknown, where: string, max: number) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max) throw fail(`delivery.${where}: expected an integer from 1 to ${max}, got ${JSON.stringify(v)}`);
    return v;
  };
  const age = (v: unknown, where: string) => {
    try {
      return parseAge(typeof v === "string" ? v : String(JSON.stringify(v)));
    } catch (e) {
      if (!(e instanceof RetentionError)) throw e;
      throw fail(`delivery.${where}: ${e.message}`);
    }
  };
  if (d.maxAttempts !== undefined) out.maxAttempts = int(d.maxAttempts, "maxAttempts", MAX_ATTEMPTS);
  if (d.concurrency !== undefined) out.concurrency = int(d.concurrency, "concurrency", MAX_CONCURRENCY);
  if (d.initialBackoff !== undefined) out.initialBackoffMs = age(d.initialBackoff, "initialBackoff");
  if (d.maxBackoff !== undefined) out.maxBackoffMs = age(d.maxBackoff, "maxBackoff");
  if (d.maxAge !== undefined) out.maxAgeMs = age(d.maxAge, "maxAge");
  if (d.leaseTimeout !== undefined) out.leaseTimeoutMs = age(d.leaseTimeout, "leaseTimeout");
  if (d.keepSentFor !== undefined) out.keepSentForMs = age(d.keepSentFor, "keepSentFor");
  if (out.maxBackoffMs < out.initialBackoffMs) throw fail("delivery.maxBackoff must be at least delivery.initialBackoff");
  if (out.leaseTimeoutMs < MIN_LEASE_MS) throw fail(`delivery.leaseTimeout must be at least 30s (a send may take that long), got ${out.leaseTimeoutMs / 1000}s`);
  return out;
}
