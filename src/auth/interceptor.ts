import type { Interceptor } from "@connectrpc/connect";
import { protocolKey } from "../server/interceptors.js";
import type { CallInfo } from "./authenticate.js";
import { type Identity, identityKey } from "./identity.js";

/**
 * Services callable without a credential: what a client asks before it has
 * one (AuthMetadataService), and health and reflection, which FlyteAdmin's
 * Go clients and ops tools call bare (health is public here, unlike in
 * FlyteAdmin, where the Go client only gets through by authenticating on
 * UNAUTHENTICATED).
 */
export const PUBLIC_SERVICES: ReadonlySet<string> = new Set([
  "flyteidl.service.AuthMetadataService",
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
]);

/**
 * The one authentication interceptor, for every protocol: gRPC, gRPC-Web and
 * Connect calls, and REST calls, which the gateway makes in-process through
 * the same interceptors with the caller's credential headers (it marks them
 * "rest", which decides whether disableForHttp or disableForGrpc applies).
 * Sets the caller's identity for the handlers (principalOf).
 */
export function createAuthInterceptor(authenticate: (call: CallInfo, where: string) => Promise<Identity | undefined>): Interceptor {
  return (next) => async (req) => {
    if (PUBLIC_SERVICES.has(req.service.typeName)) return next(req);
    const protocol = req.contextValues.get(protocolKey) === "rest" ? "http" : "grpc";
    const identity = await authenticate({ protocol, header: (name) => req.header.get(name) }, req.method.name);
    if (identity) req.contextValues.set(identityKey, identity);
    return next(req);
  };
}
