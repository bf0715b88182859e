// Workflows of "echo" tasks (the local engine's test plugin: outputs = inputs,
// done at once, no process) shaped as flytekit serialises them, for measuring
// what the engine itself costs per node.
import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import type { ExecutionCreateRequestSchema } from "../gen/flyteidl/admin/execution_pb.js";
import type { LaunchPlanCreateRequestSchema } from "../gen/flyteidl/admin/launch_plan_pb.js";
import type { TaskCreateRequestSchema } from "../gen/flyteidl/admin/task_pb.js";
import type { WorkflowCreateRequestSchema } from "../gen/flyteidl/admin/workflow_pb.js";
import { type Identifier, IdentifierSchema, ResourceType } from "../gen/flyteidl/core/identifier_pb.js";
import { DynamicJobSpecSchema } from "../gen/flyteidl/core/dynamic_job_pb.js";
import { ParameterMapSchema } from "../gen/flyteidl/core/interface_pb.js";
import type { TaskTemplate } from "../gen/flyteidl/core/tasks_pb.js";
import { bindings, DOMAIN, intValue, listOf, promise, pythonTask, T, taskNode, workflow } from "../test/fixtures/flyte-builders.js";

/** A project of its own, so the engine's executions never show in the list rows' history. */
export const ENGINE_PROJECT = "bench-engine";
export { DOMAIN };
const VERSION = "v1";
const ECHO_TASK = "bench.engine.echo";

/** A workflow the engine rows run: its name and how many task nodes one execution runs. */
export interface EngineShape {
  /** What the table calls it. */
  label: string;
  workflow: string;
  nodes: number;
}

export const chainShape = (length: number): EngineShape => ({ label: `${length}-node chain`, workflow: `bench.engine.chain${length}`, nodes: length });
export const fanOutShape = (width: number): EngineShape => ({ label: `${width}-wide fan-out`, workflow: `bench.engine.fanout${width}`, nodes: width });
/** One dynamic task yielding `children` echo tasks: `nodes` counts the children, so the row's time per node is per child. */
export const dynamicShape = (children: number): EngineShape => ({ label: `dynamic workflow of ${children} children`, workflow: `bench.engine.dynamic${children}`, nodes: children });

const id = (resourceType: ResourceType, name: string): Identifier =>
  create(IdentifierSchema, { resourceType, project: ENGINE_PROJECT, domain: DOMAIN, name, version: VERSION });

/** `@task def echo(x: int) -> int` with task type "echo": the plugin copies x to o0 (outputs in sorted order). */
function echoTaskTemplate(): TaskTemplate {
  const template = pythonTask(ECHO_TASK, { x: T.int() }, { o0: T.int() });
  template.type = "echo";
  template.id = id(ResourceType.TASK, ECHO_TASK);
  return template;
}

export function echoTaskRequest(): MessageInitShape<typeof TaskCreateRequestSchema> {
  const template = echoTaskTemplate();
  return { id: template.id, spec: { template } };
}

/** `x -> echo -> echo -> ... -> o0`: each node waits for the previous one. */
export function chainWorkflowRequest(shape: EngineShape): MessageInitShape<typeof WorkflowCreateRequestSchema> {
  const task = id(ResourceType.TASK, ECHO_TASK);
  const nodes = Array.from({ length: shape.nodes }, (_, n) =>
    taskNode(`n${n}`, task, { inputs: { x: n === 0 ? promise("", "x") : promise(`n${n - 1}`, "o0") }, upstream: n === 0 ? [] : [`n${n - 1}`] }),
  );
  const template = workflow(shape.workflow, { inputs: { x: T.int() }, outputs: { o0: T.int() }, nodes, outputBindings: { o0: promise(`n${shape.nodes - 1}`, "o0") } });
  template.id = id(ResourceType.WORKFLOW, shape.workflow);
  return { id: template.id, spec: { template } };
}

