import { randomBytes } from "node:crypto";
import { clone, create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NamedEntityState } from "../../gen/flyteidl/admin/common_pb.js";
import { DescriptionEntitySchema } from "../../gen/flyteidl/admin/description_entity_pb.js";
import { WorkflowSpecSchema } from "../../gen/flyteidl/admin/workflow_pb.js";
import { MatchableResource } from "../../gen/flyteidl/admin/matchable_resource_pb.js";
import { NodeExecution_Phase as NodePhase, TaskExecution_Phase as TaskPhase, WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { SimpleType } from "../../gen/flyteidl/core/types_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { ArtifactType, DataProxyService } from "../../gen/flyteidl/service/dataproxy_pb.js";
import { SignalService } from "../../gen/flyteidl/service/signal_pb.js";
import { type App, buildApp } from "../../src/app.js";
import { createLogger } from "../../src/logger.js";
import { createSqlStore } from "../../src/storage/sql-store.js";
import { testConfig } from "../helpers/app.js";
import { backends } from "../helpers/backends.js";
import { failure } from "../helpers/rpc-failure.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";

/**
 * The same refused request gets the same answer on every database: text that
 * PostgreSQL cannot store (NUL) or index (keys past its ~2,700-byte btree row
 * limit) is refused as INVALID_ARGUMENT before any lookup or write, where
 * SQLite would have accepted it and PostgreSQL failed with INTERNAL.
 */
const P = "flytesnacks";
const D = "development";
const exec = { project: P, domain: D, name: "e1" };
const pkg = loadFlytekitPackage("hello", P, D, "v1");
const task = pkg.tasks[0]!;
const workflow = pkg.workflows[0]!;
const launchPlan = pkg.launchPlans[0]!;
const at = (s: number) => timestampFromDate(new Date(Date.parse("2026-02-01T00:00:00Z") + s * 1000));
// 64 KiB that does not compress (PostgreSQL compresses index entries before the size check),
// far past its btree row limit of ~2,700 bytes.
const huge = randomBytes(48 * 1024).toString("base64url");
const NUL = "a\u0000b";
const BOOL = { type: { case: "simple", value: SimpleType.BOOLEAN } } as const;

type Admin = ReturnType<typeof createClient<typeof AdminService>>;
type Signals = ReturnType<typeof createClient<typeof SignalService>>;
type Proxy = ReturnType<typeof createClient<typeof DataProxyService>>;
const ia = (message: string) => ({ code: "InvalidArgument", message });

/** [what, call, expected]: each refused alike on every backend. */
const cases: [string, (a: Admin, s: Signals) => Promise<unknown>, { code: string; message: string }][] = [
  ["RegisterProject, NUL in the name", (a) => a.registerProject({ project: { id: "p2", name: NUL } }), ia("project_name cannot contain a NUL character")],
  ["RegisterProject, NUL in the description", (a) => a.registerProject({ project: { id: "p2", name: "p2", description: NUL } }), ia("project_description cannot contain a NUL character")],
  ["RegisterProject, a 64 KiB name", (a) => a.registerProject({ project: { id: "p2", name: huge } }), ia("project_name cannot exceed 64 characters")],
  ["UpdateProject, NUL in the name", (a) => a.updateProject({ id: P, name: NUL }), ia("project_name cannot contain a NUL character")],
  ["UpdateProject, NUL in the description", (a) => a.updateProject({ id: P, name: P, description: NUL }), ia("project_description cannot contain a NUL character")],
  ["UpdateProject, NUL in the id", (a) => a.updateProject({ id: NUL, name: P }), ia("project_id cannot contain a NUL character")],
  ["GetProject, NUL in the id", (a) => a.getProject({ id: NUL }), ia("project_id cannot contain a NUL character")],
  ["CreateTask, NUL in the name", (a) => a.createTask({ id: { ...task.id, name: NUL }, spec: task.spec }), ia("name cannot contain a NUL character")],
  ["CreateTask, a 64 KiB name", (a) => a.createTask({ id: { ...task.id, name: huge }, spec: task.spec }), ia("name cannot exceed 255 characters")],
  ["CreateTask, a 64 KiB version", (a) => a.createTask({ id: { ...task.id, version: huge }, spec: task.spec }), ia("version cannot exceed 255 characters")],
  ["CreateTask, NUL in the project", (a) => a.createTask({ id: { ...task.id, project: NUL }, spec: task.spec }), ia("project cannot contain a NUL character")],
  ["CreateTask, NUL in the task type", (a) => a.createTask({ id: { ...task.id, version: "v2" }, spec: { ...task.spec, template: { ...task.spec.template!, type: NUL } } }), ia("type cannot contain a NUL character")],
  [
    "CreateTask, NUL in the short description",
    (a) => a.createTask({ id: { ...task.id, version: "v2" }, spec: { ...task.spec, description: create(DescriptionEntitySchema, { shortDescription: NUL }) } }),
    ia("short_description cannot contain a NUL character"),
  ],
  ["GetTask, NUL in the version", (a) => a.getTask({ id: { ...task.id, version: NUL } }), ia("version cannot contain a NUL character")],
  ["CreateWorkflow, NUL in the name", (a) => a.createWorkflow({ id: { ...workflow.id, name: NUL }, spec: workflow.spec }), ia("name cannot contain a NUL character")],
  ["CreateWorkflow, a 64 KiB version", (a) => a.createWorkflow({ id: { ...workflow.id, version: huge }, spec: workflow.spec }), ia("version cannot exceed 255 characters")],
  ["CreateLaunchPlan, NUL in the name", (a) => a.createLaunchPlan({ id: { ...launchPlan.id, name: NUL }, spec: launchPlan.spec }), ia("name cannot contain a NUL character")],
  [
    "CreateLaunchPlan, NUL in the workflow version",
    (a) => a.createLaunchPlan({ id: launchPlan.id, spec: { ...launchPlan.spec, workflowId: { ...workflow.id, version: NUL } } }),
    ia("version cannot contain a NUL character"),
  ],
  ["CreateLaunchPlan, a 64 KiB name", (a) => a.createLaunchPlan({ id: { ...launchPlan.id, name: huge }, spec: launchPlan.spec }), ia("name cannot exceed 255 characters")],
  ["CreateExecution, NUL in the project", (a) => a.createExecution({ ...exec, project: NUL, name: "e2", spec: { launchPlan: launchPlan.id } }), ia("project cannot contain a NUL character")],
  ["CreateExecution, a 64 KiB domain", (a) => a.createExecution({ ...exec, domain: huge, name: "e2", spec: { launchPlan: launchPlan.id } }), ia("domain cannot exceed 255 characters")],
  [
    "CreateExecution, NUL in the launch plan name",
    (a) => a.createExecution({ ...exec, name: "e2", spec: { launchPlan: { ...launchPlan.id, name: NUL } } }),
    ia("name cannot contain a NUL character"),
  ],
  ["CreateExecution, NUL in a tag", (a) => a.createExecution({ ...exec, name: "e2", spec: { launchPlan: launchPlan.id, tags: ["ok", NUL] } }), ia("tags cannot contain a NUL character")],
  ["CreateExecution, a 64 KiB tag", (a) => a.createExecution({ ...exec, name: "e2", spec: { launchPlan: launchPlan.id, tags: [huge] } }), ia("tags cannot exceed 255 characters")],
  ["GetExecution, NUL in the name", (a) => a.getExecution({ id: { ...exec, name: NUL } }), ia("name cannot contain a NUL character")],
  ["TerminateExecution, NUL in the cause", (a) => a.terminateExecution({ id: exec, cause: NUL }), ia("cause cannot contain a NUL character")],
  [
    "UpdateNamedEntity, NUL in the description",
    (a) => a.updateNamedEntity({ resourceType: ResourceType.TASK, id: { project: P, domain: D, name: task.id.name }, metadata: { description: NUL, state: NamedEntityState.NAMED_ENTITY_ACTIVE } }),
    ia("description cannot contain a NUL character"),
  ],
  [
    "UpdateNamedEntity, NUL in the name",
    (a) => a.updateNamedEntity({ resourceType: ResourceType.TASK, id: { project: P, domain: D, name: NUL }, metadata: { description: "d" } }),
    ia("name cannot contain a NUL character"),
  ],
  [
    "UpdateNamedEntity, a 64 KiB name",
    (a) => a.updateNamedEntity({ resourceType: ResourceType.TASK, id: { project: P, domain: D, name: huge }, metadata: { description: "d" } }),
    ia("name cannot exceed 255 characters"),
  ],
  [
    "UpdateWorkflowAttributes, NUL in the workflow",
    (a) => a.updateWorkflowAttributes({ attributes: { project: P, domain: D, workflow: NUL, matchingAttributes: { target: { case: "executionQueueAttributes", value: { tags: ["q"] } } } } }),
    ia("workflow cannot contain a NUL character"),
  ],
  [
    "UpdateWorkflowAttributes, a 64 KiB workflow",
    (a) => a.updateWorkflowAttributes({ attributes: { project: P, domain: D, workflow: huge, matchingAttributes: { target: { case: "executionQueueAttributes", value: { tags: ["q"] } } } } }),
    ia("workflow cannot exceed 255 characters"),
  ],
  [
    "GetProjectAttributes, NUL in the project",
    (a) => a.getProjectAttributes({ project: NUL, resourceType: MatchableResource.EXECUTION_QUEUE }),
    ia("project cannot contain a NUL character"),
  ],
  [
    "CreateWorkflowEvent, NUL in the producer",
    (a) => a.createWorkflowEvent({ event: { executionId: exec, phase: Phase.SUCCEEDING, occurredAt: at(3), producerId: NUL } }),
    ia("producer_id cannot contain a NUL character"),
  ],
  [
    "CreateNodeEvent, NUL in the node id",
    (a) => a.createNodeEvent({ event: { id: { nodeId: NUL, executionId: exec }, phase: NodePhase.QUEUED, occurredAt: at(3), producerId: "propeller" } }),
    ia("node_id cannot contain a NUL character"),
  ],
  [
    "CreateNodeEvent, a 64 KiB node id",
    (a) => a.createNodeEvent({ event: { id: { nodeId: huge, executionId: exec }, phase: NodePhase.QUEUED, occurredAt: at(3), producerId: "propeller" } }),
    ia("node_id cannot exceed 255 characters"),
  ],
  [
    "CreateNodeEvent, NUL in the input URI",
    (a) => a.createNodeEvent({ event: { id: { nodeId: "n1", executionId: exec }, phase: NodePhase.QUEUED, occurredAt: at(3), producerId: "propeller", inputValue: { case: "inputUri", value: NUL } } }),
    ia("input_uri cannot contain a NUL character"),
  ],
  [
    "CreateNodeEvent, NUL in the error code",
    (a) => a.createNodeEvent({ event: { id: { nodeId: "n0", executionId: exec }, phase: NodePhase.FAILED, occurredAt: at(3), producerId: "propeller", outputResult: { case: "error", value: { code: NUL, message: "m" } } } }),
    ia("error.code cannot contain a NUL character"),
  ],
  [
    "CreateTaskEvent, NUL in the task version",
    (a) => a.createTaskEvent({ event: { taskId: { ...task.id, version: NUL }, parentNodeExecutionId: { nodeId: "n0", executionId: exec }, phase: TaskPhase.QUEUED, occurredAt: at(3) } }),
    ia("version cannot contain a NUL character"),
  ],
  [
    "CreateTaskEvent, a 64 KiB task name",
    (a) => a.createTaskEvent({ event: { taskId: { ...task.id, name: huge }, parentNodeExecutionId: { nodeId: "n0", executionId: exec }, phase: TaskPhase.QUEUED, occurredAt: at(3) } }),
    ia("name cannot exceed 255 characters"),
  ],
  ["GetOrCreateSignal, NUL in the signal id", (_a, s) => s.getOrCreateSignal({ id: { executionId: exec, signalId: NUL }, type: BOOL }), ia("signal_id cannot contain a NUL character")],
  ["GetOrCreateSignal, a 64 KiB signal id", (_a, s) => s.getOrCreateSignal({ id: { executionId: exec, signalId: huge }, type: BOOL }), ia("signal_id cannot exceed 255 characters")],
  ["GetOrCreateSignal, NUL in the execution name", (_a, s) => s.getOrCreateSignal({ id: { executionId: { ...exec, name: NUL }, signalId: "s" }, type: BOOL }), ia("name cannot contain a NUL character")],
  [
    "SetSignal, NUL in the signal id",
    (_a, s) => s.setSignal({ id: { executionId: exec, signalId: NUL }, value: { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "boolean", value: true } } } } } } }),
    ia("signal_id cannot contain a NUL character"),
  ],
  ["ListTasks, NUL in the name", (a) => a.listTasks({ id: { project: P, domain: D, name: NUL }, limit: 10 }), ia("name cannot contain a NUL character")],
  ["ListTaskIds, NUL in the domain", (a) => a.listTaskIds({ project: P, domain: NUL, limit: 10 }), ia("domain cannot contain a NUL character")],
  ["ListNamedEntities, NUL in the project", (a) => a.listNamedEntities({ resourceType: ResourceType.TASK, project: NUL, domain: D, limit: 10 }), ia("project cannot contain a NUL character")],
  ["GetDescriptionEntity, NUL in the name", (a) => a.getDescriptionEntity({ id: { ...task.id, name: NUL } }), ia("name cannot contain a NUL character")],
  ["GetActiveLaunchPlan, NUL in the name", (a) => a.getActiveLaunchPlan({ id: { project: P, domain: D, name: NUL } }), ia("name cannot contain a NUL character")],
  ["ListActiveLaunchPlans, NUL in the domain", (a) => a.listActiveLaunchPlans({ project: P, domain: NUL, limit: 10 }), ia("domain cannot contain a NUL character")],
  [
    "CreateWorkflow, a node naming a task with NUL in its version",
    (a) => a.createWorkflow({ id: { ...workflow.id, version: "v2" }, spec: withTaskVersion(workflow.spec, NUL) }),
    ia("version cannot contain a NUL character"),
  ],
  ["GetExecutionMetrics, NUL in the name", (a) => a.getExecutionMetrics({ id: { ...exec, name: NUL }, depth: 1 }), ia("name cannot contain a NUL character")],
  ["ListNodeExecutions, NUL in the parent id", (a) => a.listNodeExecutions({ workflowExecutionId: exec, uniqueParentId: NUL, limit: 10 }), ia("unique_parent_id cannot contain a NUL character")],
  ["GetNodeExecution, NUL in the node id", (a) => a.getNodeExecution({ id: { executionId: exec, nodeId: NUL } }), ia("node_id cannot contain a NUL character")],
  ["ListTaskExecutions, NUL in the node id", (a) => a.listTaskExecutions({ nodeExecutionId: { executionId: exec, nodeId: NUL }, limit: 10 }), ia("node_id cannot contain a NUL character")],
  ["ListSignals, NUL in the execution name", (_a, s) => s.listSignals({ workflowExecutionId: { ...exec, name: NUL }, limit: 10 }), ia("missing execution_id")],
];

