import { Code, ConnectError, type ContextValues } from "@connectrpc/connect";
import type { UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";
import type { Req, Res } from "./http-types.js";

/** One RPC's Node request and response, as connect's universal handlers read and answer them. */
export interface NodeCall {
  request: UniversalServerRequest;
  /** Writes the handler's answer; resolves once it is handed to the socket. */
  respond(answer: UniversalServerResponse): Promise<void>;
}

/**
 * What connect-node's universalRequestFromNodeRequest and
 * universalResponseToNodeResponse do, at a fraction of their cost per call:
 * - the body is read with "data" events into a small queue instead of a
 *   Readable async iterator wrapped in an async generator (each of those
 *   allocates promises, listeners and end-of-stream watchers per chunk);
 * - the request's signal is aborted only when the call ends without its
 *   answer having been written (the client went away, a body timeout cut it
 *   off), never after every call: connect aborts its own per-call signal
 *   once the call is over, and a second abort only costs an AbortError with
 *   a captured stack;
 * - the answer is written without a promise and listeners per chunk unless
 *   the stream asks to wait (backpressure).
 * The universal request and response are connect's own types, so every
 * protocol, limit and error path stays connect's.
 */
export function createNodeCall(req: Req, res: Res, contextValues: ContextValues): NodeCall {
  const encrypted = "encrypted" in req.socket && req.socket.encrypted;
  // HTTP/1.0 may leave out Host; the URL is only informational for a POST, so such a call is still served.
  const authority = ("authority" in req ? req.authority : req.headers.host) ?? "localhost";
  const aborter = new AbortController();
  let answered = false;
  res.once("close", () => {
    // Once the whole answer is handed over there is nothing left to cancel.
    if (!answered) aborter.abort(closeReason(req));
  });
  const request: UniversalServerRequest = {
    httpVersion: req.httpVersion,
    method: req.method ?? "",
    url: new URL(req.url ?? "", `${encrypted ? "https" : "http"}://${authority}`).toString(),
    header: webHeaders(req.headers),
    body: bodyOf(req),
    signal: aborter.signal,
    contextValues,
  };
  const respond = async (answer: UniversalServerResponse): Promise<void> => {
    const it = answer.body?.[Symbol.asyncIterator]();
    let done = it === undefined;
    try {
      // The first chunk before the headers: the implementation may still add headers until then.
      let chunk = it ? await it.next() : undefined;
      if (res.headersSent || res.writableEnded) return; // answered already (a body timeout)
      res.writeHead(answer.status, nodeHeaders(answer.header));
      for (; chunk && chunk.done !== true; chunk = await it!.next()) {
        if (res.destroyed) throw new ConnectError("the client went away before the answer was written", Code.Aborted);
        if (!res.write(chunk.value)) await drained(res);
      }
      done = true;
      if (res.destroyed) throw new ConnectError("the client went away before the answer was written", Code.Aborted);
      if (answer.trailer) res.addTrailers(nodeHeaders(answer.trailer));
      answered = true;
      res.end();
    } catch (e) {
      // Tell the handler its answer could not be written, as connect-node does.
      if (!done) it?.throw?.(e).catch(() => undefined);
      done = true;
      throw res.destroyed ? ConnectError.from(e, Code.Aborted) : e;
    } finally {
      // An answer abandoned half-way: let the handler's pipeline finish (it aborts the call's signal).
      if (!done) it?.return?.().catch(() => undefined);
    }
  };
  return { request, respond };
}

// HTTP/2 reset codes and what a call cut off by one failed with (as connect-node maps them);
// NO_ERROR, STREAM_CLOSED and the rest read as the client cancelling.
const RESET_CODES = new Map<number, Code>([
  ...[1, 2, 3, 4, 6, 9, 10].map((rst) => [rst, Code.Internal] as const),
  [7, Code.Unavailable],
  [11, Code.ResourceExhausted],
  [12, Code.PermissionDenied],
  [13, Code.PermissionDenied],
]);

/** Why a call's signal aborts when its stream closed before the answer was written. */
function closeReason(req: Req): ConnectError {
  const rst = "stream" in req ? req.stream.rstCode : undefined;
  const code = rst === undefined ? undefined : RESET_CODES.get(rst);
  if (code !== undefined) return new ConnectError(`http/2 stream closed with error code 0x${rst!.toString(16)}`, code);
  return new ConnectError("the client closed the call", Code.Canceled);
}

/** The request body as connect reads it: chunks in arrival order, the stream paused while one waits. */
function bodyOf(req: Req): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]() {
      const queue: Uint8Array[] = [];
      let ended = false;
      let failed: unknown;
      let wake: (() => void) | undefined;
      const notify = () => {
        const w = wake;
        wake = undefined;
        w?.();
      };
      const onData = (chunk: Uint8Array) => {
        queue.push(chunk);
        req.pause();
        notify();
      };
      const onEnd = () => {
        ended = true;
        cleanup();
        notify();
      };
      const onError = (e: unknown) => {
        failed ??= e;
        cleanup();
        notify();
      };
      // Closed before its end: the client reset the stream or the connection went.
      const onClose = () => onError(new ConnectError("the request body ended before it was complete", Code.Canceled));
      const cleanup = () => {
        req.off("data", onData);
        req.off("end", onEnd);
        req.off("error", onError);
        req.off("close", onClose);
      };
      req.on("data", onData);
      req.on("end", onEnd);
      req.on("error", onError);
      req.on("close", onClose);
      const next = async (): Promise<IteratorResult<Uint8Array>> => {
        for (;;) {
          const chunk = queue.shift();
          if (chunk !== undefined) {
            if (queue.length === 0 && !ended) req.resume();
            return { done: false, value: chunk };
          }
          if (failed !== undefined) throw failed;
          if (ended) return { done: true, value: undefined };
          await new Promise<void>((resolve) => (wake = resolve));
        }
      };
      return {
        next,
        return: async () => {
          cleanup();
          // The rest of the body is not wanted; let it flow away instead of holding the stream.
          req.resume();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

function webHeaders(nodeHeaders: Req["headers"]): Headers {
  const header = new Headers();
  for (const k in nodeHeaders) {
    if (k.charCodeAt(0) === 58 /* ":" pseudo-header */) continue;
    const v = nodeHeaders[k];
    if (v === undefined) continue;
    if (typeof v === "string") header.append(k, v);
    else for (const e of v) header.append(k, e);
  }
  return header;
}

function nodeHeaders(init: UniversalServerResponse["header"]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (init === undefined) return out;
  const h = init instanceof Headers ? init : new Headers(init);
  h.forEach((value, key) => {
    out[key] = value;
  });
  const cookies = h.getSetCookie();
  if (cookies.length > 0) out["set-cookie"] = cookies;
  return out;
}

function drained(res: Res): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
