import type { PluginOverride, TaskResourceAttributes, WorkflowExecutionConfig } from "../../gen/flyteidl/admin/matchable_resource_pb.js";
import type { ClusterAssignment } from "../../gen/flyteidl/admin/cluster_assignment_pb.js";
import type { CompiledWorkflowClosure } from "../../gen/flyteidl/core/compiler_pb.js";
import type { Identifier, WorkflowExecutionIdentifier } from "../../gen/flyteidl/core/identifier_pb.js";
import type { LiteralMap } from "../../gen/flyteidl/core/literals_pb.js";

/** Everything an engine needs to run a workflow execution (FlyteAdmin's ExecutionData). */
export interface ExecutionLaunch {
  id: WorkflowExecutionIdentifier;
  /** The Kubernetes namespace FlyteAdmin would use: `<project>-<domain>`. */
  namespace: string;
  workflow: Identifier;
  launchPlan: Identifier;
  closure: CompiledWorkflowClosure;
  /** `closure` in binary, when the caller has it: an engine that stores the closure keeps these bytes instead of encoding it again. */
  closureBytes?: Uint8Array;
  inputs: LiteralMap;
  /** Where the merged inputs are stored. */
  inputsUri: string;
  acceptedAt: Date;
  config: WorkflowExecutionConfig;
  clusterAssignment?: ClusterAssignment | undefined;
  /** Set for a RECOVERED execution: the one whose successful nodes may be reused. */
  recoveryExecution?: WorkflowExecutionIdentifier | undefined;
  /** Set for a child execution (launched by a launch-plan node): the execution of that node, to wake when this one ends. */
  parentExecution?: WorkflowExecutionIdentifier | undefined;
  /** How deep this execution is below the one that started the chain of launch-plan nodes (0 at the top). */
  nesting?: number;
  /**
   * The platform's task resource defaults and limits for this workflow (the
   * TASK_RESOURCE attribute, else the server's): FlyteAdmin fills container
   * tasks' unset resources from them before handing the workflow over.
   */
  taskResources?: TaskResourceAttributes | undefined;
  /** The PLUGIN_OVERRIDE attribute resolved for the execution, if any. */
  taskPluginOverrides?: PluginOverride[] | undefined;
}

/** Runs workflow executions. The engine reports progress back through the event RPCs. */
export interface WorkflowExecutor {
  /** Which engine this is ("none", "local", "k8s"), for GetVersion and the start-up log. */
  readonly kind: string;
  /**
   * Whether launches must carry `taskResources` and `taskPluginOverrides`:
   * two attribute look-ups per CreateExecution, made only for an engine that
   * reads them (the FlyteWorkflow hand-off).
   */
  readonly wantsTaskAttributes?: boolean;
  /**
   * Accepts the execution (durably, when the engine keeps state); returns the
   * cluster it runs on ("" when there is only one). Nothing may be reported
   * for the execution before `launched` is called.
   */
  execute(launch: ExecutionLaunch): Promise<{ cluster: string }>;
  /**
   * Called once the launch is fully persisted (the execution row carries the
   * cluster `execute` returned): the engine may start reporting now. An engine
   * that keeps state also resumes accepted executions at start-up, so a crash
   * between `execute` and this call loses nothing.
   */
  launched?(id: WorkflowExecutionIdentifier): void;
  /**
   * A signal of the execution was just set (SetSignal): an engine that runs its
   * gate nodes looks at them now instead of at its next poll. A hint only: it
   * may name an execution the engine does not run, and must never throw.
   */
  signalled?(id: { project: string; domain: string; name: string }): void;
  /** Stops a running execution; stopping one that is not running is not an error. */
  abort(id: WorkflowExecutionIdentifier, cause: string): Promise<void>;
}

/**
 * The executor for an outside engine (flytepropeller or another process that
 * reads executions and sends events): accepting the hand-off is all there is
 * to do here, so executions wait in UNDEFINED until the engine reports.
 */
export function createExternalExecutor(): WorkflowExecutor {
  return {
    kind: "none",
    async execute() {
      return { cluster: "" };
    },
    async abort() {},
  };
}
