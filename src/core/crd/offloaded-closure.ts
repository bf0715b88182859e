import { create } from "@bufbuild/protobuf";
import { type WorkflowClosure, WorkflowClosureSchema } from "../../../gen/flyteidl/admin/workflow_pb.js";
import type { ExecutionLaunch } from "../../engine/workflow-executor.js";
import type { PlatformTaskResources } from "./execution-config.js";
import { withTaskResourceDefaults } from "./task-resource-defaults.js";

/**
 * What to store at `workflowClosureReference` when the closure is offloaded:
 * propeller reads that blob as an admin.WorkflowClosure (not a bare
 * CompiledWorkflowClosure) and rebuilds `spec`, `subWorkflows` and `tasks` from
 * its `compiled_workflow`. Container tasks get the platform task resources
 * filled in, so an offloaded execution runs with the same resources as one
 * whose tasks travel in the object (FlyteAdmin offloads the closure stored at
 * registration, which skips that step). Encode with
 * `toBinary(WorkflowClosureSchema, ...)`. The launch is not changed.
 */
export function offloadedWorkflowClosure(launch: ExecutionLaunch, taskResources?: PlatformTaskResources): WorkflowClosure {
  const platform = taskResources ?? launch.taskResources;
  const closure = launch.closure;
  const compiledWorkflow = platform
    ? { ...closure, tasks: closure.tasks.map((t) => (t.template ? { ...t, template: withTaskResourceDefaults(t.template, platform) } : t)) }
    : closure;
  return create(WorkflowClosureSchema, { compiledWorkflow });
}
