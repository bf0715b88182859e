import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { type DescriptionEntity, DescriptionEntitySchema } from "../../gen/flyteidl/admin/description_entity_pb.js";
import type { Identifier } from "../../gen/flyteidl/core/identifier_pb.js";
import { canonicalJson } from "../core/digest.js";
import { alreadyExists, type ErrorDetail, invalidArgument } from "../core/errors.js";
import { structureDiff } from "../core/structure-diff.js";
import { checkNoNul } from "../core/text-limits.js";
import type { Versioned } from "../storage/store.js";

/** The description entity written with a task or workflow version, when the spec has a description. */
export function descriptionEntityOf(id: Identifier, description: DescriptionEntity | undefined) {
  if (!description) return undefined;
  // Both land in text columns.
  checkNoNul(description.shortDescription, "short_description");
  checkNoNul(description.sourceCode?.link ?? "", "source_code.link");
  return create(DescriptionEntitySchema, {
    id,
    shortDescription: description.shortDescription,
    longDescription: description.longDescription,
    sourceCode: description.sourceCode,
  });
}

/**
 * FlyteAdmin's re-registration rule once a version's id is taken: the same
 * structure (digest) is ALREADY_EXISTS, which flytekit treats as success; a
 * different one is INVALID_ARGUMENT with a readable difference.
 */
export function refuseExisting<D extends DescMessage>(opts: {
  kind: "task" | "workflow" | "launch plan";
  id: Identifier;
  existing: Versioned<unknown>;
  digest: Uint8Array;
  schema: D;
  before: MessageShape<D>;
  after: MessageShape<D>;
  identicalDetails?: ErrorDetail[];
  differentDetails?: ErrorDetail[];
}): never {
  if (Buffer.from(opts.existing.digest).equals(Buffer.from(opts.digest))) {
    throw alreadyExists(`${opts.kind} with identical structure already exists`, opts.identicalDetails);
  }
  const diff = structureDiff(canonicalJson(opts.schema, opts.before), canonicalJson(opts.schema, opts.after));
  throw invalidArgument(
    `${opts.id.name} ${opts.kind} with different structure already exists. (Please register a new version of the ${opts.kind}):\n${diff}`,
    opts.differentDetails,
  );
}
