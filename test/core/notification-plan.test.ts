import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  EmailNotificationSchema,
  type Notification,
  NotificationSchema,
  PagerDutyNotificationSchema,
  SlackNotificationSchema,
} from "../../gen/flyteidl/admin/common_pb.js";
import { WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { IdentifierSchema, ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { messageIdFor, withRoutingKey } from "../../src/core/notification-payloads.js";
import {
  type DeliveryPayload,
  MAX_DEDUPE_KEY_CHARS,
  type NotificationSettings,
  planDeliveries,
  type PlannedDelivery,
  type TerminalExecution,
} from "../../src/core/notification-plan.js";
import { MAX_TEMPLATE_CHARS } from "../../src/core/notification-template.js";
import { isAllowedUrl } from "../../src/core/webhook-url.js";

type Kind = "email" | "slack" | "pagerDuty";
function notification(kind: Kind, recipients: string[], phases: Phase[], template = ""): Notification {
  const value = { recipientsEmail: recipients, template };
  const type =
    kind === "email"
      ? { case: "email" as const, value: create(EmailNotificationSchema, value) }
      : kind === "slack"
        ? { case: "slack" as const, value: create(SlackNotificationSchema, value) }
        : { case: "pagerDuty" as const, value: create(PagerDutyNotificationSchema, value) };
  return create(NotificationSchema, { phases, type });
}

const settings = (over: Partial<NotificationSettings["webhooks"]> = {}): NotificationSettings => ({
  consoleBaseUrl: "https://flyte.example.com/console",
  email: {
    from: "flyte@example.com",
    subject: 'Flyte execution "{{ name }}" has {{ phase }} in {{ project }}/{{ domain }}.',
    body: "<p>Execution <b>{{ launch_plan.name }}</b> [{{ name }}] has {{ phase }}.{{ error }}</p>",
    bcc: false,
  },
  webhooks: {
    aliases: {
      "slack:#data-alerts": { url: "https://hooks.slack.com/services/T/B/x", format: "slack" },
      "ops-json": { url: "https://ops.example.com/flyte", format: "json", secretFile: "/secrets/ops" },
      "pagerduty:data": { format: "pagerduty", routingKeyFile: "/secrets/pd" },
      "broken-json": { format: "json" },
    },
    allowRawUrls: false,
    allowedUrlPrefixes: ["https://hooks.slack.com/"],
    text: "*{{ launch_plan.name }}* `{{ name }}` has {{ phase }}.{{ error }} <{{ execution_url }}|View>",
    ...over,
  },
});

const execution = (notifications: Notification[], over: Partial<TerminalExecution> = {}): TerminalExecution => ({
  id: { project: "flytesnacks", domain: "development", name: "abc123" },
  phase: Phase.SUCCEEDED,
  notifications,
  launchPlan: create(IdentifierSchema, { resourceType: ResourceType.LAUNCH_PLAN, project: "flytesnacks", domain: "development", name: "daily", version: "v1" }),
  workflow: create(IdentifierSchema, { resourceType: ResourceType.WORKFLOW, project: "flytesnacks", domain: "development", name: "wf", version: "v1" }),
  principal: "alice",
  occurredAt: new Date("2024-05-01T10:00:00Z"),
  ...over,
});

function email(d: PlannedDelivery): Extract<DeliveryPayload, { kind: "email" }> {
  if (d.payload.kind !== "email") throw new Error(`expected an email, got ${d.payload.kind}`);
  return d.payload;
}
function webhook(d: PlannedDelivery): Extract<DeliveryPayload, { kind: "webhook" }> {
  if (d.payload.kind !== "webhook") throw new Error(`expected a webhook, got ${d.payload.kind}`);
  return d.payload;
}

describe("delivery planning", () => {
  it("plans one email per notification whose phases hold the event's phase (scenario 1)", () => {
    const lp = [notification("email", ["a@x"], [Phase.SUCCEEDED])];
    const planned = planDeliveries(execution(lp), settings());
    expect(planned).toHaveLength(1);
    expect(planned[0]).toMatchObject({ channel: "email", target: "a@x", dedupeKey: expect.stringMatching(/^flytesnacks\/development\/abc123\/SUCCEEDED\/0\/[0-9a-f]{16}$/) });
    expect(planned[0]!.dead).toBeUndefined();
    expect(email(planned[0]!)).toMatchObject({ to: ["a@x"], from: "flyte@example.com", bcc: false });

    expect(planDeliveries(execution(lp, { phase: Phase.FAILED, errorMessage: "x" }), settings())).toEqual([]);
    // Non-terminal phases never notify, even when a notification names them.
    expect(planDeliveries(execution([notification("email", ["a@x"], [Phase.RUNNING])], { phase: Phase.RUNNING }), settings())).toEqual([]);
    expect(planDeliveries(execution([create(NotificationSchema, { phases: [Phase.SUCCEEDED] })]), settings())).toEqual([]);
  });

  it("puts all plain recipients of one notification in one email, and a template replaces the body but not the subject", () => {
    const planned = planDeliveries(
      execution([
        notification("email", ["a@x", "b@x"], [Phase.SUCCEEDED]),
        notification("slack", ["team@x"], [Phase.SUCCEEDED], "<i>custom {{ name }}</i>"),
      ]),
      settings(),
    );
    expect(planned.map((d) => [d.channel, d.target])).toEqual([
      ["email", "a@x,b@x"],
      ["email", "team@x"],
    ]);
    const [first, second] = planned.map(email);
    expect(first!.subject).toBe('Flyte execution "abc123" has succeeded in flytesnacks/development.');
    expect(first!.html).toBe("<p>Execution <b>daily</b> [abc123] has succeeded.</p>");
    expect(first!.text).toBe("Execution daily [abc123] has succeeded.");
    expect(second!.subject).toBe(first!.subject);
    expect(second!.html).toBe("<i>custom abc123</i>");
    expect(first!.messageId).toBe(messageIdFor(planned[0]!.dedupeKey));
    expect(first!.messageId).toMatch(/^<[0-9a-f]{32}@flyteadmin-ts>$/);
    expect(planned[0]!.dedupeKey).not.toBe(planned[1]!.dedupeKey);
  });

  it("escapes values in the HTML body and keeps them raw in the subject", () => {
    const planned = planDeliveries(
      execution([notification("email", ["a@x"], [Phase.FAILED])], { phase: Phase.FAILED, errorMessage: "<script>x</script>" }),
      { ...settings(), email: { ...settings().email, subject: "{{ phase }}:{{ error }}" } },
    );
    const { subject, html } = email(planned[0]!);
    expect(subject).toBe("failed: The execution failed with error: [<script>x</script>].");
    expect(html).toContain("[&lt;script&gt;x&lt;/script&gt;]");
    expect(html).not.toContain("<script>");
  });

  it("routes aliases, plain recipients and raw URLs (scenario 9)", () => {
    const planned = planDeliveries(
      execution([
        notification("slack", ["slack:#data-alerts", "team@x", "https://hooks.slack.com/services/raw"], [Phase.SUCCEEDED]),
        notification("email", ["ops-json", "https://hooks.slack.com/not-a-webhook@x"], [Phase.SUCCEEDED]),
      ]),
      settings(),
    );
    expect(planned.map((d) => [d.channel, d.target, d.dead])).toEqual([
      ["email", "team@x", undefined],
      ["webhook", "slack:#data-alerts", undefined],
      ["webhook", "https://hooks.slack.com/services/raw", "raw URLs disabled"],
      // In an email notification a URL is just a recipient, as in FlyteAdmin.
      ["email", "https://hooks.slack.com/not-a-webhook@x", undefined],
      ["webhook", "ops-json", undefined],
    ]);
    const slack = webhook(planned[1]!);
    expect(slack).toEqual({
      kind: "webhook",
      format: "slack",
      alias: "slack:#data-alerts",
      body: JSON.stringify({ text: "*daily* `abc123` has succeeded. <https://flyte.example.com/console/projects/flytesnacks/domains/development/executions/abc123|View>" }),
    });
    expect(webhook(planned[4]!)).toMatchObject({ format: "json", alias: "ops-json" });
    expect(webhook(planned[4]!).url).toBeUndefined();
  });

  it("posts raw URLs only when allowed and prefix-matched: Slack format for Slack, json otherwise", () => {
    const lp = [
      notification("slack", ["https://HOOKS.slack.com/services/a"], [Phase.SUCCEEDED]),
      notification("pagerDuty", ["https://hooks.slack.com/services/b", "https://evil.example/x", "http://[bad"], [Phase.SUCCEEDED]),
    ];
    const planned = planDeliveries(execution(lp), settings({ allowRawUrls: true }));
    expect(planned.map((d) => [d.target, d.dead])).toEqual([
      ["https://hooks.slack.com/services/a", undefined],
      ["https://hooks.slack.com/services/b", undefined],
      ["https://evil.example/x", "raw URL not in allowedUrlPrefixes"],
      ["http://[bad", "invalid webhook URL"],
    ]);
    expect(webhook(planned[0]!)).toMatchObject({ format: "slack", url: "https://hooks.slack.com/services/a" });
    expect(webhook(planned[1]!)).toMatchObject({ format: "json", url: "https://hooks.slack.com/services/b" });
  });

  it("writes the json document of §3.5.3", () => {
    const planned = planDeliveries(
      execution([notification("email", ["ops-json"], [Phase.FAILED])], {
        phase: Phase.FAILED,
        errorMessage: 'bad "quote"',
      }),
      settings(),
    );
    const body = JSON.parse(webhook(planned[0]!).body);
    expect(body).toEqual({
      type: "flyte.execution.phase",
      delivery_id: planned[0]!.dedupeKey,
      occurred_at: "2024-05-01T10:00:00.000Z",
      execution: { project: "flytesnacks", domain: "development", name: "abc123" },
      phase: "FAILED",
      launch_plan: { project: "flytesnacks", domain: "development", name: "daily", version: "v1" },
      workflow: { project: "flytesnacks", domain: "development", name: "wf", version: "v1" },
      principal: "alice",
      error: { message: 'bad "quote"' },
      url: "https://flyte.example.com/console/projects/flytesnacks/domains/development/executions/abc123",
      text: '*daily* `abc123` has failed. The execution failed with error: [bad "quote"]. <https://flyte.example.com/console/projects/flytesnacks/domains/development/executions/abc123|View>',
    });
  });

  it("writes a PagerDuty event without the routing key, which is added at send time", () => {
    const lp = [notification("pagerDuty", ["pagerduty:data"], [Phase.TIMED_OUT, Phase.ABORTED])];
    const timedOut = planDeliveries(execution(lp, { phase: Phase.TIMED_OUT }), settings())[0]!;
    const body = JSON.parse(webhook(timedOut).body);
    expect(body).toMatchObject({ event_action: "trigger", dedup_key: timedOut.dedupeKey, payload: { source: "flyteadmin-ts", severity: "error" } });
    expect(body).not.toHaveProperty("routing_key");
    const aborted = planDeliveries(execution(lp, { phase: Phase.ABORTED }), settings())[0]!;
    expect(JSON.parse(webhook(aborted).body).payload.severity).toBe("info");

    const sent = withRoutingKey(webhook(timedOut).body, "R0UT1NG");
    expect(JSON.parse(sent)).toEqual({ routing_key: "R0UT1NG", ...body });
    expect(sent.endsWith(webhook(timedOut).body.slice(1))).toBe(true);
    expect(withRoutingKey("{}", "k")).toBe('{"routing_key":"k"}');
  });

  it("records config and template problems as dead deliveries", () => {
    const big = "x".repeat(MAX_TEMPLATE_CHARS + 1);
    const planned = planDeliveries(
      execution([notification("email", ["broken-json", "a@x"], [Phase.SUCCEEDED], big)]),
      { ...settings(), email: { ...settings().email, from: "" } },
    );
    expect(planned.map((d) => d.dead)).toEqual(["email.from is not configured", "webhook alias has no url"]);
    const tooBig = planDeliveries(execution([notification("email", ["a@x"], [Phase.SUCCEEDED], big)]), settings())[0]!;
    expect(tooBig.dead).toBe(`template exceeds ${MAX_TEMPLATE_CHARS} characters`);
    expect(email(tooBig).html.length).toBeLessThanOrEqual(MAX_TEMPLATE_CHARS);
  });

  it("gives stable, bounded dedupe keys and plans a repeated alias once", () => {
    const lp = [notification("slack", ["slack:#data-alerts", "slack:#data-alerts", "a@x"], [Phase.SUCCEEDED])];
    const once = planDeliveries(execution(lp), settings());
    expect(once).toHaveLength(2);
    expect(planDeliveries(execution(lp), settings()).map((d) => d.dedupeKey)).toEqual(once.map((d) => d.dedupeKey));
    const long = planDeliveries(execution(lp, { id: { project: "p".repeat(255), domain: "d".repeat(255), name: "n" } }), settings());
    for (const d of long) expect(d.dedupeKey).toMatch(/^[0-9a-f]{64}$/);
    expect(MAX_DEDUPE_KEY_CHARS).toBe(255);
  });

  it("keeps control characters out of recipients", () => {
    const planned = planDeliveries(execution([notification("email", ["a@x\r\nBcc: b@x"], [Phase.SUCCEEDED])]), settings());
    expect(email(planned[0]!).to).toEqual(["a@x Bcc: b@x"]);
  });
});

describe("raw webhook URL allow list", () => {
  const rules = (prefixes: string[], allowRawUrls = true) => ({ allowRawUrls, allowedUrlPrefixes: prefixes });
  it("matches prefixes at a boundary, on the normalised URL", () => {
    expect(isAllowedUrl("https://hooks.slack.com/services/x", rules(["https://hooks.slack.com/"]))).toBe(true);
    expect(isAllowedUrl("https://hooks.slack.com/services/x", rules(["https://hooks.slack.com"]))).toBe(true);
    expect(isAllowedUrl("https://HOOKS.SLACK.COM/a", rules(["https://Hooks.Slack.com"]))).toBe(true);
    expect(isAllowedUrl("https://hooks.slack.com.evil.example/x", rules(["https://hooks.slack.com"]))).toBe(false);
    expect(isAllowedUrl("https://hooks.slack.com@evil.example/x", rules(["https://hooks.slack.com"]))).toBe(false);
    expect(isAllowedUrl("https://hooks.slack.com/services/../../admin", rules(["https://hooks.slack.com/services/"]))).toBe(false);
    expect(isAllowedUrl("https://ops.example.com/hooks2", rules(["https://ops.example.com/hooks"]))).toBe(false);
    expect(isAllowedUrl("https://ops.example.com/hooks?x=1", rules(["https://ops.example.com/hooks"]))).toBe(true);
    expect(isAllowedUrl("file:///etc/passwd", rules([""]))).toBe(false);
    expect(isAllowedUrl("https://hooks.slack.com/x", rules(["https://hooks.slack.com/"], false))).toBe(false);
  });
});
