// STAND-IN for the rendering/routing module that lands separately; replaced at merge.
import { createHash } from "node:crypto";
import type { Notification } from "../../gen/flyteidl/admin/common_pb.js";
import { WorkflowExecution_Phase } from "../../gen/flyteidl/core/execution_pb.js";
import type { Identifier } from "../../gen/flyteidl/core/identifier_pb.js";

export interface WebhookAlias {
  url?: string;
  format: "slack" | "json" | "pagerduty";
  secretFile?: string;
  routingKeyFile?: string;
}

export interface NotificationSettings {
  consoleBaseUrl: string;
  email: { from: string; subject: string; body: string; bcc: boolean };
  webhooks: { aliases: Record<string, WebhookAlias>; allowRawUrls: boolean; allowedUrlPrefixes: string[]; text: string };
}

export interface TerminalExecution {
  id: { project: string; domain: string; name: string };
  phase: WorkflowExecution_Phase;
  notifications: readonly Notification[];
  launchPlan?: Identifier;
  workflow?: Identifier;
  principal: string;
  errorMessage?: string;
  occurredAt: Date;
  startedAt?: Date;
}

export type DeliveryPayload =
  | { kind: "email"; from: string; to: string[]; bcc: boolean; subject: string; html: string; text: string; messageId: string }
  | { kind: "webhook"; format: "slack" | "json" | "pagerduty"; alias?: string; url?: string; body: string };

export interface PlannedDelivery {
  dedupeKey: string;
  channel: "email" | "webhook";
  target: string;
  payload: DeliveryPayload;
  dead?: string;
}

export function planDeliveries(execution: TerminalExecution, settings: NotificationSettings): PlannedDelivery[] {
  const out: PlannedDelivery[] = [];
  const phase = WorkflowExecution_Phase[execution.phase] ?? String(execution.phase);
  const { project, domain, name } = execution.id;
  execution.notifications.forEach((n, i) => {
    if (!n.phases.includes(execution.phase)) return;
    const to = n.type.value?.recipientsEmail ?? [];
    const alias = to.length === 1 ? settings.webhooks.aliases[to[0]!] : undefined;
    const hash = createHash("sha256").update(to.join(",")).digest("hex").slice(0, 16);
    const dedupeKey = `${project}/${domain}/${name}/${phase}/${i}/${hash}`;
    if (alias) {
      out.push({ dedupeKey, channel: "webhook", target: to[0]!, payload: { kind: "webhook", format: alias.format, alias: to[0]!, body: JSON.stringify({ text: `${name} ${phase}` }) } });
      return;
    }
    const subject = `${name} has ${phase.toLowerCase()}`;
    out.push({
      dedupeKey,
      channel: "email",
      target: to.join(","),
      payload: { kind: "email", from: settings.email.from, to: [...to], bcc: settings.email.bcc, subject, html: `<p>${subject}</p>`, text: subject, messageId: `<${hash}@flyteadmin-ts>` },
    });
  });
  return out;
}
