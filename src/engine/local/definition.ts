import { create, fromBinary, type JsonValue, toBinary, toJson } from "@bufbuild/protobuf";
import { type CompiledWorkflowClosure, CompiledWorkflowClosureSchema } from "../../../gen/flyteidl/core/compiler_pb.js";
import { type Identifier, IdentifierSchema, ResourceType, type WorkflowExecutionIdentifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import { SecurityContextSchema } from "../../../gen/flyteidl/core/security_pb.js";
import type { TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import type { WorkflowTemplate } from "../../../gen/flyteidl/core/workflow_pb.js";
import { BINARY_READ_OPTIONS } from "../../core/proto-limits.js";
import type { EngineKey } from "../../storage/engine-store.js";
import type { ExecutionLaunch } from "../workflow-executor.js";
import { type Graph, graphOf } from "./dag-scope.js";

interface IdJson {
  project: string;
  domain: string;
  name: string;
  version: string;
}

/** What an engine row's `definition` holds (JSON, written once by `execute`). */
export interface DefinitionJson {
  v: 1;
  namespace: string;
  workflow: IdJson;
  launchPlan: IdJson;
  /** The compiled workflow closure, binary protobuf in base64. */
  closure: string;
  inputsUri: string;
  acceptedAt: string;
  config: {
    /** 0 = unlimited. */
    maxParallelism: number;
    /** The execution's raw_output_data_config.output_location_prefix ("" = the engine default). */
    rawOutputPrefix: string;
    envs: Record<string, string>;
    overwriteCache: boolean;
    /** Unset = the workflow's default. */
    interruptible?: boolean;
    /** Resolved labels, annotations and security context (proto JSON): what a launch-plan node's child inherits. */
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    securityContext?: JsonValue;
  };
  recovery?: { project: string; domain: string; name: string };
  /** A child execution's parent: woken when this execution ends. */
  parent?: { project: string; domain: string; name: string };
  /** Depth below the top of a chain of launch-plan nodes (absent = 0). */
  nesting?: number;
}

const idJson = (id: Identifier): IdJson => ({ project: id.project, domain: id.domain, name: id.name, version: id.version });

/** The definition of an execution the engine accepts. */
export function definitionOf(launch: ExecutionLaunch): DefinitionJson {
  const envs: Record<string, string> = {};
  for (const kv of launch.config.envs?.values ?? []) envs[kv.key] = kv.value;
  const recovery = launch.recoveryExecution;
  const parent = launch.parentExecution;
  const { labels, annotations, securityContext } = launch.config;
  return {
    v: 1,
    namespace: launch.namespace,
    workflow: idJson(launch.workflow),
    launchPlan: idJson(launch.launchPlan),
    closure: Buffer.from(launch.closureBytes ?? toBinary(CompiledWorkflowClosureSchema, launch.closure)).toString("base64"),
    inputsUri: launch.inputsUri,
    acceptedAt: launch.acceptedAt.toISOString(),
    config: {
      maxParallelism: launch.config.maxParallelism,
      rawOutputPrefix: launch.config.rawOutputDataConfig?.outputLocationPrefix ?? "",
      envs,
      overwriteCache: launch.config.overwriteCache,
      ...(launch.config.interruptible !== undefined ? { interruptible: launch.config.interruptible } : {}),
      ...(labels && Object.keys(labels.values).length > 0 ? { labels: { ...labels.values } } : {}),
      ...(annotations && Object.keys(annotations.values).length > 0 ? { annotations: { ...annotations.values } } : {}),
      ...(securityContext ? { securityContext: toJson(SecurityContextSchema, securityContext) } : {}),
    },
    ...(recovery ? { recovery: { project: recovery.project, domain: recovery.domain, name: recovery.name } } : {}),
    ...(parent ? { parent: { project: parent.project, domain: parent.domain, name: parent.name } } : {}),
    ...(launch.nesting ? { nesting: launch.nesting } : {}),
  };
}

/** A decoded definition with the lookups a round needs. */
export interface ExecutionDefinition {
  json: DefinitionJson;
  executionId: WorkflowExecutionIdentifier;
  workflowId: Identifier;
  launchPlanId: Identifier;
  closure: CompiledWorkflowClosure;
  template: WorkflowTemplate;
  /** The primary workflow's graph. */
  graph: Graph;
  /** Task templates by `taskKey`. */
  tasks: ReadonlyMap<string, TaskTemplate>;
  /** The workflow's default for nodes that do not say (metadata_defaults.interruptible). */
  interruptibleDefault: boolean;
}

export const taskKey = (id: { project: string; domain: string; name: string; version: string } | undefined) =>
  id ? `${id.project}/${id.domain}/${id.name}/${id.version}` : "";

/** Decodes a stored definition; throws when it is not one this engine wrote. */
export function loadDefinition(key: EngineKey, text: string): ExecutionDefinition {
  const json = JSON.parse(text) as DefinitionJson;
  if (json?.v !== 1 || typeof json.closure !== "string") throw new Error(`engine definition of ${key.name} has an unknown format`);
  const closure = fromBinary(CompiledWorkflowClosureSchema, Buffer.from(json.closure, "base64"), BINARY_READ_OPTIONS);
  const template = closure.primary?.template;
  if (!template) throw new Error(`engine definition of ${key.name} has no primary workflow`);
  const tasks = new Map(closure.tasks.flatMap((t) => (t.template ? [[taskKey(t.template.id), t.template] as const] : [])));
  const id = (j: IdJson, resourceType: ResourceType) => create(IdentifierSchema, { resourceType, ...j });
  return {
    json,
    executionId: { $typeName: "flyteidl.core.WorkflowExecutionIdentifier", project: key.project, domain: key.domain, name: key.name, org: "" },
    workflowId: id(json.workflow, ResourceType.WORKFLOW),
    launchPlanId: id(json.launchPlan, ResourceType.LAUNCH_PLAN),
    closure,
    template,
    graph: graphOf(template, closure.primary?.connections),
    tasks,
    interruptibleDefault: template.metadataDefaults?.interruptible ?? false,
  };
}
