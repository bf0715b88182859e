// Small helpers for the wiring tests: an echo workflow registered through the
// API, launches, and polling with a deadline.
import { create } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import { TaskSpecSchema } from "../../../gen/flyteidl/admin/task_pb.js";
import { WorkflowSpecSchema } from "../../../gen/flyteidl/admin/workflow_pb.js";
import { WorkflowExecution_Phase as Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import { ResourceType, type WorkflowExecutionIdentifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import type { LiteralMap } from "../../../gen/flyteidl/core/literals_pb.js";
import type { TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import type { AdminService } from "../../../gen/flyteidl/service/admin_pb.js";
import { DOMAIN, PROJECT, promise, pythonTask, T, taskNode, workflow, workflowId } from "../../fixtures/flyte-builders.js";

export type Admin = Client<typeof AdminService>;
export { DOMAIN, PROJECT };

/** A task of type "echo" (the engine's built-in test plugin: outputs = inputs), shaped like a flytekit task. */
export function echoTask(name: string): TaskTemplate {
  const t = pythonTask(name, { x: T.str() }, { x: T.str() });
  t.type = "echo";
  return t;
}

/** Registers the project, an echo task, a one-node workflow `wiring.echo_wf(x: str) -> str` and its launch plan. */
export async function registerEchoWorkflow(admin: Admin): Promise<void> {
  await admin.registerProject({ project: { id: PROJECT, name: PROJECT } });
  const task = echoTask("wiring.echo");
  await admin.createTask({ id: task.id, spec: create(TaskSpecSchema, { template: task }) });
  const wf = workflow("wiring.echo_wf", {
    inputs: { x: T.str() },
    outputs: { o: T.str() },
    nodes: [taskNode("n0", task, { inputs: { x: promise("", "x") }, name: "echo" })],
    outputBindings: { o: promise("n0", "x") },
  });
  await admin.createWorkflow({ id: wf.id, spec: create(WorkflowSpecSchema, { template: wf }) });
  await admin.createLaunchPlan({ id: { ...wf.id!, resourceType: ResourceType.LAUNCH_PLAN }, spec: { workflowId: wf.id } });
}

export const strInputs = (x: string): LiteralMap =>
  ({
    $typeName: "flyteidl.core.LiteralMap",
    literals: {
      x: {
        $typeName: "flyteidl.core.Literal",
        value: { case: "scalar", value: { $typeName: "flyteidl.core.Scalar", value: { case: "primitive", value: { $typeName: "flyteidl.core.Primitive", value: { case: "stringValue", value: x } } } } },
        hash: "",
        metadata: {},
      },
    },
  }) as LiteralMap;

/** A `container` task (a plain process, no flytekit) running `script` with sh, shaped like flytekit's ContainerTask. */
export function shellTask(name: string, script: string): TaskTemplate {
  const t = pythonTask(name, {}, {});
  t.type = "container";
  if (t.target.case === "container") {
    t.target.value.command = ["sh", "-c", script];
    t.target.value.args = [];
  }
  return t;
}

/** Registers `task` and a one-node workflow `<task name>_wf` around it with its launch plan; returns the launch plan id. */
export async function registerTaskWorkflow(admin: Admin, task: TaskTemplate) {
  await admin.createTask({ id: task.id, spec: create(TaskSpecSchema, { template: task }) });
  const wf = workflow(`${task.id!.name}_wf`, { nodes: [taskNode("n0", task)] });
  await admin.createWorkflow({ id: wf.id, spec: create(WorkflowSpecSchema, { template: wf }) });
  const lp = { ...wf.id!, resourceType: ResourceType.LAUNCH_PLAN };
  await admin.createLaunchPlan({ id: lp, spec: { workflowId: wf.id } });
  return lp;
}

/** Launches the echo workflow's launch plan under `name`. */
export async function launchEcho(admin: Admin, name: string, x = "hi"): Promise<WorkflowExecutionIdentifier> {
  const lp = { ...workflowId("wiring.echo_wf"), resourceType: ResourceType.LAUNCH_PLAN };
  const { id } = await admin.createExecution({ project: PROJECT, domain: DOMAIN, name, spec: { launchPlan: lp }, inputs: strInputs(x) });
  return id!;
}

/** Polls the execution until its phase is one of `phases`; fails with the last phase seen after the deadline. */
export async function waitForPhase(admin: Admin, id: WorkflowExecutionIdentifier, phases: Phase[], timeoutMs = 30_000): Promise<Phase> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const phase = (await admin.getExecution({ id })).closure?.phase ?? Phase.UNDEFINED;
    if (phases.includes(phase)) return phase;
    if (Date.now() > deadline) throw new Error(`execution ${id.name} is ${Phase[phase]}, waited for ${phases.map((p) => Phase[p]).join("/")}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
