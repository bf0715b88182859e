import * as http2 from "node:http2";
import type { Req, Res } from "./http-types.js";

/**
 * Cuts off request bodies that stop arriving. It is inactivity, not total
 * duration: a signed upload of gigabytes may stream for as long as it keeps
 * sending, while a client trickling nothing (slowloris) loses its connection
 * after `timeoutMs`. Once the body is complete the watch ends, so a
 * server-streaming response (gRPC-Web Watch over HTTP/1.1) runs unbounded.
 *
 * Over HTTP/1.1, where every such client holds a connection of its own, a body
 * must also average `minBytesPerSecond` over each window of `timeoutMs`: a
 * client sending a byte every few seconds is never inactive for long, and
 * without a minimum rate thousands of them would fill the connection cap.
 * (An HTTP/2 trickle costs one stream of a session that the stream limit
 * already bounds.)
 *
 * A stalled request gets 408 (gRPC: DEADLINE_EXCEEDED, since gRPC clients read
 * a 408 as UNKNOWN) when nothing was answered yet; otherwise, and after the
 * answer, its HTTP/1.1 connection is destroyed or its HTTP/2 stream reset.
 */
export function createBodyTimeout(timeoutMs: number, minBytesPerSecond = 0): (req: Req, res: Res) => void {
  if (!(timeoutMs > 0)) return () => undefined;
  // Progress is sampled, so a body is cut between timeoutMs and 1.25 * timeoutMs after its last byte.
  const tickMs = Math.max(10, Math.floor(timeoutMs / 4));
  const windowTicks = Math.ceil(timeoutMs / tickMs);
  const minBytesPerWindow = (minBytesPerSecond * windowTicks * tickMs) / 1000;
  return function watchBody(req, res) {
    if ("stream" in req) return watchStream(req, res, req.stream, timeoutMs);
    if (req.complete) return;
    // HTTP/1.1's parser reads the socket's handle directly (no "data" events to listen to),
    // so the socket's byte counter is the sign of life.
    const socket = req.socket;
    let last = socket.bytesRead;
    let lastAt = Date.now();
    // The byte counter at each of the last windowTicks + 1 ticks, oldest first.
    const samples = [last];
    // The watch lasts as long as the body, not the response: an answer sent before the body
    // is read (a 404, a refused signed PUT) leaves Node discarding the rest of the body on a
    // connection that stays open, and a trickle there must be cut like any other.
    const stop = () => {
      clearInterval(timer);
      socket.off("close", stop);
    };
    const timer = setInterval(() => {
      if (req.complete || socket.destroyed) return stop();
      const now = Date.now();
      const seen = socket.bytesRead;
      // Bytes waiting in our own buffer mean the handler is the slow side, not the client.
      if (req.readableLength > 0) {
        last = seen;
        lastAt = now;
        samples.length = 0;
        samples.push(seen);
        return;
      }
      samples.push(seen);
      if (samples.length > windowTicks + 1) samples.shift();
      if (samples.length === windowTicks + 1 && seen - samples[0]! < minBytesPerWindow) {
        stop();
        return cut(req, res, undefined, `request body too slow: under ${minBytesPerSecond} bytes per second`);
      }
      if (seen !== last) {
        last = seen;
        lastAt = now;
        return;
      }
      if (now - lastAt < timeoutMs) return;
      stop();
      cut(req, res, undefined);
    }, tickMs);
    timer.unref();
    socket.once("close", stop);
  };
}

/**
 * HTTP/2: the stream's own inactivity timer (refreshed by every frame read or
 * written on it); other streams of the session do not keep a stalled one alive.
 */
function watchStream(req: Req, res: Res, stream: http2.ServerHttp2Stream, timeoutMs: number): void {
  const onTimeout = () => {
    if (stream.destroyed) return;
    // The client has sent END_STREAM: the body is complete, whatever the response still does.
    if (stream.state.remoteClose) return void stream.setTimeout(0);
    if (req.readableLength > 0 || stream.readableLength > 0) return void stream.setTimeout(timeoutMs);
    stream.off("timeout", onTimeout);
    cut(req, res, stream);
  };
  stream.setTimeout(timeoutMs);
  stream.on("timeout", onTimeout);
}

function cut(req: Req, res: Res, stream: http2.ServerHttp2Stream | undefined, message = "request body timed out: nothing was received for too long"): void {
  if (res.headersSent) {
    if (stream) stream.close(http2.constants.NGHTTP2_CANCEL);
    else req.socket.destroy();
    return;
  }
  const contentType = String(req.headers["content-type"] ?? "");
  // Over HTTP/1.1 the rest of the body would be read as the next request: the connection goes too.
  if (!stream) res.setHeader("connection", "close");
  const done = () => {
    if (stream) stream.close(http2.constants.NGHTTP2_NO_ERROR);
    else req.socket.destroy();
  };
  if (contentType.startsWith("application/grpc")) {
    // Trailers-only: the status in the only HEADERS frame, and no body. Text after the headers
    // would be read as a message frame (grpc-js reports a 1.7 GB message, RESOURCE_EXHAUSTED).
    // Headers set before end() (not writeHead) let Node send them with END_STREAM.
    res.statusCode = 200;
    res.setHeader("content-type", contentType);
    res.setHeader("grpc-status", "4");
    res.setHeader("grpc-message", encodeURIComponent(message));
    res.end(done);
    return;
  }
  res.writeHead(408, { "content-type": "text/plain; charset=utf-8" });
  res.end(message, done);
}
