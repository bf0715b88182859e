import { createHash } from "node:crypto";
import type { Notification } from "../../gen/flyteidl/admin/common_pb.js";
import { WorkflowExecution_Phase } from "../../gen/flyteidl/core/execution_pb.js";
import type { Identifier } from "../../gen/flyteidl/core/identifier_pb.js";
import { emailPayload, webhookPayload } from "./notification-payloads.js";
import { MAX_TEMPLATE_CHARS, truncate } from "./notification-template.js";
import { phaseName, templateValues } from "./notification-values.js";
import { isAllowedUrl, looksLikeUrl, MAX_WEBHOOK_URL_CHARS, normalizeWebhookUrl } from "./webhook-url.js";

/** A webhook named in server config; recipients equal to its name are posted to it. */
export interface WebhookAlias {
  url?: string;
  format: "slack" | "json" | "pagerduty";
  secretFile?: string;
  routingKeyFile?: string;
}

export interface NotificationSettings {
  /** For `{{ execution_url }}`: `<base>/projects/<p>/domains/<d>/executions/<n>`. */
  consoleBaseUrl: string;
  email: { from: string; subject: string; body: string; bcc: boolean };
  webhooks: { aliases: Readonly<Record<string, WebhookAlias>>; allowRawUrls: boolean; allowedUrlPrefixes: readonly string[]; text: string };
}

/** What planning needs to know about an execution that an accepted event just made terminal. */
export interface TerminalExecution {
  id: { project: string; domain: string; name: string };
  /** The event's phase; only SUCCEEDED, FAILED, TIMED_OUT and ABORTED plan anything. */
  phase: WorkflowExecution_Phase;
  /** closure.notifications, fixed when the execution was created. */
  notifications: readonly Notification[];
  launchPlan?: Identifier;
  workflow?: Identifier;
  principal: string;
  /** The event's error message; undefined when the event carries no error. */
  errorMessage?: string;
  occurredAt: Date;
  startedAt?: Date;
}

export type DeliveryPayload =
  | { kind: "email"; from: string; to: string[]; bcc: boolean; subject: string; html: string; text: string; messageId: string }
  | { kind: "webhook"; format: "slack" | "json" | "pagerduty"; alias?: string; url?: string; body: string /* exact JSON text sent */ };

export interface PlannedDelivery {
  /** `<project>/<domain>/<name>/<PHASE>/<i>/<target-hash>`, at most MAX_DEDUPE_KEY_CHARS. */
  dedupeKey: string;
  channel: "email" | "webhook";
  /** email: recipients joined with ","; webhook: alias name or URL. */
  target: string;
  payload: DeliveryPayload;
  /** Set when the delivery must be recorded dead at once, e.g. "raw URLs disabled". */
  dead?: string;
}

/** Fits an Idempotency-Key header and PagerDuty's 255-character dedup_key. */
export const MAX_DEDUPE_KEY_CHARS = 255;

const TERMINAL: ReadonlySet<WorkflowExecution_Phase> = new Set([
  WorkflowExecution_Phase.SUCCEEDED,
  WorkflowExecution_Phase.FAILED,
  WorkflowExecution_Phase.TIMED_OUT,
  WorkflowExecution_Phase.ABORTED,
]);

const sha256Hex = (s: string) => createHash("sha256").update(s).digest("hex");

/**
 * The key that makes a replayed event enqueue nothing new. The target is
 * always hashed (recipient lists and URLs are long, and URLs are secrets);
 * a key still too long (huge project, domain or name) is hashed whole.
 */
export function dedupeKeyFor(execution: TerminalExecution, index: number, channel: string, target: string): string {
  const { project, domain, name } = execution.id;
  const key = `${project}/${domain}/${name}/${phaseName(execution.phase)}/${index}/${sha256Hex(`${channel}:${target}`).slice(0, 16)}`;
  return key.length <= MAX_DEDUPE_KEY_CHARS ? key : sha256Hex(key);
}

/** A template too long to render whole: rendered cut (so the payload stays bounded) and recorded dead. */
function templateProblem(...templates: string[]): string | undefined {
  return templates.some((t) => t.length > MAX_TEMPLATE_CHARS) ? `template exceeds ${MAX_TEMPLATE_CHARS} characters` : undefined;
}

