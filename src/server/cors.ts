import { cors as connectCors } from "@connectrpc/connect";
import type { Req, Res } from "./http-types.js";

const ALLOW_METHODS = [...new Set([...connectCors.allowedMethods, "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"])].join(", ");
// Connect/gRPC-Web headers, plus what the Flyte console and browser apps send (Content-MD5 with signed uploads).
const ALLOW_HEADERS = [...connectCors.allowedHeaders, "Authorization", "flyte-authorization", "X-Request-Id", "Accept", "Content-MD5"];
const EXPOSE_HEADERS = [...connectCors.exposedHeaders, "X-Request-Id", "ETag"].join(", ");

/**
 * CORS for every route and protocol on the port.
 *
 * - "*" answers `Access-Control-Allow-Origin: *` without credentials, as FlyteAdmin's
 *   middleware answers a wildcard: any page may call, but the browser sends no cookies
 *   and exposes no credentialed answer, so a page the user visits cannot act as them.
 * - An origin listed explicitly is echoed with credentials (the console on its own origin).
 * - `null` (sandboxed frames such as a deck's scripts, file:// pages) is an opaque origin
 *   any page can take on: it is allowed only when listed explicitly, never by "*".
 * - `Vary: Origin` goes on every answer while CORS is on: the answer depends on the
 *   Origin, and a cache must not hand one origin's answer to another.
 *
 * A preflight this layer refuses is answered here, 204 without any allow headers,
 * never passed on to the RPC router. Browsers fail a preflight the same way for a 403
 * and for a 2xx without allow headers, but for the latter they report the real cause
 * ("No 'Access-Control-Allow-Origin' header") instead of "does not have HTTP ok status".
 * Returns true when it answered the request itself.
 */
export function createCors(origins: readonly string[], credentialHeaders: readonly string[] = []) {
  // A credential header configured instead of flyte-authorization must pass preflights too.
  const allowHeaders = [...new Set([...ALLOW_HEADERS, ...credentialHeaders])].join(", ");
  const enabled = origins.length > 0;
  const any = origins.includes("*");
  const listed = new Set(origins.filter((o) => o !== "*"));

  return function applyCors(req: Req, res: Res): boolean {
    if (enabled) varyOnOrigin(res);
    const origin = req.headers.origin;
    const preflight = req.method === "OPTIONS" && typeof origin === "string" && req.headers["access-control-request-method"] !== undefined;
    const allowed = typeof origin === "string" && (listed.has(origin) || (any && origin !== "null"));
    if (!allowed) {
      if (!preflight) return false;
      res.statusCode = 204;
      res.end();
      return true;
    }
    if (listed.has(origin)) {
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("access-control-allow-credentials", "true");
    } else {
      res.setHeader("access-control-allow-origin", "*");
    }
    res.setHeader("access-control-expose-headers", EXPOSE_HEADERS);
    if (preflight) {
      res.setHeader("access-control-allow-methods", ALLOW_METHODS);
      res.setHeader("access-control-allow-headers", allowHeaders);
      res.setHeader("access-control-max-age", "7200");
      res.statusCode = 204;
      res.end();
      return true;
    }
    return false;
  };
}

/** Adds Origin to Vary, keeping what is there (set by hand: HTTP/2 responses of older Node 20 lack appendHeader). */
function varyOnOrigin(res: Res): void {
  const had = res.getHeader("vary");
  const list = had === undefined ? [] : String(had).split(",").map((v) => v.trim()).filter((v) => v !== "");
  if (!list.some((v) => v.toLowerCase() === "origin" || v === "*")) res.setHeader("vary", [...list, "Origin"].join(", "));
}
