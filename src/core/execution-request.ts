import type { ExecutionCreateRequest, ExecutionSpec } from "../../gen/flyteidl/admin/execution_pb.js";
import { type Identifier, ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import type { LiteralMap } from "../../gen/flyteidl/core/literals_pb.js";
import { invalidArgument, missingField } from "./errors.js";
import { validateDatetimeLiteral, validateNotifications } from "./launch-plan-validation.js";
import { validateLabels } from "./projects.js";
import { checkIdentifierText, checkNodeId, checkText, MAX_KEY_BYTES } from "./text-limits.js";

const NAME_FORMAT = /^[a-z][a-z\-0-9]*$/;
const MAX_NAME_LENGTH = 63;

/** Checks 1-4 of FlyteAdmin's ValidateExecutionRequest: project, domain and the name's format. */
export function validateExecutionName(req: Pick<ExecutionCreateRequest, "project" | "domain" | "name">): void {
  if (req.project === "") throw missingField("project");
  if (req.domain === "") throw missingField("domain");
  // Before the project gate looks them up.
  checkIdentifierText({ project: req.project, domain: req.domain });
  if (req.name !== "") {
    // The lower-cased name is what is checked; the name is stored as given.
    const lower = req.name.toLowerCase();
    if (lower.length > MAX_NAME_LENGTH) throw invalidArgument(`size of name exceeded length ${MAX_NAME_LENGTH} : ${lower}`);
    if (!NAME_FORMAT.test(lower)) throw invalidArgument(`invalid name format: ${lower}, does not match regex '^[a-z][a-z\\-0-9]*$'`);
  }
}

/**
 * The checks after the project gate (5-11): the spec and its launch-plan or
 * task reference, the inputs, notifications and labels. Returns the entity to
 * launch.
 */
export function validateExecutionSpec(spec: ExecutionSpec | undefined, inputs: LiteralMap | undefined): Identifier {
  if (!spec) throw missingField("spec");
  const ref = spec.launchPlan;
  if (!ref) throw missingField("id");
  for (const field of ["project", "domain", "name", "version"] as const) {
    if (ref[field] === "") throw missingField(field);
  }
  checkIdentifierText(ref);
  if (ref.resourceType !== ResourceType.LAUNCH_PLAN && ref.resourceType !== ResourceType.TASK) {
    // Go prints its set of accepted types as a map.
    throw invalidArgument(
      `Invalid reference entity resource type [${ResourceType[ref.resourceType] ?? ref.resourceType}], only [map[LAUNCH_PLAN:<nil> TASK:<nil>]] allowed`,
    );
  }
  for (const [key, literal] of Object.entries(inputs?.literals ?? {})) {
    if (key === "") throw invalidArgument("missing key in inputs");
    if (literal.value.case === undefined) throw invalidArgument(`missing valid literal in inputs ${key}`);
    validateDatetimeLiteral(literal);
  }
  if (spec.notificationOverrides.case === "notifications") validateNotifications(spec.notificationOverrides.value.notifications);
  validateLabels(spec.labels?.values ?? {});
  // Each tag is a key of the execution's tag rows (FlyteAdmin's execution_tags.key is varchar(255)).
  for (const tag of spec.tags) checkText(tag, "tags", MAX_KEY_BYTES);
  // A launch-plan node's child execution names its parent node, which is looked up.
  const parent = spec.metadata?.parentNodeExecution;
  if (parent?.executionId) checkIdentifierText(parent.executionId);
  if (parent?.nodeId) checkNodeId(parent.nodeId, "parent_node_execution.node_id");
  return ref;
}

/** The generated execution name: "a" and 19 characters of Kubernetes' random-string alphabet. */
const ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
export function generateExecutionName(random: (n: number) => number = (n) => Math.floor(Math.random() * n)): string {
  let name = "a";
  for (let i = 0; i < 19; i++) name += ALPHABET[random(ALPHABET.length)];
  return name;
}