/** The same for the data proxy, whose deck links look a node execution up. */
const deckLink = (nodeId: string, name = exec.name) =>
  ({ artifactType: ArtifactType.DECK, source: { case: "nodeExecutionId", value: { nodeId, executionId: { ...exec, name } } } }) as const;
const proxyCases: [string, (p: Proxy) => Promise<unknown>, { code: string; message: string }][] = [
  ["CreateDownloadLink, NUL in the node id", (p) => p.createDownloadLink(deckLink(NUL)), ia("node_id cannot contain a NUL character")],
  ["CreateDownloadLink, NUL in the execution name", (p) => p.createDownloadLink(deckLink("n0", NUL)), ia("name cannot contain a NUL character")],
];

/** The workflow spec with its task nodes pointing at another version of their task. */
function withTaskVersion(spec: typeof workflow.spec, version: string): typeof workflow.spec {
  const copy = clone(WorkflowSpecSchema, spec);
  for (const node of copy.template!.nodes) {
    if (node.target.case === "taskNode" && node.target.value.reference.case === "referenceId") node.target.value.reference.value.version = version;
  }
  return copy;
}

describe.each(backends.filter((b) => b.name !== "sqlite file (WAL)"))("refused text on $name", (backend) => {
  let app: App;
  let admin: Admin;
  let signals: Signals;
  let proxy: Proxy;
  beforeAll(async () => {
    app = await buildApp(testConfig(), createLogger("silent"), { store: createSqlStore(await backend.open()) });
    const transport = createRouterTransport(app.routes, { router: { interceptors: app.interceptors } });
    admin = createClient(AdminService, transport);
    signals = createClient(SignalService, transport);
    proxy = createClient(DataProxyService, transport);
    await admin.registerProject({ project: { id: P, name: P } });
    await registerPackage(admin, pkg);
    await admin.createExecution({ ...exec, spec: { launchPlan: launchPlan.id }, inputs: {} });
    await admin.createWorkflowEvent({ event: { executionId: exec, phase: Phase.RUNNING, occurredAt: at(1), producerId: "propeller" } });
    await admin.createNodeEvent({ event: { id: { nodeId: "n0", executionId: exec }, phase: NodePhase.RUNNING, occurredAt: at(2), producerId: "propeller" } });
  }, 60_000);
  afterAll(() => app?.close());

  it.each(cases)("%s", async (_what, call, expected) => {
    expect(await failure(call(admin, signals))).toEqual(expected);
  });

  it.each(proxyCases)("%s", async (_what, call, expected) => {
    expect(await failure(call(proxy))).toEqual(expected);
  });

  it("leaves what was there unchanged", async () => {
    expect((await admin.getProject({ id: P })).name).toBe(P);
    expect((await admin.listNodeExecutions({ workflowExecutionId: exec, limit: 10 })).nodeExecutions.map((n) => [n.id?.nodeId, n.closure?.phase])).toEqual([["n0", NodePhase.RUNNING]]);
    expect((await admin.getExecution({ id: exec })).closure?.phase).toBe(Phase.RUNNING);
    expect((await signals.listSignals({ workflowExecutionId: exec, limit: 10 })).signals).toEqual([]);
  });
});
