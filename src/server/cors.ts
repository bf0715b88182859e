import { cors as connectCors } from "@connectrpc/connect";
import type { Req, Res } from "./http-types.js";

const ALLOW_METHODS = [...new Set([...connectCors.allowedMethods, "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"])].join(", ");
// Connect/gRPC-Web headers, plus what the Flyte console and browser apps send (Content-MD5 with signed uploads).
const ALLOW_HEADERS = [...connectCors.allowedHeaders, "Authorization", "flyte-authorization", "X-Request-Id", "Accept", "Content-MD5"].join(", ");
const EXPOSE_HEADERS = [...connectCors.exposedHeaders, "X-Request-Id", "ETag"].join(", ");

/**
 * CORS for every route and protocol on the port. Requests without an Origin,
 * or from an origin not allowed, pass through untouched. Returns true when it
 * answered a preflight itself.
 */
export function createCors(origins: readonly string[]) {
  const any = origins.includes("*");
  const allowed = new Set(origins);
  return function applyCors(req: Req, res: Res): boolean {
    const origin = req.headers.origin;
    if (typeof origin !== "string" || (!any && !allowed.has(origin))) return false;
    res.setHeader("access-control-allow-origin", origin);
    res.setHeader("vary", "Origin");
    res.setHeader("access-control-allow-credentials", "true");
    res.setHeader("access-control-expose-headers", EXPOSE_HEADERS);
    if (req.method === "OPTIONS" && req.headers["access-control-request-method"]) {
      res.setHeader("access-control-allow-methods", ALLOW_METHODS);
      res.setHeader("access-control-allow-headers", ALLOW_HEADERS);
      res.setHeader("access-control-max-age", "7200");
      res.statusCode = 204;
      res.end();
      return true;
    }
    return false;
  };
}
