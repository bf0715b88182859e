import { type Identifier, ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { invalidArgument, missingField } from "./errors.js";

/** Go's prototext quoting for the strings in identifiers (printable ASCII as is). */
const quote = (s: string) => JSON.stringify(s);

/**
 * An identifier in protobuf text format, as FlyteAdmin prints it in messages:
 * `resource_type:TASK project:"p" domain:"d" name:"n" version:"v"`, zero
 * fields left out. `withType: false` gives the repository layer's form.
 */
export function identifierText(id: Identifier, withType = true): string {
  const parts: string[] = [];
  if (withType && id.resourceType !== ResourceType.UNSPECIFIED) parts.push(`resource_type:${ResourceType[id.resourceType] ?? id.resourceType}`);
  for (const [field, value] of [
    ["project", id.project],
    ["domain", id.domain],
    ["name", id.name],
    ["version", id.version],
    ["org", id.org],
  ] as const) {
    if (value !== "") parts.push(`${field}:${quote(value)}`);
  }
  return parts.join(" ");
}

const KIND_NAMES: Record<number, string> = {
  [ResourceType.UNSPECIFIED]: "unspecified",
  [ResourceType.TASK]: "task",
  [ResourceType.WORKFLOW]: "workflow",
  [ResourceType.LAUNCH_PLAN]: "launch_plan",
  [ResourceType.DATASET]: "dataset",
};

/**
 * FlyteAdmin's ValidateIdentifier: present, of the expected kind, and with
 * project, domain, name and version, checked in that order.
 */
export function validateIdentifier(id: Identifier | undefined, kind: ResourceType): Identifier {
  if (!id) throw missingField("id");
  if (id.resourceType !== kind) {
    throw invalidArgument(
      `unexpected resource type ${KIND_NAMES[id.resourceType] ?? String(id.resourceType)} for identifier [${identifierText(id)}], expected ${KIND_NAMES[kind]} instead`,
    );
  }
  for (const field of ["project", "domain", "name", "version"] as const) {
    if (id[field] === "") throw missingField(field);
  }
  return id;
}

/** The repository's NOT_FOUND text: `missing entity of type TASK with identifier project:"p" ...`. */
export function missingEntityMessage(id: Identifier): string {
  return `missing entity of type ${ResourceType[id.resourceType]} with identifier ${identifierText(id, false)}`;
}
