/**
 * Why a credential was refused: the `reason` label of
 * flyteadmin_auth_refused_total and of the log line. Never sent to the client,
 * which learns only that it is unauthenticated (or lacks the scope).
 */
export type RefusalReason =
  | "missing"
  | "malformed"
  | "oversized"
  | "unsupported"
  | "expired"
  | "not_yet_valid"
  | "audience"
  | "issuer"
  | "signature"
  | "unknown_key"
  | "algorithm"
  | "claims"
  | "scope"
  | "unavailable"
  | "invalid_client"
  | "revoked"
  | "invalid_key";

/** A credential an authenticator recognised and refused. */
export class AuthRefusal extends Error {
  constructor(readonly reason: RefusalReason) {
    super(`credential refused: ${reason}`);
    this.name = "AuthRefusal";
  }
}
