// What bounds an attempt: its clock starts with its CPU slot, and error
// messages kept in the durable status are truncated like event errors.
import { create } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { afterEach, describe, expect, it } from "vitest";
import { promise, T, taskNode, workflow } from "../../fixtures/flyte-builders.js";
import { type Harness, intLiteral, launch, literals, registerTasks, registerWorkflow, startHarness, taskOfType, waitForPhase } from "./harness.js";
import { createScriptedPlugin } from "./scripted-plugin.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const scripted = (name: string, script: string) => taskOfType("scripted", `wf.${name}`, { x: T.int() }, { o0: T.int() }, { config: { script } });

describe("attempt limits", () => {
  it("does not count the wait for a CPU slot against the task's execution timeout", async () => {
    const plugin = createScriptedPlugin();
    h = await startHarness({ plugins: [plugin], config: { maxConcurrentTasks: 1 } });
    const slow = scripted("slow", "success:2500");
    const quick = scripted("quick", "success:5");
    const n1 = taskNode("n1", quick, { inputs: { x: promise("", "x") } });
    n1.metadata!.timeout = create(DurationSchema, { seconds: 2n });
    const wf = workflow("wf.slotwait", { inputs: { x: T.int() }, nodes: [taskNode("n0", slow, { inputs: { x: promise("", "x") } }), n1] });
    await registerTasks(h.admin, slow, quick);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "slotwait", literals({ x: intLiteral(1) }));
    await waitForPhase(h.admin, id, ["SUCCEEDED"], 30_000);
    // n1 waited for n0's slot longer than its timeout, then ran.
    expect(plugin.started.indexOf("slotwait-n1-0")).toBeGreaterThan(plugin.started.indexOf("slotwait-n0-0"));
  });

  it("keeps a truncated error in the durable status", async () => {
    h = await startHarness({ plugins: [createScriptedPlugin()] });
    const t = scripted("huge", "huge");
    const wf = workflow("wf.huge", { inputs: { x: T.int() }, nodes: [taskNode("n0", t, { inputs: { x: promise("", "x") } })] });
    await registerTasks(h.admin, t);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "huge", literals({ x: intLiteral(1) }));
    await waitForPhase(h.admin, id, ["FAILED"]);
    const row = await h.store.engine.get({ project: id.project, domain: id.domain, name: id.name });
    const status = JSON.parse(row!.status) as { nodes: Record<string, { error?: { message?: string } }>; error?: { message?: string } };
    const message = status.nodes["n0"]?.error?.message ?? "";
    expect(message).toContain("... <Message Truncated> ...");
    expect(Buffer.byteLength(message)).toBeLessThan(110_000);
    expect(row!.status.length).toBeLessThan(250_000);
  });
});