/** `[echo(x=x) for _ in range(width)]`: every node takes the workflow input, the output is the list of theirs. */
export function fanOutWorkflowRequest(shape: EngineShape): MessageInitShape<typeof WorkflowCreateRequestSchema> {
  const task = id(ResourceType.TASK, ECHO_TASK);
  const nodes = Array.from({ length: shape.nodes }, (_, n) => taskNode(`n${n}`, task, { inputs: { x: promise("", "x") } }));
  const outputs = listOf(...nodes.map((n) => promise(n.id, "o0")));
  const template = workflow(shape.workflow, { inputs: { x: T.int() }, outputs: { o0: T.list(T.int()) }, nodes, outputBindings: { o0: outputs } });
  template.id = id(ResourceType.WORKFLOW, shape.workflow);
  return { id: template.id, spec: { template } };
}

const dynamicTaskName = (shape: EngineShape) => `${shape.workflow}.parent`;

/**
 * `@dynamic def parent(x: int) -> List[int]: return [echo(x=i) for i in range(children)]`, as an echo
 * task that writes the futures file flytekit would (children dn<i> on literal inputs, the output the list).
 */
export function dynamicTaskRequest(shape: EngineShape): MessageInitShape<typeof TaskCreateRequestSchema> {
  const child = echoTaskTemplate();
  const nodes = Array.from({ length: shape.nodes }, (_, i) => taskNode(`dn${i}`, child, { inputs: { x: intValue(i) }, name: ECHO_TASK }));
  const spec = create(DynamicJobSpecSchema, {
    nodes,
    minSuccesses: BigInt(nodes.length),
    outputs: bindings({ o0: listOf(...nodes.map((n) => promise(n.id, "o0"))) }),
    tasks: [child],
  });
  const template = pythonTask(dynamicTaskName(shape), { x: T.int() }, { o0: T.list(T.int()) });
  template.type = "echo";
  template.id = id(ResourceType.TASK, dynamicTaskName(shape));
  template.config = { futures: Buffer.from(toBinary(DynamicJobSpecSchema, spec)).toString("base64") };
  return { id: template.id, spec: { template } };
}

/** `x -> parent -> o0`: the dynamic task alone. */
export function dynamicWorkflowRequest(shape: EngineShape): MessageInitShape<typeof WorkflowCreateRequestSchema> {
  const template = workflow(shape.workflow, {
    inputs: { x: T.int() },
    outputs: { o0: T.list(T.int()) },
    nodes: [taskNode("n0", id(ResourceType.TASK, dynamicTaskName(shape)), { inputs: { x: promise("", "x") } })],
    outputBindings: { o0: promise("n0", "o0") },
  });
  template.id = id(ResourceType.WORKFLOW, shape.workflow);
  return { id: template.id, spec: { template } };
}

/** The workflow's default launch plan, x defaulting to 1. */
export function engineLaunchPlanRequest(shape: EngineShape): MessageInitShape<typeof LaunchPlanCreateRequestSchema> {
  const defaultInputs = create(ParameterMapSchema, {
    parameters: { x: { var: { type: T.int(), description: "x" }, behavior: { case: "default", value: { value: { case: "scalar", value: intValue(1).value.value as never } } } } },
  });
  return { id: id(ResourceType.LAUNCH_PLAN, shape.workflow), spec: { workflowId: id(ResourceType.WORKFLOW, shape.workflow), defaultInputs } };
}

export function engineExecutionRequest(shape: EngineShape, name: string, x: number): MessageInitShape<typeof ExecutionCreateRequestSchema> {
  return {
    project: ENGINE_PROJECT,
    domain: DOMAIN,
    name,
    spec: { launchPlan: id(ResourceType.LAUNCH_PLAN, shape.workflow), metadata: { principal: "bench" } },
    inputs: { literals: { x: { value: { case: "scalar", value: intValue(x).value.value as never } } } },
  };
}
