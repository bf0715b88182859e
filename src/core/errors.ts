import type { DescMessage, MessageShape } from "@bufbuild/protobuf";

/**
 * The outcomes a domain operation can fail with. The names are the gRPC codes
 * they become; the transport layer (src/server/errors.ts) does that mapping in
 * one place so core stays free of transport types.
 */
export type ErrorKind =
  | "InvalidArgument"
  | "NotFound"
  | "AlreadyExists"
  | "FailedPrecondition"
  | "ResourceExhausted"
  | "Unimplemented"
  | "Internal"
  | "Unavailable";

/** A typed detail message attached to an error (e.g. flyteidl.admin.InactiveProject). */
export interface ErrorDetail<Desc extends DescMessage = DescMessage> {
  desc: Desc;
  value: MessageShape<Desc>;
}

/** An expected failure: its message is shown to the client as is. */
export class AdminError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = "AdminError";
  }
}

export const invalidArgument = (message: string, details: ErrorDetail[] = []) =>
  new AdminError("InvalidArgument", message, details);
export const notFound = (message: string) => new AdminError("NotFound", message);
export const alreadyExists = (message: string, details: ErrorDetail[] = []) =>
  new AdminError("AlreadyExists", message, details);

/** FlyteAdmin's `missing <field>` (shared/errors.go). */
export const missingField = (field: string) => invalidArgument(`missing ${field}`);
/** FlyteAdmin's `invalid value for <field>`. */
export const invalidValue = (field: string) => invalidArgument(`invalid value for ${field}`);
