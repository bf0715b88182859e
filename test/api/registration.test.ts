import { clone, create } from "@bufbuild/protobuf";
import { failure } from "../helpers/rpc-failure.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NamedEntityState, Sort_Direction } from "../../gen/flyteidl/admin/common_pb.js";
import { LaunchPlanMetadataSchema, LaunchPlanSpecSchema, LaunchPlanState } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import { ParameterMapSchema } from "../../gen/flyteidl/core/interface_pb.js";
import { LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.js";
import { K8sPodSchema } from "../../gen/flyteidl/core/tasks_pb.js";
import { CreateWorkflowFailureReasonSchema } from "../../gen/flyteidl/admin/workflow_pb.js";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import type { App } from "../../src/app.js";
import { inMemoryAdmin } from "../helpers/app.js";
import { type FlytekitPackage, loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";

type Admin = Awaited<ReturnType<typeof inMemoryAdmin>>["admin"];


const P = "flytesnacks";
const D = "development";
let app: App;
let admin: Admin;
beforeEach(async () => {
  ({ app, admin } = await inMemoryAdmin());
  await admin.registerProject({ project: { id: P, name: P } });
});
afterEach(() => app.close());

/** What `pyflyte register` does with a package: every task, workflow and launch plan in order. */
const register = (pkg: FlytekitPackage) => registerPackage(admin, pkg);
const hello = (version = "v1") => loadFlytekitPackage("hello", P, D, version);

describe("workflows", () => {
  it("compile at registration and read back in full, or minimal in lists (scenario 13)", async () => {
    await register(hello());
    const wfId = hello().workflows[0]!.id;
    const wf = await admin.getWorkflow({ id: wfId });
    const primary = wf.closure?.compiledWorkflow?.primary;
    expect(primary?.template?.nodes.map((n) => n.id)).toEqual(["start-node", "end-node", "n0"]);
    expect(primary?.connections?.downstream["start-node"]?.ids).toEqual(["n0"]);
    expect(primary?.connections?.upstream["end-node"]?.ids).toEqual(["n0"]);
    expect(wf.closure?.compiledWorkflow?.tasks.map((t) => t.template?.id?.name)).toEqual(["cfx.hello.wf.say_hello"]);
    const listed = await admin.listWorkflows({ id: { project: P, domain: D }, limit: 10 });
    expect(listed.workflows).toHaveLength(1);
    const minimal = listed.workflows[0]!.closure?.compiledWorkflow;
    expect(minimal?.primary?.template?.nodes).toEqual([]);
    expect(minimal?.primary?.template?.interface?.inputs?.variables.name).toBeDefined();
    expect(minimal?.tasks).toEqual([]);
    expect((await admin.listWorkflowIds({ project: P, domain: D, limit: 10 })).entities.map((e) => e.name)).toEqual(["cfx.hello.wf.hello_wf"]);
  });

  it("answer re-registration with the failure reason detail", async () => {
    await register(hello());
    const again = await failure(admin.createWorkflow(hello().workflows[0]!));
    expect([again.code, again.message]).toEqual(["AlreadyExists", "workflow with identical structure already exists"]);
    expect(again.err.findDetails(CreateWorkflowFailureReasonSchema)[0]?.reason.case).toBe("existsIdenticalStructure");
    const changed = hello().workflows[0]!;
    changed.spec.template!.nodes[0]!.metadata!.name = "renamed";
    const different = await failure(admin.createWorkflow(changed));
    expect(different.code).toBe("InvalidArgument");
    expect(different.message).toMatch(/^cfx\.hello\.wf\.hello_wf workflow with different structure already exists\. \(Please register a new version of the workflow\):\n/);
    expect(different.err.findDetails(CreateWorkflowFailureReasonSchema)[0]?.reason.case).toBe("existsDifferentStructure");
  });

  it("refuse a workflow whose task is not registered (scenario 12)", async () => {
    const pkg = hello();
    const err = await failure(admin.createWorkflow(pkg.workflows[0]!));
    expect(err).toMatchObject({
      code: "InvalidArgument",
      message: `failed to compile workflow for [resource_type:WORKFLOW project:"${P}" domain:"${D}" name:"cfx.hello.wf.hello_wf" version:"v1"] with err: missing entity of type TASK with identifier project:"${P}" domain:"${D}" name:"cfx.hello.wf.say_hello" version:"v1"`,
    });
  });

  it("compile each version against the task as registered, whatever an earlier compile filled in", async () => {
    // A task whose interface has no outputs map: compiling gives the workflow's copy an empty one.
    const pkg = hello();
    const task = pkg.tasks[0]!;
    task.spec.template!.interface!.outputs = undefined;
    await admin.createTask(task);
    const wf = pkg.workflows[0]!;
    wf.spec.template!.outputs = [];
    wf.spec.template!.interface!.outputs = undefined;
    await admin.createWorkflow(wf);
    // The same structure again (its tasks kept since the first compile) is the same digest.
    const again = await failure(admin.createWorkflow(wf));
    expect([again.code, again.message]).toEqual(["AlreadyExists", "workflow with identical structure already exists"]);
    await admin.createWorkflow({ ...wf, id: { ...wf.id!, version: "v2" } });
    const compiledTask = async (version: string) => (await admin.getWorkflow({ id: { ...wf.id!, version } })).closure!.compiledWorkflow!.tasks[0]!.template!;
    expect((await compiledTask("v1")).interface!.outputs).toBeDefined();
    expect(await compiledTask("v2")).toEqual(await compiledTask("v1"));
    expect((await admin.getTask({ id: task.id })).closure!.compiledTask!.template!.interface!.outputs).toBeUndefined();
  });

  it("register flytekit's typed DAG with its fan-in", async () => {
    const pkg = loadFlytekitPackage("typed_dag", P, D, "v1");
    await register(pkg);
    const wf = await admin.getWorkflow({ id: pkg.workflows[0]!.id });
    const up = wf.closure?.compiledWorkflow?.primary?.connections?.upstream ?? {};
    const fanIn = Object.entries(up).find(([, set]) => set.ids.length >= 2);
    expect(fanIn).toBeDefined();
    expect(wf.closure?.compiledWorkflow?.tasks).toHaveLength(4);
    const lp = await admin.getLaunchPlan({ id: pkg.launchPlans[0]!.id });
    expect(Object.keys(lp.closure?.expectedInputs?.parameters ?? {}).sort()).toEqual(["a", "f", "flag", "s", "weights", "when", "xs"].sort());
    expect(lp.closure?.expectedInputs?.parameters.a?.behavior.case).toBe("required");
  });
});

describe("launch plans", () => {
  it("are created inactive with expected inputs and outputs (scenario 14)", async () => {
    await register(hello());
    const lpId = hello().launchPlans[0]!.id;
    const lp = await admin.getLaunchPlan({ id: lpId });
    expect(lp.closure?.state).toBe(LaunchPlanState.INACTIVE);
    expect(lp.spec?.defaultInputs?.parameters.name?.behavior.case).toBe("default");
    expect(lp.closure?.expectedInputs).toEqual(lp.spec?.defaultInputs);
    expect(Object.keys(lp.closure?.expectedOutputs?.variables ?? {})).toEqual(["o0"]);
    expect(lp.closure?.createdAt).toBeDefined();
    expect((await failure(admin.createLaunchPlan(hello().launchPlans[0]!))).message).toBe("launch plan with identical structure already exists");
  });

  it("activate one version at a time (scenario 15)", async () => {
    await register(hello());
    const v1 = hello().launchPlans[0]!;
    const v2 = hello("v2").launchPlans[0]!;
    v2.spec.workflowId = v1.spec.workflowId;
    const name = { project: P, domain: D, name: v1.id.name };
    expect(await failure(admin.getActiveLaunchPlan({ id: name }))).toMatchObject({
      code: "NotFound",
      message: `No active launch plan could be found: ${P}:${D}:${v1.id.name}`,
    });
    await admin.updateLaunchPlan({ id: v1.id, state: LaunchPlanState.ACTIVE });
    await admin.createLaunchPlan(v2);
    await admin.updateLaunchPlan({ id: v2.id, state: LaunchPlanState.ACTIVE });
    expect((await admin.getActiveLaunchPlan({ id: name })).id?.version).toBe("v2");
    expect((await admin.getLaunchPlan({ id: v1.id })).closure?.state).toBe(LaunchPlanState.INACTIVE);
    const active = await admin.listActiveLaunchPlans({ project: P, domain: D, limit: 10 });
    expect(active.launchPlans.map((lp) => lp.id?.version)).toEqual(["v2"]);
    await admin.updateLaunchPlan({ id: v2.id, state: LaunchPlanState.INACTIVE });
    expect((await admin.listActiveLaunchPlans({ project: P, domain: D, limit: 10 })).launchPlans).toEqual([]);
    expect((await failure(admin.updateLaunchPlan({ id: { ...v2.id, version: "v9" }, state: LaunchPlanState.ACTIVE }))).code).toBe("NotFound");
    expect((await failure(admin.updateLaunchPlan({ id: v2.id, state: 7 as LaunchPlanState }))).message).toMatch(/^Unrecognized launch plan state 7 for update for launch plan \[/);
  });

  it("are validated against the workflow interface and schedule rules (scenario 16)", async () => {
    await register(hello());
    const base = hello("v3").launchPlans[0]!;
    const variant = (edit: (spec: typeof base.spec) => void) => {
      const spec = clone(LaunchPlanSpecSchema, base.spec);
      spec.workflowId = hello().launchPlans[0]!.spec.workflowId;
      edit(spec);
      return { id: base.id, spec };
    };
    expect((await failure(admin.createLaunchPlan(variant((s) => (s.fixedInputs = { $typeName: "flyteidl.core.LiteralMap", literals: { y: { $typeName: "flyteidl.core.Literal", value: { case: "scalar", value: { $typeName: "flyteidl.core.Scalar", value: { case: "primitive", value: { $typeName: "flyteidl.core.Primitive", value: { case: "integer", value: 1n } } } } }, hash: "", metadata: {} } } })))))
      .message).toBe("unexpected fixed_input y");
    const scheduled = (cron: string, withDefault: boolean) =>
      variant((s) => {
        s.entityMetadata = { $typeName: "flyteidl.admin.LaunchPlanMetadata", notifications: [], schedule: { $typeName: "flyteidl.admin.Schedule", kickoffTimeInputArg: "", ScheduleExpression: { case: "cronSchedule", value: { $typeName: "flyteidl.admin.CronSchedule", schedule: cron, offset: "" } } } };
        if (!withDefault) s.defaultInputs = { $typeName: "flyteidl.core.ParameterMap", parameters: {} };
      });
    expect((await failure(admin.createLaunchPlan(scheduled("0 * * * *", false)))).message).toBe(
      "Cannot create a launch plan with a schedule if there is an unbound required input. [name] is required",
    );
    expect((await failure(admin.createLaunchPlan(scheduled("* * * * * *", true)))).message).toBe(
      "Invalid cron expression: expected exactly 5 fields, found 6: [* * * * * *]",
    );
    await admin.createLaunchPlan(scheduled("@hourly", true));
    const missingWorkflow = variant((s) => (s.workflowId = { ...s.workflowId!, version: "v404" }));
    expect((await failure(admin.createLaunchPlan(missingWorkflow))).code).toBe("NotFound");
  });

  it("list by workflow fields as the console filters them", async () => {
    await register(hello());
    const wf = hello().workflows[0]!.id;
    const res = await admin.listLaunchPlans({
      id: { project: P, domain: D },
      limit: 10,
      filters: `eq(workflow.name,${wf.name})+eq(workflow.project,${P})+eq(workflow.domain,${D})`,
      sortBy: { key: "created_at", direction: Sort_Direction.DESCENDING },
    });
    expect(res.launchPlans.map((lp) => lp.id?.name)).toEqual([wf.name]);
    expect((await admin.listLaunchPlans({ id: { project: P, domain: D }, limit: 10, filters: "eq(workflow.name,other)" })).launchPlans).toEqual([]);
    expect((await admin.listLaunchPlanIds({ project: P, domain: D, limit: 10 })).entities).toHaveLength(1);
  });
});

describe("named entities", () => {
  it("list names with metadata, hiding .flytegen names unless filtered (scenario 20, paging after filters)", async () => {
    await register(hello());
    const task = hello().tasks[0]!;
    for (const name of [".flytegen.x", "a", "wf2"]) {
      await admin.createTask({ id: { ...task.id, name }, spec: task.spec });
    }
    const list = (filters = "", limit = 10) =>
      admin.listNamedEntities({ resourceType: ResourceType.TASK, project: P, domain: D, limit, filters, sortBy: { key: "name", direction: Sort_Direction.ASCENDING } });
    expect((await list()).entities.map((e) => e.id?.name)).toEqual(["a", "cfx.hello.wf.say_hello", "wf2"]);
    const page = await list("", 2);
    expect([page.entities.map((e) => e.id?.name), page.token]).toEqual([["a", "cfx.hello.wf.say_hello"], "2"]);
    expect((await list("eq(state,0)")).entities.map((e) => e.id?.name)).toEqual([".flytegen.x", "a", "cfx.hello.wf.say_hello", "wf2"]);
    await admin.updateNamedEntity({ resourceType: ResourceType.TASK, id: { project: P, domain: D, name: "a" }, metadata: { description: "d", state: NamedEntityState.NAMED_ENTITY_ARCHIVED } });
    expect((await list("eq(state,0)")).entities.map((e) => e.id?.name)).not.toContain("a");
    expect((await list("eq(state,1)")).entities.map((e) => [e.id?.name, e.metadata?.description])).toEqual([["a", "d"]]);
  });

  it("get and update metadata with FlyteAdmin's rules (scenario 21)", async () => {
    await register(hello());
    const id = { project: P, domain: D, name: hello().workflows[0]!.id.name };
    expect(await failure(admin.updateNamedEntity({ resourceType: ResourceType.WORKFLOW, id: { ...id, name: "nope" }, metadata: { state: NamedEntityState.NAMED_ENTITY_ARCHIVED } }))).toMatchObject({
      code: "NotFound",
      message: "entry not found",
    });
    await admin.updateNamedEntity({ resourceType: ResourceType.WORKFLOW, id, metadata: { description: "d", state: NamedEntityState.NAMED_ENTITY_ARCHIVED } });
    await admin.updateNamedEntity({ resourceType: ResourceType.WORKFLOW, id, metadata: { description: "", state: NamedEntityState.NAMED_ENTITY_ACTIVE } });
    const got = await admin.getNamedEntity({ resourceType: ResourceType.WORKFLOW, id });
    expect(got.metadata).toMatchObject({ description: "d", state: NamedEntityState.NAMED_ENTITY_ACTIVE });
    expect((await admin.getNamedEntity({ resourceType: ResourceType.LAUNCH_PLAN, id })).metadata?.state).toBe(NamedEntityState.NAMED_ENTITY_ACTIVE);
    expect((await failure(admin.getNamedEntity({ resourceType: ResourceType.UNSPECIFIED, id }))).message).toBe("invalid value for resource_type");
    expect((await failure(admin.getNamedEntity({ resourceType: ResourceType.DATASET, id }))).message).toBe("Cannot get NamedEntityMetadata for resource type: DATASET");
    expect((await failure(admin.listNamedEntities({ resourceType: ResourceType.DATASET, project: P, domain: D, limit: 1 }))).message).toBe(
      "Cannot list entity names for resource type: DATASET",
    );
  });
});

describe("description entities", () => {
  it("list the versions of a name as the console asks", async () => {
    await register(hello());
    await register(hello("v2"));
    const task = hello().tasks[0]!.id;
    const res = await admin.listDescriptionEntities({
      resourceType: ResourceType.TASK,
      id: { project: P, domain: D, name: task.name },
      limit: 1,
      filters: `eq(task.name,${task.name})+eq(task.project,${P})+eq(task.domain,${D})`,
      sortBy: { key: "created_at", direction: Sort_Direction.DESCENDING },
    });
    expect(res.descriptionEntities.map((d) => d.id?.version)).toEqual(["v2"]);
    expect(res.token).toBe("1");
    expect((await failure(admin.listDescriptionEntities({ resourceType: ResourceType.TASK, id: { project: P, domain: D }, limit: 1 }))).message).toBe("missing name");
    expect((await failure(admin.getDescriptionEntity({ id: { ...task, version: "v9" } }))).message).toBe("entry not found");
  });
});

describe("payloads a client can get wrong", () => {
  it("are INVALID_ARGUMENT, never INTERNAL", async () => {
    await register(hello());
    const base = hello("v5").launchPlans[0]!;
    const spec = clone(LaunchPlanSpecSchema, base.spec);
    spec.workflowId = hello().launchPlans[0]!.spec.workflowId;
    spec.fixedInputs = create(LiteralMapSchema, {
      literals: { name: { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "datetime", value: { seconds: 999999999999999n } } } } } } } },
    });
    spec.defaultInputs = create(ParameterMapSchema);
    expect(await failure(admin.createLaunchPlan({ id: base.id, spec }))).toEqual({
      code: "InvalidArgument",
      message: "timestamp (seconds:999999999999999) after 9999-12-31",
    });

    const task = hello("v5").tasks[0]!;
    task.spec.template!.metadata!.timeout = { $typeName: "google.protobuf.Duration", seconds: 999999999999n, nanos: 0 };
    const timeout = await failure(admin.createTask(task));
    expect(timeout.code).toBe("InvalidArgument");

    const pod = hello("v6").tasks[0]!;
    pod.spec.template!.target = { case: "k8sPod", value: create(K8sPodSchema, { podSpec: { containers: [null] } }) };
    expect(await failure(admin.createTask(pod))).toEqual({
      code: "InvalidArgument",
      message: "task failed compilation with Collected Errors: 1\n\tError 0: Code: InvalidValue, Node Id: root, Description: Invalid value [k8s pod spec container name].\n",
    });
  });

  it("accept what FlyteAdmin accepts: an empty cron expression is no schedule", async () => {
    await register(hello());
    const base = hello("v7").launchPlans[0]!;
    const spec = clone(LaunchPlanSpecSchema, base.spec);
    spec.workflowId = hello().launchPlans[0]!.spec.workflowId;
    spec.defaultInputs = create(ParameterMapSchema);
    spec.entityMetadata = create(LaunchPlanMetadataSchema, { schedule: { ScheduleExpression: { case: "cronExpression", value: "" } } });
    await admin.createLaunchPlan({ id: base.id, spec });
    const descriptions = await admin.listDescriptionEntities({ id: { project: P, domain: D, name: hello().tasks[0]!.id.name }, limit: 10 });
    expect(descriptions.descriptionEntities).toHaveLength(1);
  });
});
