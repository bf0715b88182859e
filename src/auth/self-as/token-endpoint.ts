import { grantClientScopes, parseScopeParam } from "../../core/oauth-scopes.js";
import type { Logger } from "../../logger.js";
import type { Req, Res } from "../../server/http-types.js";
import type { AuthMetrics } from "../authenticate.js";
import type { StaticClient } from "../static-clients.js";
import { authenticateClient, presentedClient } from "./client-credentials.js";
import type { TokenGrant } from "./issue-token.js";
import { OAuthError } from "./oauth-error.js";
import { authorizationCodeGrant, refreshTokenGrant, type UserGrantOptions } from "./user-grants.js";

export interface TokenEndpointOptions {
  clients: ReadonlyMap<string, StaticClient>;
  issue(grant: TokenGrant): Promise<{ token: string; expiresIn: number }>;
  /** The public URL a request reached (1.2.7): the audience of its token, and its issuer unless one is configured. */
  publicUrlOf(req: Req): string;
  /** The configured issuer, or "" for the public URL. */
  issuer: string;
  metrics?: AuthMetrics | undefined;
  logger: Logger;
  /** The authorization_code and refresh_token grants; absent: both answer unsupported_grant_type. */
  userGrants?: Omit<UserGrantOptions, "logger"> | undefined;
}

const MAX_FORM_BYTES = 64 * 1024;
// Parameters that must not repeat (RFC 6749 §3.2); others, such as the authorize parameters flytekit repeats, are ignored.
const SINGLE = ["grant_type", "scope", "client_id", "client_secret", "code", "code_verifier", "redirect_uri", "refresh_token"];
const USER_GRANTS = new Set(["authorization_code", "refresh_token"]);

/**
 * `POST /oauth2/token`: the client_credentials grant for the configured
 * static clients (flytepropeller, CI bots, flytekit's ClientSecret mode), and
 * when enabled authorization_code (PKCE) and refresh_token for the CLIs'
 * public clients (flytectl, flytekit's Pkce mode).
 * Unknown parameters are ignored, `offline` is tolerated, failures are RFC
 * 6749 §5.2 JSON (flytekit reads the body of every answer as JSON). Neither
 * a secret nor a token is ever logged.
 */
export function createTokenEndpoint(o: TokenEndpointOptions): (req: Req, res: Res) => Promise<void> {
  return async (req, res) => {
    res.setHeader("cache-control", "no-store");
    res.setHeader("pragma", "no-cache");
    try {
      const answer = await grant(o, req);
      res.statusCode = 200;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(answer));
    } catch (e) {
      if (!(e instanceof OAuthError)) throw e;
      if (e.code === "invalid_client") o.metrics?.refused("invalid_client");
      o.logger.info("token request refused", { error: e.code, description: e.description });
      res.statusCode = e.status;
      if (e.basicChallenge) res.setHeader("www-authenticate", 'Basic realm="flyteadmin"');
      res.setHeader("content-type", "application/json");
      res.end(e.body());
    }
  };
}

async function grant(o: TokenEndpointOptions, req: Req) {
  if (req.method !== "POST") {
    req.resume();
    throw new OAuthError("invalid_request", "the token endpoint takes POST");
  }
  const type = String(req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    req.resume();
    throw new OAuthError("invalid_request", "the body must be application/x-www-form-urlencoded");
  }
  const form = new URLSearchParams(await readBody(req));
  for (const name of SINGLE) if (form.getAll(name).length > 1) throw new OAuthError("invalid_request", `${name} is given more than once`);
  const grantType = form.get("grant_type") ?? "";
  if (grantType === "") throw new OAuthError("invalid_request", "grant_type is required");
  const served = o.userGrants ? ["client_credentials", ...USER_GRANTS] : ["client_credentials"];
  if (!served.includes(grantType)) throw new OAuthError("unsupported_grant_type", `only ${served.join(", ")} ${served.length > 1 ? "are" : "is"} served`);
  const authorization = typeof req.headers.authorization === "string" ? req.headers.authorization : undefined;
  const presented = presentedClient(authorization, form);
  if (!presented) throw new OAuthError("invalid_client", "client authentication is required", true);
  const client = await authenticateClient(o.clients, presented);
  if (o.userGrants && USER_GRANTS.has(grantType)) {
    const publicUrl = o.publicUrlOf(req);
    const run = grantType === "authorization_code" ? authorizationCodeGrant : refreshTokenGrant;
    return run({ ...o.userGrants, logger: o.logger }, client, form, publicUrl, o.issuer || publicUrl);
  }
  if (client.public || !client.grantTypes.includes("client_credentials")) {
    throw new OAuthError("unauthorized_client", `client ${client.id} may not use the client_credentials grant`);
  }
  const scopes = grantClientScopes(parseScopeParam(form.get("scope") ?? ""), client.scopes);
  if ("refused" in scopes) throw new OAuthError("invalid_scope", `client ${client.id} may not ask for scope ${scopes.refused}`);
  const publicUrl = o.publicUrlOf(req);
  const issued = await o.issue({ issuer: o.issuer || publicUrl, audience: publicUrl, subject: client.id, clientId: client.id, scopes: scopes.granted });
  return { access_token: issued.token, token_type: "bearer", expires_in: issued.expiresIn, scope: scopes.granted.join(" ") };
}

function readBody(req: Req): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        req.removeAllListeners("data");
        req.resume();
        reject(new OAuthError("invalid_request", "the request body is larger than 64 KiB"));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
