import type { Req, Res } from "../server/http-types.js";
import type { SigningKeys } from "./keys.js";

/** The authorization_code flow's browser endpoints, when it is enabled. */
export interface AuthorizeRoutes {
  authorize(req: Req, res: Res): Promise<void>;
  callback(req: Req, res: Res): Promise<void>;
}

export interface AuthHttpRoutesOptions {
  /** The self-hosted server's keys and token endpoint; absent with an external authorization server. */
  self?: { keys: SigningKeys; token(req: Req, res: Res): Promise<void>; authorize?: AuthorizeRoutes | undefined } | undefined;
  /** The OIDC provider browser login uses (`userAuth.openId.baseUrl`), "" when none is configured. */
  openIdBaseUrl: string;
}

/**
 * The authentication routes that are not RPCs (the RPC ones, `/.well-known/
 * oauth-authorization-server`, `/config/v1/flyte_client` and `/me`, are REST
 * mappings of AuthMetadataService and IdentityService): `/oauth2/token`,
 * `/oauth2/jwks` and (with user login) `/oauth2/authorize` and
 * `/oauth2/authorize_callback` of the self-hosted server, and `/.well-known/openid-configuration`,
 * a 303 to the identity provider's own document. Each is public and does its
 * own checks. Returns false for other paths (and those of an absent part),
 * which then answer 404 like any unknown path.
 */
export function createAuthHttpRoutes(o: AuthHttpRoutesOptions) {
  const jwks = o.self ? JSON.stringify({ keys: o.self.keys.verifying.map((k) => k.jwk) }) : "";
  const discovery = o.openIdBaseUrl ? `${o.openIdBaseUrl.replace(/\/+$/, "")}/.well-known/openid-configuration` : "";

  return async function handle(req: Req, res: Res): Promise<boolean> {
    const path = (req.url ?? "/").split("?", 1)[0]!;
    if (o.self && path === "/oauth2/token") {
      await o.self.token(req, res);
      return true;
    }
    if (o.self?.authorize && path === "/oauth2/authorize") {
      await o.self.authorize.authorize(req, res);
      return true;
    }
    if (o.self?.authorize && path === "/oauth2/authorize_callback") {
      await o.self.authorize.callback(req, res);
      return true;
    }
    if (o.self && path === "/oauth2/jwks" && (req.method === "GET" || req.method === "HEAD")) {
      req.resume();
      res.statusCode = 200;
      res.setHeader("content-type", "application/json");
      // Keys change only with a restart after a rotation; clients may keep them a few minutes.
      res.setHeader("cache-control", "public, max-age=300");
      if (req.method === "HEAD") res.end();
      else res.end(jwks);
      return true;
    }
    if (discovery && path === "/.well-known/openid-configuration" && (req.method === "GET" || req.method === "HEAD")) {
      req.resume();
      res.statusCode = 303;
      res.setHeader("location", discovery);
      res.end();
      return true;
    }
    return false;
  };
}
