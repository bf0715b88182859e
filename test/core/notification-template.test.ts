import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { IdentifierSchema, ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import type { TerminalExecution } from "../../src/core/notification-plan.js";
import {
  escapeHtml,
  escapeSlack,
  headerText,
  htmlToText,
  MAX_RENDERED_CHARS,
  MAX_VALUE_CHARS,
  renderTemplate,
  truncate,
} from "../../src/core/notification-template.js";
import { templateValues } from "../../src/core/notification-values.js";

const execution = (over: Partial<TerminalExecution> = {}): TerminalExecution => ({
  id: { project: "flytesnacks", domain: "development", name: "f8a1b2c3" },
  phase: Phase.TIMED_OUT,
  notifications: [],
  workflow: create(IdentifierSchema, { resourceType: ResourceType.WORKFLOW, project: "wp", domain: "wd", name: "wf.main", version: "v1" }),
  launchPlan: create(IdentifierSchema, { resourceType: ResourceType.LAUNCH_PLAN, project: "lp", domain: "ld", name: "lp.daily", version: "v2" }),
  principal: "alice@example.com",
  errorMessage: "OOMKilled",
  occurredAt: new Date("2024-05-01T10:01:30.500Z"),
  startedAt: new Date("2024-05-01T10:00:00Z"),
  ...over,
});

const EXPECTED: Record<string, string> = {
  project: "flytesnacks",
  domain: "development",
  name: "f8a1b2c3",
  phase: "timed_out",
  error: " The execution failed with error: [OOMKilled].",
  "workflow.project": "wp",
  "workflow.domain": "wd",
  "workflow.name": "wf.main",
  "workflow.version": "v1",
  "launch_plan.project": "lp",
  "launch_plan.domain": "ld",
  "launch_plan.name": "lp.daily",
  "launch_plan.version": "v2",
  execution_url: "https://flyte.example.com/console/projects/flytesnacks/domains/development/executions/f8a1b2c3",
  phase_upper: "TIMED_OUT",
  principal: "alice@example.com",
  occurred_at: "2024-05-01T10:01:30.500Z",
  duration: "1m30.5s",
};

describe("notification templates", () => {
  it("substitutes every placeholder in both brace forms", () => {
    const values = templateValues(execution(), "https://flyte.example.com/console/");
    expect(values).toEqual(EXPECTED);
    for (const [key, value] of Object.entries(EXPECTED)) {
      expect(renderTemplate(`a {{ ${key} }} b {{${key}}} c`, values), key).toBe(`a ${value} b ${value} c`);
    }
  });

  it("gives FlyteAdmin's error sentence with its leading space, or nothing without an error", () => {
    const body = "Execution {{ name }} has {{ phase }}.{{ error }}";
    expect(renderTemplate(body, templateValues(execution({ phase: Phase.FAILED, errorMessage: "boom" }), ""))).toBe(
      "Execution f8a1b2c3 has failed. The execution failed with error: [boom].",
    );
    expect(renderTemplate(body, templateValues(execution({ phase: Phase.SUCCEEDED, errorMessage: undefined }), ""))).toBe(
      "Execution f8a1b2c3 has succeeded.",
    );
    // An error without a message still says so, as FlyteAdmin does for a set error.
    expect(templateValues(execution({ errorMessage: "" }), "").error).toBe(" The execution failed with error: [].");
  });

  it("leaves unknown placeholders and mixed brace forms as they are, as FlyteAdmin does", () => {
    const values = { name: "n1" };
    expect(renderTemplate("{{ nope }} {{nope}} {{ name}} {{name }} {{  name  }} {name} {{ name }}", values)).toBe(
      "{{ nope }} {{nope}} {{ name}} {{name }} {{  name  }} {name} n1",
    );
    expect(renderTemplate("{{ toString }} {{ constructor }}", values)).toBe("{{ toString }} {{ constructor }}");
  });

  it("never re-expands a value that holds a placeholder", () => {
    const values = templateValues(execution({ errorMessage: "see {{ name }} and {{principal}}", principal: "{{ project }}" }), "");
    expect(renderTemplate("{{ principal }}|{{ error }}", values)).toBe(
      "{{ project }}| The execution failed with error: [see {{ name }} and {{principal}}].",
    );
  });

  it("escapes values for HTML and Slack, and only the values", () => {
    const values = templateValues(execution({ errorMessage: `<script>alert("x" & 'y')</script>` }), "");
    expect(renderTemplate("<p>{{ error }}</p>", values, escapeHtml)).toBe(
      "<p> The execution failed with error: [&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;].</p>",
    );
    expect(renderTemplate("*{{ error }}*", values, escapeSlack)).toBe(
      `* The execution failed with error: [&lt;script&gt;alert("x" &amp; 'y')&lt;/script&gt;].*`,
    );
    expect(escapeHtml("a&b<c>d\"e'f")).toBe("a&amp;b&lt;c&gt;d&quot;e&#39;f");
    expect(escapeSlack("a&b<c>d\"e'f")).toBe("a&amp;b&lt;c&gt;d\"e'f");
  });

  it("makes a subject one header line", () => {
    const values = templateValues(execution({ errorMessage: "x\r\nBcc: victim@example.com" }), "");
    const subject = headerText(renderTemplate("Run {{ name }} {{ phase }}.{{ error }}", values));
    expect(subject).toBe("Run f8a1b2c3 timed_out. The execution failed with error: [x Bcc: victim@example.com].");
    expect(headerText("a".repeat(5000))).toHaveLength(998);
  });

  it("bounds values, templates and output", () => {
    const huge = "e".repeat(1_000_000);
    const values = templateValues(execution({ errorMessage: huge, principal: huge }), "");
    expect(values.error!.length).toBeLessThan(MAX_VALUE_CHARS + 100);
    expect(values.error!.endsWith("…].")).toBe(true);
    expect(values.principal).toHaveLength(MAX_VALUE_CHARS);
    // 10,000 placeholders of a 4 KiB value would be 40 MB: the output stops at the cap.
    const out = renderTemplate("{{ error }}".repeat(10_000), values);
    expect(out).toHaveLength(MAX_RENDERED_CHARS);
    expect(out.endsWith("…")).toBe(true);
    expect(renderTemplate("{{ name }}".repeat(10), { name: "n" }, undefined, 5)).toBe("nnnn…");
  });

  it("runs in one pass over adversarial templates", () => {
    const values = { name: "n" };
    // Compared with ===, so that a failure does not print 100 KiB.
    const braces = "{{".repeat(50_000);
    expect(renderTemplate(braces, values) === braces).toBe(true);
    const unclosed = `{{ ${"a".repeat(64)}`.repeat(1_000);
    expect(renderTemplate(unclosed, values) === unclosed).toBe(true);
    const almost = "{{ name }".repeat(10_000);
    expect(renderTemplate(`${almost}{{ name }}`, values) === `${almost}n`).toBe(true);
  });

  it("derives the text part of an email from its HTML", () => {
    expect(htmlToText('<p>Run <b>lp</b> has failed.</p><p><a href="u">View &amp; fix</a></p>')).toBe("Run lp has failed.\n\nView & fix");
    expect(htmlToText("a<br>b<br/>c &lt;d&gt; &#39;e&#x27; &nosuch; &#xD800;")).toBe("a\nb\nc <d> 'e' &nosuch; &#xD800;");
    expect(htmlToText("<style>p{color:red}</style><script>x()</script>hi")).toBe("hi");
    const unclosed = "<".repeat(100_000);
    expect(htmlToText(unclosed) === unclosed).toBe(true);
  });

  it("cuts text without splitting a surrogate pair", () => {
    expect(truncate("ab😀cd", 4)).toBe("ab…");
    expect(truncate("abc", 3)).toBe("abc");
  });

  it("leaves duration empty without a start and keeps execution URLs well-formed", () => {
    const values = templateValues(execution({ startedAt: undefined, id: { project: "p", domain: "d", name: "a b/c" } }), "");
    expect(values.duration).toBe("");
    expect(values.execution_url).toBe("/projects/p/domains/d/executions/a%20b%2Fc");
    expect(templateValues(execution({ occurredAt: new Date(NaN) }), "").occurred_at).toBe("");
  });
});
