import { Code, type ConnectRouter, type ConnectRouterOptions, ConnectError, createConnectRouter, createContextValues } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import { decodeFailuresAsInvalidArgument } from "./decode-errors.js";
import { decodeGrpcWebTextRequest, encodeGrpcWebTextResponse, GrpcWebTextError, grpcWebTextFailure, isGrpcWebText } from "./grpc-web-text.js";
import type { NodeHandler, Req, Res } from "./http-types.js";
import { createNodeCall } from "./node-call.js";
import { createWriteHold, isHeavyCall, writeHoldKey } from "./load-shedder.js";

export interface RpcAdapterOptions extends ConnectRouterOptions {
  routes: (router: ConnectRouter) => void;
  /** Requests for paths that are not RPCs. */
  fallback: (req: Req, res: Res) => void;
  /** Largest request message, in bytes; also bounds decoded grpc-web-text bodies. */
  readMaxBytes: number;
  /**
   * Longest a heavy call's slot waits for its answer to be written (see
   * src/server/load-shedder.ts); a client that reads slowly keeps it that long.
   */
  writeHoldMs?: number;
  /** Hears about a response that could not be written for another reason than the client leaving. */
  onFailure(procedure: string, reason: unknown): void;
}

/**
 * connect's router handlers fed and answered as connect-node's adapter does
 * (src/server/node-call.ts, at less cost per call), with what it lacks in
 * front of and behind the handlers: `application/grpc-web-text` is translated to binary gRPC-Web and
 * back, and requests that do not decode are INVALID_ARGUMENT instead of
 * INTERNAL (src/server/decode-errors.ts). Paths and protocols are otherwise
 * exactly connect's.
 */
export function createRpcAdapter(options: RpcAdapterOptions): NodeHandler {
  const router = createConnectRouter({ ...options, acceptCompression: options.acceptCompression ?? [compressionGzip, compressionBrotli] });
  options.routes(router);
  const paths = new Map<string, UniversalHandler>(router.handlers.map((h) => [h.requestPath, h]));

  const serve = async (handler: UniversalHandler, req: Req, res: Res) => {
    const contextValues = createContextValues();
    if (isHeavyCall(handler.method)) {
      const hold = createWriteHold(options.writeHoldMs ?? 10_000);
      contextValues.set(writeHoldKey, hold);
      // The answer has left once the response finishes (or the client is gone). connect-node's
      // writer waits for an "end" event that Node's responses never emit, so its promise cannot tell.
      res.once("finish", hold.written);
      res.once("close", hold.written);
    }
    const call = createNodeCall(req, res, contextValues);
    let uReq = call.request;
    const contentType = uReq.header.get("content-type") ?? "";
    const text = isGrpcWebText(contentType);
    if (text) {
      try {
        uReq = await decodeGrpcWebTextRequest(uReq, options.readMaxBytes);
      } catch (e) {
        if (!(e instanceof GrpcWebTextError)) throw e;
        return call.respond(grpcWebTextFailure(e, contentType));
      }
    }
    let uRes = await decodeFailuresAsInvalidArgument(await handler(uReq), uReq.header.get("content-type") ?? "");
    if (text) uRes = encodeGrpcWebTextResponse(uRes, contentType.split(";")[0]!.trim());
    await call.respond(uRes);
  };

  return function handleRpc(req, res) {
    const handler = paths.get((req.url ?? "").split("?", 1)[0]!);
    if (!handler) return options.fallback(req, res);
    serve(handler, req, res).catch((reason: unknown) => {
      if (ConnectError.from(reason).code === Code.Aborted) return;
      options.onFailure(`${handler.service.typeName}/${handler.method.name}`, reason);
    });
  };
}
