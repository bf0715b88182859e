import { clone, create } from "@bufbuild/protobuf";
import type { CompiledWorkflowClosure } from "../../../gen/flyteidl/core/compiler_pb.js";
import type { DynamicJobSpec } from "../../../gen/flyteidl/core/dynamic_job_pb.js";
import { type Identifier, ResourceType } from "../../../gen/flyteidl/core/identifier_pb.js";
import { type TaskTemplate, TaskTemplateSchema } from "../../../gen/flyteidl/core/tasks_pb.js";
import { type WorkflowTemplate, WorkflowTemplateSchema } from "../../../gen/flyteidl/core/workflow_pb.js";
import { CompilationFailed, compileWorkflow, formatCompileErrors, identifierKey, identifierText, type LaunchPlanInterface, workflowRequirements } from "../../core/compiler/index.js";
import { compileTask } from "../../core/task-compile.js";
import { errorText } from "./execution-error.js";

/**
 * The most nodes a dynamic workflow may have (its own and its subworkflows'):
 * every child keeps a status in the parent's row, written each round, and the
 * compiled workflow travels in one event. Larger fan-outs belong in map tasks.
 */
export const MAX_DYNAMIC_NODES = 5_000;

/** What a dynamic node's generated workflow is built from (propeller's buildDynamicWorkflowTemplate). */
export interface DynamicWorkflowSource {
  /** The futures file the parent task wrote. */
  spec: DynamicJobSpec;
  /** The dynamic task's own template: its outputs become the workflow's, its container config the children's. */
  parent: TaskTemplate;
  /** The execution's project and domain. */
  execution: { project: string; domain: string };
  /** The dynamic node's id in its (sub)workflow spec: the workflow is named `dynamic_<id>`. */
  nodeId: string;
  /** Chosen once per attempt (propeller: 10 random characters); a rebuilt workflow would get another. */
  version: string;
}

/** A dynamic workflow that cannot be built is the user's doing (propeller's DynamicWorkflowBuildFailed). */
export type DynamicBuild = { closure: CompiledWorkflowClosure } | { userError: string };

/** The generated workflow's template: the spec's nodes and output bindings, the parent task's outputs as its interface. */
export function dynamicWorkflowTemplate(s: DynamicWorkflowSource): WorkflowTemplate {
  return create(WorkflowTemplateSchema, {
    id: { resourceType: ResourceType.WORKFLOW, project: s.execution.project, domain: s.execution.domain, name: `dynamic_${s.nodeId}`, version: s.version },
    nodes: s.spec.nodes,
    outputs: s.spec.outputs,
    interface: { outputs: s.parent.interface?.outputs },
  });
}

/**
 * The children's task templates as they run: each distinct task once (by
 * identifier, first wins), a container task with the parent's container
 * config entries appended, as propeller passes them down.
 */
export function dynamicTaskTemplates(spec: DynamicJobSpec, parent: TaskTemplate): TaskTemplate[] {
  const parentConfig = parent.target.case === "container" ? parent.target.value.config : undefined;
  const seen = new Set<string>();
  const out: TaskTemplate[] = [];
  for (const t of spec.tasks) {
    const key = t.id ? identifierKey(t.id) : "";
    if (seen.has(key)) continue;
    seen.add(key);
    const copy = clone(TaskTemplateSchema, t);
    if (copy.target.case === "container" && parentConfig) copy.target.value.config.push(...parentConfig.map((kv) => ({ ...kv })));
    out.push(copy);
  }
  return out;
}

/** Nodes of the spec and of its subworkflows, which the size bound counts. */
export const dynamicNodeCount = (spec: DynamicJobSpec): number => spec.nodes.length + spec.subworkflows.reduce((a, w) => a + w.nodes.length, 0);

/**
 * The launch plans the generated workflow references (to be looked up the way
 * registration does), or why its subworkflows cannot even be walked.
 */
export function dynamicLaunchPlanIds(s: DynamicWorkflowSource): { launchPlans: Identifier[] } | { userError: string } {
  try {
    return { launchPlans: workflowRequirements(dynamicWorkflowTemplate(s), s.spec.subworkflows).launchPlans };
  } catch (e) {
    const cause = e instanceof CompilationFailed ? formatCompileErrors(e.errors) : errorText(e);
    return { userError: userError("failed to Get requirements for subworkflows", cause) };
  }
}

/**
 * Builds and compiles a dynamic node's workflow with the compiler
 * registration uses (propeller's buildDynamicWorkflow): the children's tasks
 * are compiled one by one, then the workflow with its subworkflows, its tasks
 * and the interfaces of the launch plans it references. Pure: the launch
 * plans are looked up by the caller (dynamicLaunchPlanIds says which).
 */
export function compileDynamicWorkflow(s: DynamicWorkflowSource, launchPlans: LaunchPlanInterface[], maxNodes = MAX_DYNAMIC_NODES): DynamicBuild {
  const template = dynamicWorkflowTemplate(s);
  const count = dynamicNodeCount(s.spec);
  if (maxNodes > 0 && count > maxNodes) {
    return { userError: `number of nodes in dynamic workflow [${identifierText(template.id!)}] exceeds limit (${count} > ${maxNodes})` };
  }
  const tasks = dynamicTaskTemplates(s.spec, s.parent);
  for (const t of tasks) {
    const compiled = compileTask(t);
    if ("errors" in compiled) return { userError: userError("failed to compile dynamic tasks", formatCompileErrors(compiled.errors)) };
  }
  const compiled = compileWorkflow({ primary: template, subWorkflows: s.spec.subworkflows, tasks, launchPlans });
  if ("errors" in compiled) return { userError: userError("malformed dynamic workflow", formatCompileErrors(compiled.errors)) };
  return { closure: compiled.closure };
}

/** A launch plan the spec references is not registered. */
export const unknownLaunchPlanError = (id: Identifier, cause: string): string =>
  userError(`incorrectly specified launchplan ${id.project}:${id.domain}:${id.name}:${id.version}`, cause);

/** propeller's wrapped user errors read `[User] <what>, caused by: <cause>`. */
const userError = (what: string, cause: string) => `[User] ${what}, caused by: ${cause}`;
