import { clone, create } from "@bufbuild/protobuf";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Sort_Direction } from "../../gen/flyteidl/admin/common_pb.js";
import { EventFailureReasonSchema } from "../../gen/flyteidl/admin/event_pb.js";
import { ExecutionClosureSchema, ExecutionMetadata_ExecutionMode as Mode, ExecutionState } from "../../gen/flyteidl/admin/execution_pb.js";
import { ConcurrencyLimitBehavior, ConcurrencyPolicySchema, LaunchPlanState } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import { WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import type { LiteralMap } from "../../gen/flyteidl/core/literals_pb.js";
import type { App } from "../../src/app.js";
import type { ExecutionLaunch } from "../../src/engine/workflow-executor.js";
import { inMemoryAdmin } from "../helpers/app.js";
import { failure } from "../helpers/rpc-failure.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";

type Admin = Awaited<ReturnType<typeof inMemoryAdmin>>["admin"];

const P = "flytesnacks";
const D = "development";
const pkg = loadFlytekitPackage("hello", P, D, "v1");
const lpId = pkg.launchPlans[0]!.id;
const taskId = pkg.tasks[0]!.id;
const str = (s: string) => ({ value: { case: "scalar" as const, value: { value: { case: "primitive" as const, value: { value: { case: "stringValue" as const, value: s } } } } } });
const int = (n: bigint) => ({ value: { case: "scalar" as const, value: { value: { case: "primitive" as const, value: { value: { case: "integer" as const, value: n } } } } } });
/** The string value of a scalar literal in a map. */
const stringOf = (m: LiteralMap | undefined, k: string) => {
  const literal = m?.literals[k]?.value;
  const scalar = literal?.case === "scalar" ? literal.value.value : undefined;
  const primitive = scalar?.case === "primitive" ? scalar.value.value : undefined;
  return primitive?.case === "stringValue" ? primitive.value : undefined;
};

let app: App;
let admin: Admin;
beforeEach(async () => {
  ({ app, admin } = await inMemoryAdmin());
  await admin.registerProject({ project: { id: P, name: P } });
  await registerPackage(admin, pkg);
  await admin.updateLaunchPlan({ id: lpId, state: LaunchPlanState.ACTIVE });
});
afterEach(() => app.close());

const run = (over: { name?: string; inputs?: Record<string, ReturnType<typeof str>>; launchPlan?: typeof lpId } = {}) =>
  admin.createExecution({
    project: P,
    domain: D,
    name: over.name ?? "",
    spec: { launchPlan: over.launchPlan ?? lpId, metadata: { principal: "placeholder" } },
    inputs: { literals: over.inputs ?? {} },
  });

describe("CreateExecution through the launch plan", () => {
  it("runs hello world with its default input and reads it back (scenario 1, 5)", async () => {
    const { id } = await run();
    expect(id?.name).toMatch(/^a[bcdfghjklmnpqrstvwxz2456789]{19}$/);
    const e = await admin.getExecution({ id });
    expect(e.closure?.phase).toBe(Phase.UNDEFINED);
    expect(e.closure?.stateChangeDetails?.state).toBe(ExecutionState.EXECUTION_ACTIVE);
    expect(e.closure?.workflowId?.name).toBe("cfx.hello.wf.hello_wf");
    expect(e.spec?.metadata?.principal).toBe("");
    expect(e.spec?.maxParallelism).toBe(25);
    expect(e.spec?.metadata?.systemMetadata?.namespace).toBe(`${P}-${D}`);
    const data = await admin.getExecutionData({ id });
    expect(stringOf(data.fullInputs, "name")).toBe("world");
    expect(data.fullOutputs?.literals).toEqual({});
    const userInputs = await app.store.executions.get({ project: P, domain: D, name: id!.name });
    expect(userInputs?.userInputsUri).toMatch(new RegExp(`/metadata/${P}/${D}/${id!.name}/user_inputs$`));
  });

  it("takes explicit inputs and refuses wrong ones with FlyteAdmin's messages (scenario 4)", async () => {
    const { id } = await run({ name: "explicit", inputs: { name: str("flyte") } });
    expect(stringOf((await admin.getExecutionData({ id })).fullInputs, "name")).toBe("flyte");
    expect((await failure(run({ inputs: { name: int(1n) as never } }))).message).toBe(
      "invalid name input wrong type. Expected simple:STRING, but got simple:INTEGER",
    );
    expect((await failure(run({ inputs: { z: str("x") } }))).message).toBe("invalid input z");
  });

  it("refuses duplicates and bad names without writing anything (scenarios 2, 3, 6)", async () => {
    await run({ name: "exec1", inputs: { name: str("first") } });
    expect(await failure(run({ name: "exec1", inputs: { name: str("second") } }))).toMatchObject({ code: "AlreadyExists" });
    expect(stringOf((await admin.getExecutionData({ id: { project: P, domain: D, name: "exec1" } })).fullInputs, "name")).toBe("first");
    expect((await failure(run({ name: "Exec_1" }))).message).toBe("invalid name format: exec_1, does not match regex '^[a-z][a-z\\-0-9]*$'");
    expect((await failure(run({ launchPlan: { ...lpId, resourceType: ResourceType.UNSPECIFIED } }))).message).toMatch(/^Invalid reference entity resource type \[UNSPECIFIED\]/);
    expect((await failure(run({ launchPlan: { ...lpId, version: "v9" } }))).code).toBe("NotFound");
  });
});

describe("CreateExecution of a single task (scenario 8)", () => {
  it("generates the .flytegen workflow and inactive launch plan", async () => {
    const { id } = await run({ launchPlan: taskId, inputs: { name: str("task") } });
    const e = await admin.getExecution({ id });
    expect(e.closure?.workflowId?.name).toBe(".flytegen.cfx.hello.wf.say_hello");
    expect(e.spec?.launchPlan?.resourceType).toBe(ResourceType.TASK);
    const lp = await admin.getLaunchPlan({ id: { ...taskId, resourceType: ResourceType.LAUNCH_PLAN, name: ".flytegen.cfx.hello.wf.say_hello" } });
    expect(lp.closure?.state).toBe(LaunchPlanState.INACTIVE);
    const entity = await admin.getNamedEntity({ resourceType: ResourceType.WORKFLOW, id: { project: P, domain: D, name: ".flytegen.cfx.hello.wf.say_hello" } });
    expect(entity.metadata?.state).toBe(2);
    const listed = await admin.listExecutions({ id: { project: P, domain: D }, limit: 10, filters: "eq(launch_entity,task)" });
    expect(listed.executions.map((x) => x.id?.name)).toEqual([id!.name]);
    // Running the task again reuses the generated entities.
    await run({ launchPlan: taskId, inputs: { name: str("again") } });
  });
});

describe("the execution lifecycle", () => {
  it("lists as the console filters, hiding archived executions (archive)", async () => {
    const a = (await run({ name: "a1" })).id!;
    await run({ name: "a2" });
    const wf = "cfx.hello.wf.hello_wf";
    const byWorkflow = await admin.listExecutions({
      id: { project: P, domain: D },
      limit: 10,
      filters: `eq(workflow.name,${wf})+eq(workflow.project,${P})+eq(workflow.domain,${D})`,
      sortBy: { key: "created_at", direction: Sort_Direction.DESCENDING },
    });
    expect(byWorkflow.executions.map((e) => e.id?.name)).toEqual(["a2", "a1"]);
    const byLaunchPlan = await admin.listExecutions({ id: { project: P, domain: D }, limit: 10, filters: `eq(launch_plan.name,${lpId.name})` });
    expect(byLaunchPlan.executions).toHaveLength(2);
    await admin.updateExecution({ id: a, state: ExecutionState.EXECUTION_ARCHIVED });
    expect((await admin.listExecutions({ id: { project: P, domain: D }, limit: 10 })).executions.map((e) => e.id?.name)).toEqual(["a2"]);
    expect((await admin.listExecutions({ id: { project: P, domain: D }, limit: 10, filters: "eq(state,1)" })).executions.map((e) => e.id?.name)).toEqual(["a1"]);
    expect((await admin.getExecution({ id: a })).closure?.stateChangeDetails?.state).toBe(ExecutionState.EXECUTION_ARCHIVED);
    expect((await admin.listExecutions({ id: { project: P, domain: D }, limit: 10, filters: "eq(execution_tag.key,x)" })).executions).toEqual([]);
  });

  it("relaunches and recovers with the original user inputs", async () => {
    const source = (await run({ name: "source", inputs: { name: str("orig") } })).id!;
    const relaunched = (await admin.relaunchExecution({ id: source, name: "" })).id!;
    const r = await admin.getExecution({ id: relaunched });
    expect(r.spec?.metadata?.mode).toBe(Mode.RELAUNCH);
    expect(r.spec?.metadata?.referenceExecution?.name).toBe("source");
    expect(stringOf((await admin.getExecutionData({ id: relaunched })).fullInputs, "name")).toBe("orig");
    const recovered = (await admin.recoverExecution({ id: source, name: "recovered" })).id!;
    expect((await admin.getExecution({ id: recovered })).spec?.metadata?.mode).toBe(Mode.RECOVERED);
    expect((await failure(admin.relaunchExecution({ id: { project: P, domain: D, name: "nope" }, name: "" }))).code).toBe("NotFound");
  });

  it("terminates: ABORTING, again ABORTING, and refused once terminal with the phase detail", async () => {
    const id = (await run({ name: "victim" })).id!;
    await admin.terminateExecution({ id, cause: "user asked" });
    let e = await admin.getExecution({ id });
    expect(e.closure?.phase).toBe(Phase.ABORTING);
    expect(e.closure?.outputResult).toMatchObject({ case: "abortMetadata", value: { cause: "user asked" } });
    await admin.terminateExecution({ id, cause: "again" });
    expect((await admin.getExecution({ id })).closure?.phase).toBe(Phase.ABORTING);
    // An engine reports the end; until events exist, set it the way the event path will.
    const done = clone(ExecutionClosureSchema, e.closure!);
    done.phase = Phase.SUCCEEDED;
    await app.store.executions.updateClosure({ project: P, domain: D, name: "victim" }, Phase.ABORTING, done);
    const refused = await failure(admin.terminateExecution({ id, cause: "late" }));
    expect([refused.code, refused.message]).toEqual(["FailedPrecondition", "Cannot abort an already terminated workflow execution"]);
    const detail = refused.err.findDetails(EventFailureReasonSchema)[0];
    expect(detail?.reason).toMatchObject({ case: "alreadyInTerminalState", value: { currentPhase: "SUCCEEDED" } });
    e = await admin.getExecution({ id });
    expect(e.closure?.phase).toBe(Phase.SUCCEEDED);
  });
});


describe("launch plan concurrency (scenario 9)", () => {
  it("skips a launch over the limit with ALREADY_EXISTS", async () => {
    const limited = loadFlytekitPackage("hello", P, D, "v2").launchPlans[0]!;
    limited.spec.workflowId = pkg.launchPlans[0]!.spec.workflowId;
    limited.spec.concurrencyPolicy = create(ConcurrencyPolicySchema, { max: 1, behavior: ConcurrencyLimitBehavior.SKIP });
    await admin.createLaunchPlan(limited);
    const first = (await run({ name: "c1", launchPlan: limited.id })).id!;
    // Not yet running (UNDEFINED): it does not count.
    await run({ name: "c2", launchPlan: limited.id });
    const stored = await admin.getExecution({ id: first });
    const running = clone(ExecutionClosureSchema, stored.closure!);
    running.phase = Phase.RUNNING;
    await app.store.executions.updateClosure({ project: P, domain: D, name: "c1" }, Phase.UNDEFINED, running);
    expect(await failure(run({ name: "c3", launchPlan: limited.id }))).toEqual({
      code: "AlreadyExists",
      message: `concurrency limit (1) reached for launch plan ${limited.id.name}; skipping execution`,
    });
  });
});

describe("launch failures", () => {
  it("keep racing duplicates from touching the winner's inputs", async () => {
    const names = ["one", "two", "three", "four"];
    const results = await Promise.allSettled(names.map((n) => run({ name: "race", inputs: { name: str(n) } })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const winner = names[results.findIndex((r) => r.status === "fulfilled")];
    expect(stringOf((await admin.getExecutionData({ id: { project: P, domain: D, name: "race" } })).fullInputs, "name")).toBe(winner);
  });

  it("record a FAILED execution on the launch-plan path and write nothing on the task path", async () => {
    const failing = await inMemoryAdmin({}, { executor: { kind: "test", execute: async () => Promise.reject(new Error("cluster unreachable")), abort: async () => undefined } });
    try {
      const a = failing.admin;
      await a.registerProject({ project: { id: P, name: P } });
      await registerPackage(a, pkg);
      const { id } = await a.createExecution({ project: P, domain: D, name: "doomed", spec: { launchPlan: lpId }, inputs: {} });
      const e = await a.getExecution({ id });
      expect(e.closure?.phase).toBe(Phase.FAILED);
      expect(e.closure?.outputResult).toMatchObject({ case: "error", value: { code: "Unknown", message: "cluster unreachable" } });
      const task = await failure(a.createExecution({ project: P, domain: D, name: "doomed-task", spec: { launchPlan: taskId }, inputs: { literals: { name: str("x") } } }));
      expect(task.code).toBe("Internal");
      expect((await failure(a.getExecution({ id: { project: P, domain: D, name: "doomed-task" } }))).code).toBe("NotFound");
    } finally {
      await failing.app.close();
    }
  });
});

describe("execution config resolution", () => {
  it("takes matchable attributes and the deprecated auth role where the request says nothing", async () => {
    await admin.updateProjectDomainAttributes({
      attributes: { project: P, domain: D, matchingAttributes: { target: { case: "workflowExecutionConfig", value: { maxParallelism: 7 } } } },
    });
    const { id } = await admin.createExecution({
      project: P,
      domain: D,
      name: "configured",
      spec: { launchPlan: lpId, authRole: { kubernetesServiceAccount: "legacy-sa" } },
      inputs: {},
    });
    const e = await admin.getExecution({ id });
    expect(e.spec?.maxParallelism).toBe(7);
    expect(e.spec?.securityContext?.runAs?.k8sServiceAccount).toBe("legacy-sa");
    const explicit = await admin.createExecution({
      project: P,
      domain: D,
      name: "explicit-config",
      spec: { launchPlan: lpId, maxParallelism: 3, securityContext: { runAs: { k8sServiceAccount: "mine" } }, authRole: { kubernetesServiceAccount: "legacy-sa" } },
      inputs: {},
    });
    const x = await admin.getExecution({ id: explicit.id });
    expect([x.spec?.maxParallelism, x.spec?.securityContext?.runAs?.k8sServiceAccount]).toEqual([3, "mine"]);
  });
});

describe("what the executor is handed", () => {
  it("carries the resolved task resources and plugin overrides (for the FlyteWorkflow object)", async () => {
    const launches: ExecutionLaunch[] = [];
    const capturing = await inMemoryAdmin({}, {
      executor: { kind: "test", wantsTaskAttributes: true, execute: async (l: ExecutionLaunch) => (launches.push(l), { cluster: "" }), abort: async () => undefined },
    });
    try {
      const a = capturing.admin;
      await a.registerProject({ project: { id: P, name: P } });
      await registerPackage(a, pkg);
      await a.createExecution({ project: P, domain: D, name: "plain", spec: { launchPlan: lpId }, inputs: {} });
      expect(launches[0]?.taskPluginOverrides).toBeUndefined();
      expect(launches[0]?.taskResources).toBeDefined();
      await a.updateProjectDomainAttributes({
        attributes: { project: P, domain: D, matchingAttributes: { target: { case: "taskResourceAttributes", value: { defaults: { cpu: "300m" }, limits: { cpu: "1" } } } } },
      });
      await a.updateProjectDomainAttributes({
        attributes: { project: P, domain: D, matchingAttributes: { target: { case: "pluginOverrides", value: { overrides: [{ taskType: "spark", pluginId: ["spark-k8s"] }] } } } },
      });
      await a.createExecution({ project: P, domain: D, name: "tuned", spec: { launchPlan: lpId }, inputs: {} });
      expect(launches[1]?.taskResources?.defaults?.cpu).toBe("300m");
      expect(launches[1]?.taskResources?.limits?.cpu).toBe("1");
      expect(launches[1]?.taskPluginOverrides?.map((o) => [o.taskType, o.pluginId])).toEqual([["spark", ["spark-k8s"]]]);
    } finally {
      await capturing.app.close();
    }
  });

  it("leaves them out for an engine that does not read them (no look-ups on the launch path)", async () => {
    const launches: ExecutionLaunch[] = [];
    const capturing = await inMemoryAdmin({}, {
      executor: { kind: "test", execute: async (l: ExecutionLaunch) => (launches.push(l), { cluster: "" }), abort: async () => undefined },
    });
    try {
      const a = capturing.admin;
      await a.registerProject({ project: { id: P, name: P } });
      await registerPackage(a, pkg);
      await a.createExecution({ project: P, domain: D, name: "plain", spec: { launchPlan: lpId }, inputs: {} });
      expect([launches[0]?.taskResources, launches[0]?.taskPluginOverrides]).toEqual([undefined, undefined]);
    } finally {
      await capturing.app.close();
    }
  });
});
