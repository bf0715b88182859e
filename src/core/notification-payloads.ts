import { createHash } from "node:crypto";
import { WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import type { Identifier } from "../../gen/flyteidl/core/identifier_pb.js";
import type { DeliveryPayload, NotificationSettings, TerminalExecution } from "./notification-plan.js";
import { escapeHtml, escapeSlack, headerText, htmlToText, renderTemplate, truncate } from "./notification-template.js";
import { boundedErrorMessage, executionUrl, isoTime, phaseName } from "./notification-values.js";

type WebhookFormat = "slack" | "json" | "pagerduty";

/** PagerDuty refuses an Events v2 summary longer than this. */
const PAGERDUTY_SUMMARY_CHARS = 1024;

/**
 * A stable Message-ID for one delivery, so that the copy a crash-and-retry may
 * send is recognisable as the same message.
 */
export function messageIdFor(dedupeKey: string): string {
  return `<${createHash("sha256").update(dedupeKey).digest("hex").slice(0, 32)}@flyteadmin-ts>`;
}

/**
 * One email: the config subject (values raw, as one header line) and the
 * notification's template or the config body (values HTML-escaped), with a
 * text part derived from the HTML.
 */
export function emailPayload(
  dedupeKey: string,
  recipients: string[],
  bodyTemplate: string,
  values: Readonly<Record<string, string>>,
  email: NotificationSettings["email"],
): DeliveryPayload {
  const html = renderTemplate(bodyTemplate, values, escapeHtml);
  return {
    kind: "email",
    from: email.from,
    to: recipients,
    bcc: email.bcc,
    subject: headerText(renderTemplate(email.subject, values)),
    html,
    text: htmlToText(html),
    messageId: messageIdFor(dedupeKey),
  };
}

/**
 * One webhook body, rendered now so that every attempt sends the same bytes.
 * `text` is the notification's template or the config text, Slack-escaped
 * for Slack and raw otherwise (JSON.stringify escapes it for JSON). A
 * PagerDuty body has no routing key: the channel inserts it at send time, so
 * the secret is never stored in the outbox.
 */
export function webhookPayload(
  target: { format: WebhookFormat; alias?: string; url?: string },
  dedupeKey: string,
  textTemplate: string,
  values: Readonly<Record<string, string>>,
  execution: TerminalExecution,
  settings: NotificationSettings,
): DeliveryPayload {
  const text = renderTemplate(textTemplate, values, target.format === "slack" ? escapeSlack : undefined);
  const body =
    target.format === "slack"
      ? JSON.stringify({ text })
      : target.format === "pagerduty"
        ? pagerDutyBody(dedupeKey, text, execution, settings)
        : jsonBody(dedupeKey, text, execution, settings);
  return {
    kind: "webhook",
    format: target.format,
    ...(target.alias !== undefined ? { alias: target.alias } : {}),
    ...(target.url !== undefined ? { url: target.url } : {}),
    body,
  };
}

/** The `json` format's document (README "Notifications" has the schema). */
function jsonBody(dedupeKey: string, text: string, execution: TerminalExecution, settings: NotificationSettings): string {
  const error = boundedErrorMessage(execution);
  return JSON.stringify({
    type: "flyte.execution.phase",
    delivery_id: dedupeKey,
    occurred_at: isoTime(execution.occurredAt),
    execution: { project: execution.id.project, domain: execution.id.domain, name: execution.id.name },
    phase: phaseName(execution.phase),
    launch_plan: identifierJson(execution.launchPlan),
    workflow: identifierJson(execution.workflow),
    principal: execution.principal,
    error: error === undefined ? null : { message: error },
    url: executionUrl(settings.consoleBaseUrl, execution.id),
    text,
  });
}

/** An Events API v2 trigger; `dedup_key` lets PagerDuty fold a duplicate send into the same alert. */
function pagerDutyBody(dedupeKey: string, text: string, execution: TerminalExecution, settings: NotificationSettings): string {
  const failed = execution.phase === Phase.FAILED || execution.phase === Phase.TIMED_OUT;
  const url = executionUrl(settings.consoleBaseUrl, execution.id);
  const error = boundedErrorMessage(execution);
  return JSON.stringify({
    event_action: "trigger",
    dedup_key: dedupeKey,
    payload: {
      summary: truncate(text, PAGERDUTY_SUMMARY_CHARS),
      source: "flyteadmin-ts",
      severity: failed ? "error" : "info",
      timestamp: isoTime(execution.occurredAt),
      custom_details: {
        execution: `${execution.id.project}/${execution.id.domain}/${execution.id.name}`,
        phase: phaseName(execution.phase),
        launch_plan: identifierJson(execution.launchPlan),
        ...(error === undefined ? {} : { error }),
      },
    },
    // A link needs an absolute URL, which only a configured console base gives.
    ...(settings.consoleBaseUrl === "" ? {} : { links: [{ href: url, text: "View in console" }] }),
  });
}

function identifierJson(id: Identifier | undefined) {
  return id ? { project: id.project, domain: id.domain, name: id.name, version: id.version } : null;
}

/**
 * The PagerDuty body as sent: the stored body with `routing_key` first. The
 * rest of the bytes are the stored ones, so every attempt differs from the
 * stored body only by the key.
 */
export function withRoutingKey(storedBody: string, routingKey: string): string {
  if (!storedBody.startsWith("{")) throw new Error("PagerDuty body is not a JSON object");
  const rest = storedBody.slice(1);
  return `{"routing_key":${JSON.stringify(routingKey)}${rest === "}" ? "" : ","}${rest}`;
}
