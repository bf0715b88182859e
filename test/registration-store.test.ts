import { create, equals, toBinary } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { LaunchPlanSchema, LaunchPlanState } from "../gen/flyteidl/admin/launch_plan_pb.js";
import { TaskSchema } from "../gen/flyteidl/admin/task_pb.js";
import { CompiledWorkflowClosureSchema } from "../gen/flyteidl/core/compiler_pb.js";
import { type Identifier, IdentifierSchema, ResourceType } from "../gen/flyteidl/core/identifier_pb.js";
import { NAMED_ENTITY_COLUMNS, NAMED_ENTITY_METADATA_COLUMNS, LAUNCH_PLAN_COLUMNS, TASK_COLUMNS, WORKFLOW_COLUMNS } from "../src/core/entity-columns.js";
import { parseListRequest } from "../src/core/list-query.js";
import { createSqlStore } from "../src/storage/sql-store.js";
import type { Store } from "../src/storage/store.js";
import { backends } from "./helpers/backends.js";

const P = "p";
const D = "d";
const id = (resourceType: ResourceType, name: string, version: string): Identifier =>
  create(IdentifierSchema, { resourceType, project: P, domain: D, name, version });
const digest = (s: string) => Buffer.from(s);
const query = (scope: Parameters<typeof parseListRequest>[1]["scope"], filters = "", limit = 100) =>
  parseListRequest({ filters, limit, token: "" }, { scope, op: "test" });

async function seed(store: Store) {
  for (const [name, version] of [["t1", "v1"], ["t1", "v2"], ["t2", "v1"], [".flytegen.t3", "v1"]] as const) {
    expect(await store.tasks.create(create(TaskSchema, { id: id(ResourceType.TASK, name, version) }), digest(name + version), "python-task")).toBeUndefined();
  }
  for (const version of ["v1", "v2"]) {
    await store.workflows.create({ id: id(ResourceType.WORKFLOW, "wf", version), shortDescription: "" }, undefined, digest(version));
  }
  for (const [name, wf] of [["lp", "v1"], ["lp2", "v2"]] as const) {
    for (const version of ["v1", "v2", "v3"]) {
      const lp = create(LaunchPlanSchema, { id: id(ResourceType.LAUNCH_PLAN, name, version), spec: { workflowId: id(ResourceType.WORKFLOW, "wf", wf) } });
      await store.launchPlans.create(lp, digest(name + version), "NONE");
    }
  }
}

