import { randomUUID } from "node:crypto";
import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "../logger.js";
import { isUnexpected, toConnectError } from "./errors.js";

/** The id of the current call, also sent back as the `x-request-id` response header. */
export const requestIdKey = createContextKey<string>("", { description: "request id" });

/**
 * Set by callers that make the RPC on a client's behalf in-process (the REST
 * gateway says "rest"); the content type would only show their own transport.
 */
export const protocolKey = createContextKey<string>("", { description: "protocol the client used" });

/** Hears about every finished call; the metrics registry counts and times them. */
export interface RpcObserver {
  finished(call: { procedure: string; protocol: string; code: string; seconds: number }): void;
}

/** An interceptor that records the protocol an in-process caller received the call on. */
export function markProtocol(protocol: string): Interceptor {
  return (next) => (req) => {
    req.contextValues.set(protocolKey, protocol);
    return next(req);
  };
}

/** The wire protocol a call arrived on, from its content type. */
export function protocolOf(contentType: string | null): string {
  const ct = contentType ?? "";
  if (ct.startsWith("application/grpc-web")) return "grpc-web";
  if (ct.startsWith("application/grpc")) return "grpc";
  return "connect";
}

/**
 * Outermost interceptor: gives the call a request id, maps every failure to
 * its wire error (src/server/errors.ts) and writes one log line per call with
 * procedure, protocol, code and duration. Unexpected failures are logged with
 * their stack under the same request id the client sees.
 */
export function createObservingInterceptor(logger: Logger, observer?: RpcObserver): Interceptor {
  return (next) => async (req) => {
    const requestId = req.header.get("x-request-id") || randomUUID();
    req.contextValues.set(requestIdKey, requestId);
    const started = performance.now();
    const procedure = `${req.service.typeName}/${req.method.name}`;
    const protocol = req.contextValues.get(protocolKey) || protocolOf(req.header.get("content-type"));
    const done = (code: string) => {
      const durationMs = performance.now() - started;
      observer?.finished({ procedure: `/${procedure}`, protocol, code, seconds: durationMs / 1000 });
      return { procedure, protocol, requestId, durationMs: Math.round(durationMs * 1000) / 1000, code };
    };
    try {
      const res = await next(req);
      res.header.set("x-request-id", requestId);
      logger.info("rpc", done("ok"));
      return res;
    } catch (e) {
      const err = toConnectError(e, requestId);
      err.metadata.set("x-request-id", requestId);
      if (isUnexpected(e)) {
        logger.error("rpc failed unexpectedly", { ...done(codeName(err)), error: String((e as Error)?.stack ?? e) });
      } else {
        logger.info("rpc", { ...done(codeName(err)), message: err.rawMessage });
      }
      throw err;
    }
  };
}

/** The code as gRPC spells it in lower case: `invalid_argument`, `not_found`, ... */
const codeName = (err: ConnectError) => Code[err.code].replace(/[A-Z]/g, (c, i: number) => (i ? "_" : "") + c).toLowerCase();
