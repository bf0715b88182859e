import { createContextKey, type HandlerContext } from "@connectrpc/connect";

/**
 * Who made a call, once authentication has run:
 * - `user`: a person, from an OIDC ID token, a browser session or a user access token;
 * - `app`: an OAuth2 client (client_credentials), such as flytepropeller or a CI bot;
 * - `apikey`: a static API key, acting for its owner;
 * - `system`: the server's own components (embedded engine, scheduler) calling in-process.
 */
export type IdentityKind = "user" | "app" | "apikey" | "system";

/** The user info FlyteAdmin's IdentityService answers with (`UserInfoResponse`'s fields). */
export interface UserInfo {
  subject?: string;
  name?: string;
  preferredUsername?: string;
  givenName?: string;
  familyName?: string;
  email?: string;
  picture?: string;
}

export interface Identity {
  kind: IdentityKind;
  /** The principal FlyteAdmin records (execution `metadata.principal`, the executions `user` column): the token's `sub`. */
  subject: string;
  /** The OAuth2 client the token was issued to (`client_id` claim), or "". */
  appId: string;
  /** Granted scopes, from `scp` or `scope`. */
  scopes: ReadonlySet<string>;
  /** Every claim of the token used, for IdentityService's `additional_claims`; empty for API keys and system. */
  claims: Readonly<Record<string, unknown>>;
  userInfo?: UserInfo;
  /** Group names from the configured groups claim, for role bindings. */
  groups?: readonly string[];
  /** When the token was issued (`iat`), if known. */
  authenticatedAt?: Date;
}

/**
 * Set by the authentication interceptor on every call it lets through. Undefined
 * when authentication is off, or when it is not enforced on the call's protocol
 * and no credential came with it: such calls are anonymous, principal "".
 */
export const identityKey = createContextKey<Identity | undefined>(undefined, { description: "authenticated caller" });

/** The principal to record for a call: the identity's subject, or "" when there is none (authentication off). */
export function principalOf(ctx: Pick<HandlerContext, "values">): string {
  return ctx.values.get(identityKey)?.subject ?? "";
}
