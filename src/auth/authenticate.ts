import { Code, ConnectError } from "@connectrpc/connect";
import { ApiKeyRefused } from "./api-keys.js";
import type { Logger } from "../logger.js";
import { AuthRefusal, type RefusalReason } from "./auth-refusal.js";
import { type Credential, extractCredential } from "./extract.js";
import type { Identity, IdentityKind } from "./identity.js";
import { KeySourceUnavailable } from "./verify-access-token.js";

/** The wire family a call came in on: REST is "http"; gRPC, gRPC-Web and Connect are "grpc" (FlyteAdmin's disableForHttp/-Grpc split). */
export type CallProtocol = "http" | "grpc";

/** What an authenticator may look at besides the credential. */
export interface CallInfo {
  protocol: CallProtocol;
  /** Reads a request header (lower-case name). */
  header(name: string): string | null | undefined;
}

/**
 * One way of accepting a credential: an Identity when it is this
 * authenticator's and valid; undefined when it is not its kind (the next one
 * is asked); an AuthRefusal thrown when it is its kind and not valid. JWT
 * access tokens are one; API keys (`Bearer fak_…`) and browser sessions plug
 * in the same way, in front of it.
 */
export type Authenticator = (scheme: string, token: string, call: CallInfo) => Promise<Identity | undefined>;

/** Counts authentications: accepted by the kind of identity, refused by reason. */
export interface AuthMetrics {
  accepted(kind: IdentityKind): void;
  refused(reason: RefusalReason): void;
  /** A browser login completed or a logout ended a session. */
  browserSession?(event: "login" | "logout"): void;
}

export interface AuthenticateOptions {
  authenticators: readonly Authenticator[];
  /** Header names tried in order, per protocol: `authorization` first, then the configured one. */
  headerNames: Record<CallProtocol, readonly string[]>;
  /**
   * Where else a credential may come from when no header carries one, in order: a browser session's
   * cookie, for instance, as `{ scheme: "session", token }` for a session authenticator to take.
   */
  credentialSources?: readonly ((call: CallInfo) => Credential | undefined)[];
  /** Whether a credential is required on the protocol (FlyteAdmin's disableForHttp / disableForGrpc turn it off). */
  enforced: Record<CallProtocol, boolean>;
  /** Scope every identity needs; "" for none. */
  requiredScope: string;
  metrics?: AuthMetrics | undefined;
  logger: Logger;
}

// One text per outcome: the client learns it is unauthenticated, never which check failed.
export const MISSING_MESSAGE = "authentication required: no access token in the request";
export const REFUSED_MESSAGE = "authentication failed: the access token was not accepted";
export const SCOPE_MESSAGE = "authenticated user doesn't have required scope";

/**
 * Authenticates one call: its credential through the authenticators in
 * order. Returns the identity, or undefined for an anonymous call where the
 * protocol does not require one (a refused credential included, as FlyteAdmin
 * lets it through then). Throws UNAUTHENTICATED, PERMISSION_DENIED when the
 * identity lacks the required scope, or UNAVAILABLE when the keys to check
 * with cannot be fetched. Never logs a credential.
 */
export function createAuthenticate(o: AuthenticateOptions) {
  const refuse = (reason: RefusalReason, call: CallInfo, where: string): undefined => {
    o.metrics?.refused(reason);
    if (reason !== "missing") o.logger.info("authentication refused", { reason, protocol: call.protocol, call: where });
    if (!o.enforced[call.protocol]) return undefined;
    throw new ConnectError(reason === "missing" ? MISSING_MESSAGE : REFUSED_MESSAGE, Code.Unauthenticated);
  };

  return async function authenticate(call: CallInfo, where: string): Promise<Identity | undefined> {
    let credential = extractCredential(call.header, o.headerNames[call.protocol]);
    for (const source of o.credentialSources ?? []) {
      if (credential !== undefined) break;
      credential = source(call);
    }
    if (credential === undefined) return refuse("missing", call, where);
    if (typeof credential === "string") return refuse(credential, call, where);
    let identity: Identity | undefined;
    try {
      for (const authenticator of o.authenticators) {
        identity = await authenticator(credential.scheme, credential.token, call);
        if (identity) break;
      }
    } catch (e) {
      if (e instanceof AuthRefusal) return refuse(e.reason, call, where);
      if (e instanceof ApiKeyRefused) {
        // Its own message (`invalid API key`), whatever was wrong with the key.
        const reason = e.reason === "invalid" ? "invalid_key" : e.reason;
        o.metrics?.refused(reason);
        o.logger.info("authentication refused", { reason, protocol: call.protocol, call: where });
        if (o.enforced[call.protocol]) throw e;
        return undefined;
      }
      if (e instanceof KeySourceUnavailable) {
        o.metrics?.refused("unavailable");
        o.logger.warn("cannot verify an access token: the key source is unreachable", { error: e.message, call: where });
        throw new ConnectError("cannot verify the access token now: the identity provider is unreachable", Code.Unavailable);
      }
      throw e;
    }
    if (!identity) return refuse("unsupported", call, where);
    if (o.requiredScope !== "" && !identity.scopes.has(o.requiredScope)) {
      o.metrics?.refused("scope");
      throw new ConnectError(SCOPE_MESSAGE, Code.PermissionDenied);
    }
    o.metrics?.accepted(identity.kind);
    return identity;
  };
}
