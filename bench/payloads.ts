// Requests shaped like what flytekit registers and flytepropeller reports,
// built from the test fixtures' builders so the server compiles and checks
// them exactly as it would real ones.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { NodeExecutionEventRequestSchema, TaskExecutionEventRequestSchema } from "../gen/flyteidl/admin/event_pb.js";
import type { ExecutionCreateRequestSchema } from "../gen/flyteidl/admin/execution_pb.js";
import type { LaunchPlanCreateRequestSchema } from "../gen/flyteidl/admin/launch_plan_pb.js";
import type { TaskCreateRequestSchema } from "../gen/flyteidl/admin/task_pb.js";
import type { WorkflowCreateRequestSchema } from "../gen/flyteidl/admin/workflow_pb.js";
import { NodeExecution_Phase as NodePhase, TaskExecution_Phase as TaskPhase } from "../gen/flyteidl/core/execution_pb.js";
import { type Identifier, IdentifierSchema, ResourceType } from "../gen/flyteidl/core/identifier_pb.js";
import { ParameterMapSchema } from "../gen/flyteidl/core/interface_pb.js";
import { DOMAIN, intValue, PROJECT, promise, pythonTask, T, taskNode, workflow } from "../test/fixtures/flyte-builders.js";

export { DOMAIN, PROJECT };
/** Nodes in the benchmark workflow: a chain, each task feeding the next. */
export const WORKFLOW_NODES = 10;

const id = (resourceType: ResourceType, name: string, version: string): Identifier =>
  create(IdentifierSchema, { resourceType, project: PROJECT, domain: DOMAIN, name, version });

/** A python task `bench.tasks.<name>` taking and returning an int. */
export function taskRequest(name: string, version: string): MessageInitShape<typeof TaskCreateRequestSchema> {
  const template = pythonTask(`bench.tasks.${name}`, { x: T.int() }, { o0: T.int() });
  template.id = id(ResourceType.TASK, `bench.tasks.${name}`, version);
  return { id: template.id, spec: { template } };
}

/** The tasks the workflow's nodes run (register them first). */
export const chainTasks = (version: string) => Array.from({ length: WORKFLOW_NODES }, (_, n) => taskRequest(`step_${n}`, version));

/** A 10-node chain workflow: n0 takes the workflow input, each later node the previous one's output. */
export function workflowRequest(name: string, version: string, taskVersion: string): MessageInitShape<typeof WorkflowCreateRequestSchema> {
  const nodes = Array.from({ length: WORKFLOW_NODES }, (_, n) =>
    taskNode(`n${n}`, id(ResourceType.TASK, `bench.tasks.step_${n}`, taskVersion), {
      inputs: { x: n === 0 ? promise("", "x") : promise(`n${n - 1}`, "o0") },
      upstream: n === 0 ? [] : [`n${n - 1}`],
    }),
  );
  const template = workflow(name, { inputs: { x: T.int() }, outputs: { o0: T.int() }, nodes, outputBindings: { o0: promise(`n${WORKFLOW_NODES - 1}`, "o0") } });
  template.id = id(ResourceType.WORKFLOW, name, version);
  return { id: template.id, spec: { template } };
}

/** The default launch plan of a workflow, with x defaulting to 1. */
export function launchPlanRequest(name: string, version: string): MessageInitShape<typeof LaunchPlanCreateRequestSchema> {
  const defaultInputs = create(ParameterMapSchema, {
    parameters: { x: { var: { type: T.int(), description: "x" }, behavior: { case: "default", value: { value: { case: "scalar", value: intValue(1).value.value as never } } } } },
  });
  return { id: id(ResourceType.LAUNCH_PLAN, name, version), spec: { workflowId: id(ResourceType.WORKFLOW, name, version), defaultInputs } };
}

export const launchPlanId = (name: string, version: string) => id(ResourceType.LAUNCH_PLAN, name, version);

export function executionRequest(name: string, launchPlan: Identifier, x: number): MessageInitShape<typeof ExecutionCreateRequestSchema> {
  return {
    project: PROJECT,
    domain: DOMAIN,
    name,
    spec: { launchPlan, metadata: { principal: "bench" } },
    inputs: { literals: { x: { value: { case: "scalar", value: intValue(x).value.value as never } } } },
  };
}

type NodeEvent = MessageInitShape<typeof NodeExecutionEventRequestSchema>;
type TaskEvent = MessageInitShape<typeof TaskExecutionEventRequestSchema>;

/**
 * flytepropeller's events for one run of the chain, in order: for each node
 * QUEUED, RUNNING, task attempt RUNNING, SUCCEEDED, node SUCCEEDED, with the
 * URIs propeller reports (it writes the blobs itself).
 */
export function propellerEvents(execution: string, taskVersion: string, startMs: number): ({ node: NodeEvent } | { task: TaskEvent })[] {
  const exec = { project: PROJECT, domain: DOMAIN, name: execution };
  const prefix = `s3://bench-bucket/metadata/propeller/${PROJECT}-${DOMAIN}-${execution}`;
  let s = 0;
  const at = () => timestampFromDate(new Date(startMs + 1000 * s++));
  const out: ({ node: NodeEvent } | { task: TaskEvent })[] = [];
  for (let n = 0; n < WORKFLOW_NODES; n++) {
    const nodeId = `n${n}`;
    const node = (phase: NodePhase, extra: Record<string, unknown> = {}): { node: NodeEvent } => ({
      node: { event: { id: { nodeId, executionId: exec }, phase, occurredAt: at(), producerId: "propeller", specNodeId: nodeId, eventVersion: 2, ...extra } } as NodeEvent,
    });
    const task = (phase: TaskPhase, extra: Record<string, unknown> = {}): { task: TaskEvent } => ({
      task: {
        event: {
          taskId: id(ResourceType.TASK, `bench.tasks.step_${n}`, taskVersion),
          parentNodeExecutionId: { nodeId, executionId: exec },
          retryAttempt: 0,
          phase,
          occurredAt: at(),
          producerId: "propeller",
          taskType: "python-task",
          ...extra,
        },
      } as TaskEvent,
    });
    out.push(
      node(NodePhase.QUEUED, { inputValue: { case: "inputUri", value: `${prefix}/${nodeId}/data/inputs.pb` } }),
      node(NodePhase.RUNNING),
      task(TaskPhase.RUNNING, { logs: [{ name: "Kubernetes Logs", uri: `http://logs/${execution}/${nodeId}` }] }),
      task(TaskPhase.SUCCEEDED, { outputResult: { case: "outputUri", value: `${prefix}/${nodeId}/data/0/outputs.pb` } }),
      node(NodePhase.SUCCEEDED, { outputResult: { case: "outputUri", value: `${prefix}/${nodeId}/data/0/outputs.pb` } }),
    );
  }
  return out;
}
