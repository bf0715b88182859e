import type { ExecutionCreateRequest } from "../../gen/flyteidl/admin/execution_pb.js";
import type { WorkflowExecutionIdentifier } from "../../gen/flyteidl/core/identifier_pb.js";
import { generateExecutionName, validateExecutionName, validateExecutionSpec } from "../core/execution-request.js";
import { validateProjectAndDomain } from "../core/project-gate.js";
import type { ApiDeps } from "./deps.js";
import { launchExecution } from "./execution-launch.js";

/**
 * CreateExecution: the request checks, then the launch pipeline. Shared by the
 * RPC and by the local engine's launch-plan nodes, so a child execution is
 * checked and launched exactly as a client's would be.
 */
export async function createExecution(deps: ApiDeps, req: ExecutionCreateRequest, principal = ""): Promise<WorkflowExecutionIdentifier> {
  const requestedAt = new Date();
  validateExecutionName(req);
  await validateProjectAndDomain(deps.store.projects, deps.domains, req.project, req.domain);
  // Older clients put the inputs in the spec.
  const inputs = Object.keys(req.inputs?.literals ?? {}).length > 0 ? req.inputs : req.spec?.inputs;
  validateExecutionSpec(req.spec, inputs);
  return launchExecution(deps, {
    id: { $typeName: "flyteidl.core.WorkflowExecutionIdentifier", project: req.project, domain: req.domain, name: req.name || generateExecutionName(), org: "" },
    spec: req.spec!,
    inputs,
    requestedAt,
    principal,
  });
}
