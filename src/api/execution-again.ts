import { clone, create } from "@bufbuild/protobuf";
import {
  ExecutionMetadata_ExecutionMode as Mode,
  ExecutionMetadataSchema,
  type ExecutionSpec,
  ExecutionSpecSchema,
} from "../../gen/flyteidl/admin/execution_pb.js";
import type { NodeExecutionIdentifier, WorkflowExecutionIdentifier } from "../../gen/flyteidl/core/identifier_pb.js";
import { type LiteralMap, LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.js";
import { generateExecutionName, validateExecutionName, validateExecutionSpec } from "../core/execution-request.js";
import { validateProjectAndDomain } from "../core/project-gate.js";
import type { ExecutionKey } from "../storage/store.js";
import type { ApiDeps } from "./deps.js";
import { launchExecution } from "./execution-launch.js";
import { executionNotFound } from "./execution-terminate.js";

type Stored = NonNullable<Awaited<ReturnType<ApiDeps["store"]["executions"]["get"]>>>;

/** Relaunch and recovery (FlyteAdmin's): the stored spec again, with new metadata, under a new (or given) name. */
async function launchAgain(
  deps: ApiDeps,
  reference: ExecutionKey,
  name: string,
  edit: (spec: ExecutionSpec) => void,
  inputsFrom: (stored: Stored) => Promise<LiteralMap | undefined>,
  principal: string,
): Promise<WorkflowExecutionIdentifier> {
  const requestedAt = new Date();
  const stored = await deps.store.executions.get(reference);
  if (!stored) throw executionNotFound(reference);
  // The whole CreateExecution validation runs again: the project may be archived by now.
  validateExecutionName({ project: reference.project, domain: reference.domain, name });
  await validateProjectAndDomain(deps.store.projects, deps.domains, reference.project, reference.domain);
  const spec = clone(ExecutionSpecSchema, stored.execution.spec!);
  spec.metadata ??= create(ExecutionMetadataSchema);
  spec.metadata.referenceExecution = { $typeName: "flyteidl.core.WorkflowExecutionIdentifier", ...reference, org: "" };
  edit(spec);
  const inputs = await inputsFrom(stored);
  validateExecutionSpec(spec, inputs);
  return launchExecution(deps, {
    id: { $typeName: "flyteidl.core.WorkflowExecutionIdentifier", project: reference.project, domain: reference.domain, name: name || generateExecutionName(), org: "" },
    spec,
    inputs,
    requestedAt,
    principal,
  });
}

const userInputs = (deps: ApiDeps) => async (stored: Stored) =>
  stored.userInputsUri ? await deps.blobs.getMessage(deps.blobs.keyOf(stored.userInputsUri) ?? "", LiteralMapSchema) : undefined;

/** RelaunchExecution: the same launch again, with the same user inputs. */
export function relaunchExecution(deps: ApiDeps, reference: ExecutionKey, name: string, overwriteCache: boolean, principal = ""): Promise<WorkflowExecutionIdentifier> {
  return launchAgain(deps, reference, name, (spec) => {
    spec.metadata!.mode = Mode.RELAUNCH;
    spec.overwriteCache = overwriteCache;
  }, async (stored) => (await userInputs(deps)(stored)) ?? stored.execution.spec?.inputs, principal);
}

/**
 * RecoverExecution: the same launch again in recovery mode, the reference
 * execution's succeeded nodes reused by the engine. Shared by the RPC and by
 * the local engine's launch-plan nodes, which recover their reference's child
 * under a parent node of their own.
 */
export function recoverExecution(
  deps: ApiDeps,
  reference: ExecutionKey,
  name: string,
  parentNodeExecution?: NodeExecutionIdentifier,
  principal = "",
): Promise<WorkflowExecutionIdentifier> {
  return launchAgain(deps, reference, name, (spec) => {
    spec.metadata!.mode = Mode.RECOVERED;
    if (parentNodeExecution) spec.metadata!.parentNodeExecution = parentNodeExecution;
  }, userInputs(deps), principal);
}
