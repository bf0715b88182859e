import { Code, ConnectError } from "@connectrpc/connect";
import { AdminError, type ErrorKind } from "../core/errors.js";
import { databaseFailure } from "../storage/database-errors.js";

const CODES: Record<ErrorKind, Code> = {
  InvalidArgument: Code.InvalidArgument,
  NotFound: Code.NotFound,
  AlreadyExists: Code.AlreadyExists,
  FailedPrecondition: Code.FailedPrecondition,
  ResourceExhausted: Code.ResourceExhausted,
  Unimplemented: Code.Unimplemented,
  Internal: Code.Internal,
  Unavailable: Code.Unavailable,
};

// FlyteAdmin cuts messages to this many bytes (common.MaxResponseStatusBytes);
// a huge "different structure" diff would otherwise exceed header limits.
const MAX_MESSAGE_BYTES = 32000;

function truncate(message: string): string {
  const bytes = Buffer.from(message, "utf8");
  if (bytes.length <= MAX_MESSAGE_BYTES) return message;
  // Decoding a cut multi-byte sequence yields U+FFFD; drop it rather than emit half a character.
  return bytes.subarray(0, MAX_MESSAGE_BYTES).toString("utf8").replace(/\uFFFD$/, "");
}

/**
 * The one place where failures become wire errors:
 * - AdminError: its gRPC code, message (truncated as FlyteAdmin does) and typed details;
 * - a database driver error meaning the database is unreachable or the
 *   connection broke: UNAVAILABLE (clients retry it) with a short message of
 *   our own (the driver's may quote SQL or the connection's host and user);
 *   a full disk: RESOURCE_EXHAUSTED (storage/database-errors.ts);
 * - ConnectError raised by the framework (bad encoding, size limit): kept, except
 *   that UNKNOWN becomes INTERNAL, because flytekit treats UNKNOWN as an
 *   authentication failure and starts an OAuth flow;
 * - anything else is a bug: INTERNAL with the request id the log line carries,
 *   so the client sees no internals but an operator can find the stack.
 */
export function toConnectError(e: unknown, requestId: string): ConnectError {
  if (e instanceof AdminError) {
    return new ConnectError(truncate(e.message), CODES[e.kind], undefined, e.details);
  }
  if (e instanceof ConnectError && e.code !== Code.Unknown) return e;
  const db = databaseFailure(e);
  if (db) return new ConnectError(db.message, CODES[db.kind]);
  return new ConnectError(`internal error (request id ${requestId})`, Code.Internal);
}

/**
 * True when the failure is one the server did not expect (and should be
 * logged with its stack). A database outage is expected; a full disk is not
 * (an operator has to act), so it is logged as a fault.
 */
export const isUnexpected = (e: unknown) =>
  !(e instanceof AdminError) && !(e instanceof ConnectError && e.code !== Code.Unknown) && databaseFailure(e)?.kind !== "Unavailable";