const cut = (template: string) => truncate(template, MAX_TEMPLATE_CHARS);

/**
 * Deliveries for one accepted terminal workflow event (empty when no
 * notification matches the phase). Per notification whose phases hold the
 * event's phase: a recipient equal to an alias name is a webhook in the
 * alias's format (for any of the three types); a URL in a Slack or PagerDuty
 * notification is a webhook when raw URLs are allowed and the URL matches a
 * prefix (Slack format for Slack, json otherwise), else a dead delivery; all
 * other recipients share one email, as in FlyteAdmin. The notification's
 * `template` replaces the email body and the webhook text, never the subject.
 */
export function planDeliveries(execution: TerminalExecution, settings: NotificationSettings): PlannedDelivery[] {
  if (!TERMINAL.has(execution.phase)) return [];
  const values = templateValues(execution, settings.consoleBaseUrl);
  const planned: PlannedDelivery[] = [];
  const keys = new Set<string>();
  const add = (d: PlannedDelivery) => {
    // The same alias twice in one notification is one delivery.
    if (keys.has(d.dedupeKey)) return;
    keys.add(d.dedupeKey);
    planned.push(d);
  };

  execution.notifications.forEach((notification, index) => {
    const type = notification.type;
    // Validation at create refuses a notification without a type; one that
    // slipped through (older rows) notifies nobody rather than failing the event.
    if (type.case === undefined || !notification.phases.includes(execution.phase)) return;
    const custom = type.value.template;
    const emails: string[] = [];
    const webhooks: { format: WebhookAlias["format"]; alias?: string; url?: string; target: string; dead?: string }[] = [];
    for (const recipient of type.value.recipientsEmail) {
      const alias = Object.hasOwn(settings.webhooks.aliases, recipient) ? settings.webhooks.aliases[recipient] : undefined;
      if (alias) {
        webhooks.push({ format: alias.format, alias: recipient, target: recipient, dead: aliasProblem(alias) });
      } else if (type.case !== "email" && looksLikeUrl(recipient)) {
        const url = normalizeWebhookUrl(recipient);
        const format = type.case === "slack" ? "slack" : "json";
        const dead = !settings.webhooks.allowRawUrls
          ? "raw URLs disabled"
          : url === undefined
            ? "invalid webhook URL"
            : isAllowedUrl(url, settings.webhooks)
              ? undefined
              : "raw URL not in allowedUrlPrefixes";
        const target = url ?? truncate(recipient, MAX_WEBHOOK_URL_CHARS);
        webhooks.push({ format, url: target, target, dead });
      } else {
        emails.push(recipient.replace(/[\u0000-\u001f\u007f]+/g, " "));
      }
    }

    if (emails.length > 0) {
      const target = emails.join(",");
      const dedupeKey = dedupeKeyFor(execution, index, "email", target);
      const body = custom || settings.email.body;
      const dead = settings.email.from === "" ? "email.from is not configured" : templateProblem(body, settings.email.subject);
      const email = { ...settings.email, subject: cut(settings.email.subject) };
      const payload = emailPayload(dedupeKey, emails, cut(body), values, email);
      add({ dedupeKey, channel: "email", target, payload, ...(dead ? { dead } : {}) });
    }
    for (const hook of webhooks) {
      const dedupeKey = dedupeKeyFor(execution, index, "webhook", hook.target);
      const text = custom || settings.webhooks.text;
      const dead = hook.dead ?? templateProblem(text);
      const payload = webhookPayload(hook, dedupeKey, cut(text), values, execution, settings);
      add({ dedupeKey, channel: "webhook", target: hook.target, payload, ...(dead ? { dead } : {}) });
    }
  });
  return planned;
}

/** An alias the config cannot post to; the server's config check should have refused it already. */
function aliasProblem(alias: WebhookAlias): string | undefined {
  if (alias.format === "pagerduty") return alias.routingKeyFile ? undefined : "webhook alias has no routingKeyFile";
  return alias.url ? undefined : "webhook alias has no url";
}
