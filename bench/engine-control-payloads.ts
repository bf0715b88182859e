// Workflows of the engine's control-flow rows, shaped as flytekit serialises
// them: a map task over a list (an array node whose sub-node is an "echo" task
// node) and a chain of cacheable echo tasks, each node with a cache key of its
// own.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { ExecutionCreateRequestSchema } from "../gen/flyteidl/admin/execution_pb.js";
import type { LaunchPlanCreateRequestSchema } from "../gen/flyteidl/admin/launch_plan_pb.js";
import type { TaskCreateRequestSchema } from "../gen/flyteidl/admin/task_pb.js";
import type { WorkflowCreateRequestSchema } from "../gen/flyteidl/admin/workflow_pb.js";
import { type Identifier, IdentifierSchema, ResourceType } from "../gen/flyteidl/core/identifier_pb.js";
import { ParameterMapSchema } from "../gen/flyteidl/core/interface_pb.js";
import { type Literal, LiteralSchema } from "../gen/flyteidl/core/literals_pb.js";
import { NodeSchema } from "../gen/flyteidl/core/workflow_pb.js";
import type { LiteralType } from "../gen/flyteidl/core/types_pb.js";
import { bindings, DOMAIN, intValue, promise, pythonTask, T, taskNode, workflow } from "../test/fixtures/flyte-builders.js";
import { ENGINE_PROJECT } from "./engine-payloads.js";

const VERSION = "v1";
const MAP_TASK = "bench.engine.echo_list";
export const MAP_WORKFLOW = "bench.engine.map";
const CACHED_TASK = "bench.engine.echo_cached";
export const cachedChainWorkflow = (length: number) => `bench.engine.cachedchain${length}`;
/** The version of the cached task's outputs (flytekit's `cache_version`). */
const CACHE_VERSION = "1";

const id = (resourceType: ResourceType, name: string): Identifier =>
  create(IdentifierSchema, { resourceType, project: ENGINE_PROJECT, domain: DOMAIN, name, version: VERSION });

const echoTask = (name: string, inputs: Record<string, LiteralType>, outputs: Record<string, LiteralType>) => {
  const template = pythonTask(name, inputs, outputs);
  template.type = "echo";
  template.id = id(ResourceType.TASK, name);
  return template;
};

/** `@task def echo(x: int) -> int` mapped: as a map task's sub-task it is registered with list types. */
export function mapTaskRequest(): MessageInitShape<typeof TaskCreateRequestSchema> {
  const template = echoTask(MAP_TASK, { x: T.list(T.int()) }, { o0: T.list(T.int()) });
  return { id: template.id, spec: { template } };
}

/** `map_task(echo)(x=xs)`: one array node, every element an echo of its x, no parallelism bound (flytekit's default). */
export function mapWorkflowRequest(): MessageInitShape<typeof WorkflowCreateRequestSchema> {
  const inputs = { x: promise("", "xs") };
  const sub = taskNode("echo", id(ResourceType.TASK, MAP_TASK), { inputs });
  const node = create(NodeSchema, {
    id: "n0",
    metadata: { name: "map_echo", retries: {} },
    inputs: bindings(inputs),
    target: { case: "arrayNode", value: { node: sub } },
  });
  const template = workflow(MAP_WORKFLOW, { inputs: { xs: T.list(T.int()) }, outputs: { o0: T.list(T.int()) }, nodes: [node], outputBindings: { o0: promise("n0", "o0") } });
  template.id = id(ResourceType.WORKFLOW, MAP_WORKFLOW);
  return { id: template.id, spec: { template } };
}

/** The map workflow's launch plan: xs is required. */
export function mapLaunchPlanRequest(): MessageInitShape<typeof LaunchPlanCreateRequestSchema> {
  const defaultInputs = create(ParameterMapSchema, { parameters: { xs: { var: { type: T.list(T.int()), description: "xs" }, behavior: { case: "required", value: true } } } });
  return { id: id(ResourceType.LAUNCH_PLAN, MAP_WORKFLOW), spec: { workflowId: id(ResourceType.WORKFLOW, MAP_WORKFLOW), defaultInputs } };
}

const intLiteral = (n: number): Literal => create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "integer", value: BigInt(n) } } } } } });

/** A map over `size` elements, xs = [seed, seed + 1, ...]. */
export function mapExecutionRequest(name: string, size: number, seed: number): MessageInitShape<typeof ExecutionCreateRequestSchema> {
  const xs = create(LiteralSchema, { value: { case: "collection", value: { literals: Array.from({ length: size }, (_, i) => intLiteral(seed + i)) } } });
  return {
    project: ENGINE_PROJECT,
    domain: DOMAIN,
    name,
    spec: { launchPlan: id(ResourceType.LAUNCH_PLAN, MAP_WORKFLOW), metadata: { principal: "bench" } },
    inputs: { literals: { xs } },
  };
}

/**
 * `@task(cache=True, cache_version="1") def echo(i: int, x: int) -> (int, int)`:
 * the echo plugin copies inputs to outputs of the same names.
 */
export function cachedTaskRequest(): MessageInitShape<typeof TaskCreateRequestSchema> {
  const template = echoTask(CACHED_TASK, { i: T.int(), x: T.int() }, { i: T.int(), x: T.int() });
  template.metadata!.discoverable = true;
  template.metadata!.discoveryVersion = CACHE_VERSION;
  return { id: template.id, spec: { template } };
}

/**
 * `x -> echo(i=0) -> echo(i=1) -> ...`: node k binds the constant i=k and the
 * previous node's x, so each node has a cache key of its own (the same x
 * through one task would make every node after the first a hit of the first).
 */
export function cachedChainWorkflowRequest(length: number): MessageInitShape<typeof WorkflowCreateRequestSchema> {
  const name = cachedChainWorkflow(length);
  const task = id(ResourceType.TASK, CACHED_TASK);
  const nodes = Array.from({ length }, (_, n) =>
    taskNode(`n${n}`, task, { inputs: { i: intValue(n), x: n === 0 ? promise("", "x") : promise(`n${n - 1}`, "x") }, upstream: n === 0 ? [] : [`n${n - 1}`] }),
  );
  const template = workflow(name, { inputs: { x: T.int() }, outputs: { o0: T.int() }, nodes, outputBindings: { o0: promise(`n${length - 1}`, "x") } });
  template.id = id(ResourceType.WORKFLOW, name);
  return { id: template.id, spec: { template } };
}

export function cachedChainLaunchPlanRequest(length: number): MessageInitShape<typeof LaunchPlanCreateRequestSchema> {
  const name = cachedChainWorkflow(length);
  const defaultInputs = create(ParameterMapSchema, { parameters: { x: { var: { type: T.int(), description: "x" }, behavior: { case: "required", value: true } } } });
  return { id: id(ResourceType.LAUNCH_PLAN, name), spec: { workflowId: id(ResourceType.WORKFLOW, name), defaultInputs } };
}

export function cachedChainExecutionRequest(length: number, name: string, x: number): MessageInitShape<typeof ExecutionCreateRequestSchema> {
  return {
    project: ENGINE_PROJECT,
    domain: DOMAIN,
    name,
    spec: { launchPlan: id(ResourceType.LAUNCH_PLAN, cachedChainWorkflow(length)), metadata: { principal: "bench" } },
    inputs: { literals: { x: intLiteral(x) } },
  };
}