describe.each(backends)("Registration store on $name", ({ open }) => {
  let store: Store;
  afterEach(async () => store?.close());

  it("returns the stored version instead of inserting over it", async () => {
    store = createSqlStore(await open());
    await seed(store);
    const again = await store.tasks.create(create(TaskSchema, { id: id(ResourceType.TASK, "t1", "v1"), shortDescription: "other" }), digest("x"), "python-task");
    expect(again && Buffer.from(again.digest).toString()).toBe("t1v1");
    expect((await store.tasks.get(id(ResourceType.TASK, "t1", "v1")))?.shortDescription).toBe("");
  });

  it("keeps a workflow's compiled closure as given in binary, and reads it back whole or decoded", async () => {
    store = createSqlStore(await open());
    const closure = create(CompiledWorkflowClosureSchema, {
      primary: { template: { id: id(ResourceType.WORKFLOW, "wf", "c1"), nodes: [{ id: "n0" }] } },
      tasks: [{ template: { id: id(ResourceType.TASK, "t", "v1"), type: "python-task" } }],
    });
    const compiled = toBinary(CompiledWorkflowClosureSchema, closure);
    expect(await store.workflows.create({ id: id(ResourceType.WORKFLOW, "wf", "c1"), compiled, shortDescription: "s" }, undefined, digest("c1"))).toBeUndefined();
    expect(await store.workflows.create({ id: id(ResourceType.WORKFLOW, "wf", "c0"), shortDescription: "" }, undefined, digest("c0"))).toBeUndefined();
    expect(Buffer.from((await store.workflows.getCompiled(id(ResourceType.WORKFLOW, "wf", "c1")))!).equals(Buffer.from(compiled))).toBe(true);
    const got = await store.workflows.get(id(ResourceType.WORKFLOW, "wf", "c1"));
    expect(equals(CompiledWorkflowClosureSchema, got!.closure!.compiledWorkflow!, closure)).toBe(true);
    expect(got!.shortDescription).toBe("s");
    expect((await store.workflows.get(id(ResourceType.WORKFLOW, "wf", "c0")))!.closure!.compiledWorkflow).toBeUndefined();
  });

  it("lists versions and distinct names", async () => {
    store = createSqlStore(await open());
    await seed(store);
    expect((await store.tasks.list({ project: P, domain: D, name: "t1" }, query([TASK_COLUMNS]))).map((t) => t.id?.version).sort()).toEqual(["v1", "v2"]);
    expect((await store.tasks.listIds({ project: P, domain: D }, query([TASK_COLUMNS]))).map((e) => e.name)).toEqual([".flytegen.t3", "t1", "t2"]);
    expect((await store.workflows.list({ project: P, domain: D }, query([WORKFLOW_COLUMNS], "eq(version,v2)"))).map((w) => w.id?.version)).toEqual(["v2"]);
    const byWorkflow = await store.launchPlans.list({ project: P, domain: D }, query([LAUNCH_PLAN_COLUMNS, WORKFLOW_COLUMNS], "eq(workflow.version,v2)"));
    expect(byWorkflow.map((lp) => lp.id?.name)).toEqual(["lp2", "lp2", "lp2"]);
  });

  it("keeps one active version per name, even under concurrent activations", async () => {
    store = createSqlStore(await open());
    await seed(store);
    const versions = ["v1", "v2", "v3"];
    await Promise.all(versions.flatMap((v) => [store.launchPlans.activate(id(ResourceType.LAUNCH_PLAN, "lp", v)), store.launchPlans.activate(id(ResourceType.LAUNCH_PLAN, "lp", v))]));
    const active = await store.launchPlans.listActive({ project: P, domain: D }, query([LAUNCH_PLAN_COLUMNS]));
    expect(active).toHaveLength(1);
    expect((await store.launchPlans.getActive({ project: P, domain: D, name: "lp" }))?.closure?.state).toBe(LaunchPlanState.ACTIVE);
    expect(await store.launchPlans.activate(id(ResourceType.LAUNCH_PLAN, "lp", "v9"))).toBe("missing");
  });

  it("lists named entities with metadata, filtering before paging", async () => {
    store = createSqlStore(await open());
    await seed(store);
    const scope = [NAMED_ENTITY_COLUMNS, NAMED_ENTITY_METADATA_COLUMNS] as const;
    await store.namedEntities.updateMetadata(ResourceType.TASK, { project: P, domain: D, name: "t1" }, { $typeName: "flyteidl.admin.NamedEntityMetadata", description: "first", state: 1 });
    const names = async (filters: string, limit = 100) =>
      (await store.namedEntities.list(ResourceType.TASK, { project: P, domain: D }, query(scope, filters, limit))).map((e) => [e.id?.name, e.metadata?.state]);
    expect(await names("eq(state,0)")).toEqual([[".flytegen.t3", 0], ["t2", 0]]);
    expect(await names("not_like(name,.flytegen%)+eq(state,0)", 1)).toEqual([["t2", 0]]);
    expect(await names("eq(named_entity_metadata.description,first)")).toEqual([["t1", 1]]);
    expect((await store.namedEntities.get(ResourceType.TASK, { project: P, domain: D, name: "t1" }))?.metadata?.description).toBe("first");
    expect(await store.namedEntities.get(ResourceType.TASK, { project: P, domain: D, name: "nope" })).toBeUndefined();
    expect((await store.namedEntities.list(ResourceType.LAUNCH_PLAN, { project: P, domain: D }, query(scope, "eq(state,0)"))).map((e) => e.id?.name)).toEqual(["lp", "lp2"]);
  });
});
