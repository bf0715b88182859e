import { isS256Challenge } from "./pkce.js";

/** The parts of a client an authorization request is checked against. */
export interface AuthorizeClient {
  id: string;
  redirectUris: readonly string[];
  grantTypes: readonly string[];
  responseTypes: readonly string[];
  scopes: readonly string[];
  public: boolean;
}

/** A validated authorization request: what the code will be bound to. */
export interface AuthorizeRequest {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state: string;
  /** S256 challenge, or "" (a confidential client may go without PKCE). */
  codeChallenge: string;
  nonce: string;
}

/** RFC 6749 §4.1.2.1 error codes of an authorization response. */
export type AuthorizeErrorCode = "invalid_request" | "unauthorized_client" | "unsupported_response_type" | "invalid_scope" | "access_denied" | "server_error";

export type AuthorizeOutcome =
  | { ok: AuthorizeRequest }
  /** The redirect URI cannot be trusted: answered to the browser itself, never redirected. */
  | { fatal: { error: AuthorizeErrorCode; description: string } }
  /** The redirect URI is the client's: the error goes back to it with the state (RFC 6749 §4.1.2.1). */
  | { redirect: { redirectUri: string; state: string; error: AuthorizeErrorCode; description: string } };

/**
 * Longest value taken per parameter: far above what flytekit and flytectl
 * send, and small enough that the sealed request stays within the 4 KB a
 * browser keeps of a cookie (the redirect URI is a registered one).
 */
const MAX_LENGTH: Record<string, number> = {
  client_id: 200,
  response_type: 100,
  redirect_uri: 1024,
  scope: 512,
  state: 512,
  nonce: 512,
  code_challenge: 128,
  code_challenge_method: 20,
};

/** fosite's hierarchic match: an allowed `a` also allows `a.b`. */
const allows = (allowed: readonly string[], requested: string) => allowed.some((a) => a === requested || requested.startsWith(`${a}.`));

/**
 * Checks `GET /oauth2/authorize` (RFC 6749 §4.1.1 with RFC 7636 PKCE) against
 * the registered clients: client, then redirect URI (exact match); until both
 * hold, an error is answered directly. After that errors go back to the
 * redirect URI: response type `code`, the authorization_code grant, scopes
 * allowed for the client (all of them, or the client's own when none are
 * asked), PKCE S256 (required of public clients; `plain` is refused).
 */
export function checkAuthorizeRequest(params: URLSearchParams, clientOf: (id: string) => AuthorizeClient | undefined): AuthorizeOutcome {
  const fatal = (description: string): AuthorizeOutcome => ({ fatal: { error: "invalid_request", description } });
  for (const [name, max] of Object.entries(MAX_LENGTH)) {
    const values = params.getAll(name);
    if (values.length > 1) return fatal(`${name} is given more than once`);
    if (values[0] !== undefined && values[0].length > max) return fatal(`${name} is longer than ${max} characters`);
  }
  const clientId = params.get("client_id") ?? "";
  if (clientId === "") return fatal("client_id is required");
  const client = clientOf(clientId);
  if (!client) return { fatal: { error: "unauthorized_client", description: `unknown client ${clientId}` } };
  const given = params.get("redirect_uri") ?? "";
  let redirectUri = given;
  if (given === "") {
    // RFC 6749 §3.1.2.3: it may be left out only when the client has exactly one.
    if (client.redirectUris.length !== 1) return fatal("redirect_uri is required");
    redirectUri = client.redirectUris[0]!;
  } else if (!client.redirectUris.includes(given)) {
    return fatal(`redirect_uri ${given} is not registered for client ${clientId}`);
  }
  const state = params.get("state") ?? "";
  const back = (error: AuthorizeErrorCode, description: string): AuthorizeOutcome => ({ redirect: { redirectUri, state, error, description } });
  const responseType = params.get("response_type") ?? "";
  if (responseType === "") return back("invalid_request", "response_type is required");
  if (responseType !== "code") return back("unsupported_response_type", "only response_type=code is served");
  if (!client.grantTypes.includes("authorization_code")) return back("unauthorized_client", `client ${clientId} may not use the authorization_code grant`);
  if (client.responseTypes.length > 0 && !client.responseTypes.includes("code")) return back("unauthorized_client", `client ${clientId} may not use response_type=code`);
  const requested = [...new Set((params.get("scope") ?? "").split(" ").filter((s) => s !== ""))];
  const refused = requested.find((s) => !allows(client.scopes, s));
  if (refused !== undefined) return back("invalid_scope", `client ${clientId} may not ask for scope ${refused}`);
  const scopes = requested.length > 0 ? requested : [...client.scopes];
  const challenge = params.get("code_challenge") ?? "";
  const method = params.get("code_challenge_method") ?? "";
  if (challenge === "") {
    if (client.public) return back("invalid_request", "code_challenge is required: public clients must use PKCE (S256)");
    if (method !== "") return back("invalid_request", "code_challenge_method without code_challenge");
  } else {
    if (method !== "S256") return back("invalid_request", "code_challenge_method must be S256 (plain is not accepted)");
    if (!isS256Challenge(challenge)) return back("invalid_request", "code_challenge must be the base64url SHA-256 of the code verifier (43 characters)");
  }
  return { ok: { clientId, redirectUri, scopes, state, codeChallenge: challenge, nonce: params.get("nonce") ?? "" } };
}

/** `uri` with the authorization response's parameters added to its query (RFC 6749 §4.1.2: the query is kept). */
export function withQuery(uri: string, params: Record<string, string>): string {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== "") url.searchParams.append(k, v);
  return url.toString();
}
