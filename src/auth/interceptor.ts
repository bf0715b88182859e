import type { Interceptor } from "@connectrpc/connect";
import { isPublicRpc } from "../core/rbac-rules.js";
import { protocolKey } from "../server/interceptors.js";
import type { CallInfo } from "./authenticate.js";
import { type Identity, identityKey } from "./identity.js";

/**
 * The one authentication interceptor, for every protocol: gRPC, gRPC-Web and
 * Connect calls, and REST calls, which the gateway makes in-process through
 * the same interceptors with the caller's credential headers (it marks them
 * "rest", which decides whether disableForHttp or disableForGrpc applies).
 * Sets the caller's identity for the handlers (principalOf).
 */
export function createAuthInterceptor(authenticate: (call: CallInfo, where: string) => Promise<Identity | undefined>): Interceptor {
  return (next) => async (req) => {
    // Public: what a client asks before it has a credential (AuthMetadataService), and health and
    // reflection, which Go clients and ops tools call bare (health needs a token in FlyteAdmin; D5).
    if (isPublicRpc(req.service.typeName, req.method.localName)) return next(req);
    const protocol = req.contextValues.get(protocolKey) === "rest" ? "http" : "grpc";
    const identity = await authenticate({ protocol, header: (name) => req.header.get(name) }, req.method.name);
    if (identity) req.contextValues.set(identityKey, identity);
    return next(req);
  };
}
