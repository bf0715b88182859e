import bcrypt from "bcryptjs";
import type { StaticClient } from "../static-clients.js";
import { OAuthError } from "./oauth-error.js";

/** The client credentials a token request presented, and how. */
export interface PresentedClient {
  id: string;
  secret: string | undefined;
  method: "basic" | "post" | "none";
}

/** `+` is a space in form encoding; decodeURIComponent alone leaves it. */
const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));

/**
 * The client of a token request (RFC 6749 §2.3.1): HTTP Basic, whose id and
 * secret are each form-encoded before base64 (flytekit quotes the secret, Go's
 * oauth2 escapes both), or `client_id`/`client_secret` in the body. Using both
 * at once is refused, as the RFC says; a body `client_id` alone is a public
 * client's.
 */
export function presentedClient(authorization: string | undefined, form: URLSearchParams): PresentedClient | undefined {
  const bodyId = form.get("client_id");
  const bodySecret = form.get("client_secret");
  const basic = authorization && /^basic\s+/i.test(authorization) ? authorization.replace(/^basic\s+/i, "").trim() : undefined;
  if (basic !== undefined) {
    if (bodySecret !== null) throw new OAuthError("invalid_request", "client credentials were sent both in the Authorization header and in the body");
    const decoded = /^[A-Za-z0-9+/]*={0,2}$/.test(basic) ? Buffer.from(basic, "base64").toString("utf8") : "";
    const colon = decoded.indexOf(":");
    if (colon < 0) throw new OAuthError("invalid_client", "malformed HTTP Basic client credentials", true);
    let id: string;
    let secret: string;
    try {
      id = formDecode(decoded.slice(0, colon));
      secret = formDecode(decoded.slice(colon + 1));
    } catch {
      throw new OAuthError("invalid_client", "malformed HTTP Basic client credentials", true);
    }
    if (bodyId !== null && bodyId !== id) throw new OAuthError("invalid_request", "client_id in the body differs from the authenticated client");
    return { id, secret, method: "basic" };
  }
  if (bodyId === null) return undefined;
  return { id: bodyId, secret: bodySecret ?? undefined, method: bodySecret === null ? "none" : "post" };
}

// A hash of nothing anyone knows: an unknown client costs the same bcrypt comparison as a known one.
const DUMMY_HASH = bcrypt.hashSync("flyteadmin-ts unknown client", 6);

/**
 * Finds the client and checks its secret with bcrypt (constant time in the
 * secret). An unknown client and a wrong secret are the same invalid_client,
 * and cost the same. A public client needs no secret (an empty one is
 * ignored, as the Go client sends `flytectl:` with an empty password).
 */
export async function authenticateClient(clients: ReadonlyMap<string, StaticClient>, presented: PresentedClient): Promise<StaticClient> {
  const client = clients.get(presented.id);
  const refused = new OAuthError("invalid_client", "client authentication failed", presented.method === "basic");
  if (client?.public) {
    if (presented.secret) throw refused;
    return client;
  }
  const secret = presented.secret ?? "";
  // bcrypt looks at 72 bytes at most; a longer secret is refused rather than matched by its prefix.
  const ok = await bcrypt.compare(Buffer.byteLength(secret) <= 72 ? secret : "", client?.secretHash || DUMMY_HASH);
  if (!client || !ok || secret === "") throw refused;
  return client;
}
