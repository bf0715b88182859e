import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { type Task, TaskSchema } from "../../gen/flyteidl/admin/task_pb.js";
import type { Identifier } from "../../gen/flyteidl/core/identifier_pb.js";
import { type TaskTemplate, TaskTemplateSchema } from "../../gen/flyteidl/core/tasks_pb.js";
import { versionCacheKey } from "../../src/api/answer-cache.js";
import { createTaskTemplates } from "../../src/api/task-templates.js";
import { canonicalText } from "../../src/core/digest.js";
import { pythonTask, T, taskId } from "../fixtures/flyte-builders.js";

/** A task store's `get` over a map, counting the reads. */
function fakeTasks(...templates: TaskTemplate[]) {
  const rows = new Map(templates.map((t) => [versionCacheKey(t.id!), t]));
  const reads: string[] = [];
  let failing = false;
  return {
    reads,
    add: (t: TaskTemplate) => rows.set(versionCacheKey(t.id!), t),
    fail: (on: boolean) => (failing = on),
    async get(id: Identifier): Promise<Task | undefined> {
      reads.push(id.name);
      await new Promise((r) => setImmediate(r));
      if (failing) throw new Error("database unavailable");
      const template = rows.get(versionCacheKey(id));
      // Each read decodes a new object, as the store does.
      return template && create(TaskSchema, { id, closure: { compiledTask: { template: fromBinary(TaskTemplateSchema, toBinary(TaskTemplateSchema, template)) } } });
    },
  };
}

const a = pythonTask("mod.a", { x: T.int() }, { o0: T.int() });
const b = pythonTask("mod.b", { x: T.str() }, { o0: T.str() });

describe("registered task templates", () => {
  it("are read once, then kept with their encoding and canonical text", async () => {
    const store = fakeTasks(a, b);
    const templates = createTaskTemplates(store);
    const first = await templates.get(taskId("mod.a"));
    expect(first!.template).toEqual(a);
    expect(first!.bytes).toEqual(toBinary(TaskTemplateSchema, a));
    expect(first!.canonicalText).toBe(canonicalText(TaskTemplateSchema, a));
    expect(await templates.get(taskId("mod.a"))).toBe(first);
    expect(store.reads).toEqual(["mod.a"]);
  });

  it("are shared frozen: a change to one fails instead of reaching other workflows", async () => {
    const templates = createTaskTemplates(fakeTasks(a));
    const kept = (await templates.get(taskId("mod.a")))!.template;
    expect(() => {
      kept.interface!.outputs = undefined;
    }).toThrow(TypeError);
    expect(() => {
      kept.interface!.inputs!.variables.y = kept.interface!.inputs!.variables.x!;
    }).toThrow(TypeError);
    expect(kept).toEqual(a);
  });

  it("are read once for callers asking at the same time", async () => {
    const store = fakeTasks(a);
    const templates = createTaskTemplates(store);
    const got = await Promise.all([1, 2, 3].map(() => templates.get(taskId("mod.a"))));
    expect(new Set(got).size).toBe(1);
    expect(store.reads).toEqual(["mod.a"]);
  });

  it("keep nothing for a version not registered, nor for a failed read", async () => {
    const store = fakeTasks(a);
    const templates = createTaskTemplates(store);
    expect(await templates.get(taskId("mod.b"))).toBeUndefined();
    store.add(b);
    expect((await templates.get(taskId("mod.b")))!.template).toEqual(b);
    store.fail(true);
    await expect(templates.get(taskId("mod.a"))).rejects.toThrow("database unavailable");
    store.fail(false);
    expect((await templates.get(taskId("mod.a")))!.template).toEqual(a);
    expect(store.reads).toEqual(["mod.b", "mod.b", "mod.a", "mod.a"]);
  });

  it("keep the most recently used within their bound", async () => {
    const store = fakeTasks(a, b);
    // Room for one of them.
    const templates = createTaskTemplates(store, { maxEntries: 10, maxBytes: 8 * toBinary(TaskTemplateSchema, a).length + 1024 });
    await templates.get(taskId("mod.a"));
    await templates.get(taskId("mod.b"));
    await templates.get(taskId("mod.b"));
    await templates.get(taskId("mod.a"));
    expect(store.reads).toEqual(["mod.a", "mod.b", "mod.a"]);
    const one = createTaskTemplates(store, { maxEntries: 1, maxBytes: 1 << 20 });
    store.reads.length = 0;
    for (const name of ["mod.a", "mod.a", "mod.b", "mod.a"]) await one.get(taskId(name));
    expect(store.reads).toEqual(["mod.a", "mod.b", "mod.a"]);
  });
});
