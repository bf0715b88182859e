import { create } from "@bufbuild/protobuf";
import { type Identifier, IdentifierSchema, ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { protoText } from "./compiler/proto-text.js";
import { invalidArgument, missingField } from "./errors.js";
import { checkIdentifierText } from "./text-limits.js";

/**
 * An identifier in protobuf text format, as FlyteAdmin prints it in messages:
 * `resource_type:TASK project:"p" domain:"d" name:"n" version:"v"`, zero
 * fields left out. `withType: false` gives the repository layer's form.
 */
export function identifierText(id: Identifier, withType = true): string {
  return protoText(IdentifierSchema, withType ? id : create(IdentifierSchema, { ...id, resourceType: ResourceType.UNSPECIFIED }));
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
 * project, domain, name and version, checked in that order; then text that
 * every store can hold and key with (checkIdentifierText).
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
  checkIdentifierText(id);
  return id;
}

/**
 * The repository's NOT_FOUND text: `missing entity of type TASK with identifier project:"p" ...`.
 * The type is the table looked in, whatever the identifier says.
 */
export function missingEntityMessage(id: Identifier, type: ResourceType = id.resourceType): string {
  return `missing entity of type ${ResourceType[type]} with identifier ${identifierText(id, false)}`;
}
