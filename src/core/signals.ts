// Pure rules of FlyteAdmin's SignalService (signal_manager.go,
// validation/signal_validator.go): request validation in FlyteAdmin's order,
// the filter/sort columns of the `signals` table, and the message texts that
// embed Go's `%v` rendering of values.
import type { SignalIdentifier, WorkflowExecutionIdentifier } from "../../gen/flyteidl/core/identifier_pb.js";
import type { EntityColumns } from "./entity-columns.js";
import { missingField } from "./errors.js";
import { checkIdentifierText, checkKeyText } from "./text-limits.js";

/**
 * `signals` rows. FlyteAdmin names the execution key `execution_project` etc.
 * (so `project` is not a filter field); its `id`, `deleted_at` (never set) and
 * the `type`/`value` protobuf bytes are not offered.
 */
export const SIGNAL_COLUMNS: EntityColumns = {
  code: "s",
  prefix: "signal",
  columns: {
    execution_project: "text",
    execution_domain: "text",
    execution_name: "text",
    signal_id: "text",
    created_at: "timestamp",
    updated_at: "timestamp",
  },
};

/** A signal identifier that passed validation: every key part is non-empty. */
export interface SignalKey {
  readonly project: string;
  readonly domain: string;
  readonly name: string;
  readonly signalId: string;
}

/** The key of a full workflow execution id (project, domain and name all set). */
export interface SignalExecutionKey {
  readonly project: string;
  readonly domain: string;
  readonly name: string;
}

/**
 * ValidateSignalIdentifier, preceded by the caller's nil check on `id`:
 * id, execution_id, signal_id, then the execution's project, domain, name.
 * `org` is not part of a signal's key (FlyteAdmin's model has no org column).
 */
export function requireSignalKey(id: SignalIdentifier | undefined): SignalKey {
  if (!id) throw missingField("id");
  const ex = id.executionId;
  if (!ex) throw missingField("execution_id");
  if (id.signalId === "") throw missingField("signal_id");
  const { project, domain, name } = requireExecutionKey(ex);
  checkKeyText(id.signalId, "signal_id");
  return { project, domain, name, signalId: id.signalId };
}

/** ListSignals reports every problem with the execution id as `missing execution_id`. */
export function requireListExecution(ex: WorkflowExecutionIdentifier | undefined): SignalExecutionKey {
  try {
    if (!ex) throw missingField("id");
    return requireExecutionKey(ex);
  } catch {
    throw missingField("execution_id");
  }
}

// ValidateWorkflowExecutionIdentifier for a present identifier.
function requireExecutionKey(ex: WorkflowExecutionIdentifier): SignalExecutionKey {
  if (ex.project === "") throw missingField("project");
  if (ex.domain === "") throw missingField("domain");
  if (ex.name === "") throw missingField("name");
  checkIdentifierText(ex);
  return { project: ex.project, domain: ex.domain, name: ex.name };
}

/**
 * Go's `%v` of FlyteAdmin's models.SignalKey (an ExecutionKey struct embedded
 * in a struct with SignalID), which SetSignal's "exists" error prints.
 */
export const signalKeyText = (k: SignalKey): string => `{{${k.project} ${k.domain} ${k.name}} ${k.signalId}}`;

/**
 * Go's `%v` of a []byte: decimal byte values in brackets. SetSignal's
 * castability error prints the stored type this way (the raw column, not the
 * decoded LiteralType), so clients see e.g. `[8 4]` for BOOLEAN.
 */
export const goBytesText = (bytes: Uint8Array): string => `[${Array.from(bytes).join(" ")}]`;

/** FlyteAdmin's error when the value's type cannot be inferred (ValidateLiteralType(nil) via NewInvalidLiteralTypeError("", err)). */
export const UNKNOWN_VALUE_TYPE_MESSAGE =
  "Failed to validate literal type for [] with err: got unknown literal type: [<nil>].\n" +
  "Suggested solution: Please update all your Flyte deployment images to the latest version and try again";
