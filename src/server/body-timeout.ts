import * as http2 from "node:http2";
import type { Req, Res } from "./http-types.js";

/**
 * Cuts off request bodies that stop arriving. It is inactivity, not total
 * duration: a signed upload of gigabytes may stream for as long as it keeps
 * sending, while a client trickling nothing (slowloris) loses its connection
 * after `timeoutMs`. Once the body is complete the watch ends, so a
 * server-streaming response (gRPC-Web Watch over HTTP/1.1) runs unbounded.
 *
 * A body must also average `minBytesPerSecond` over each window of
 * `timeoutMs`: a client sending a byte every few seconds is never inactive
 * for long, and without a minimum rate thousands of them (each on a
 * connection of its own) would fill the connection cap.
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
  const tooSlowMessage = `request body too slow: under ${minBytesPerSecond} bytes per second`;
  /** A rate check over a sliding window of ticks: feed it the byte count each tick. */
  const tooSlow = (): RateCheck => {
    // The byte counter at each of the last windowTicks + 1 ticks, oldest first.
    const samples: number[] = [];
    return {
      message: tooSlowMessage,
      restart: (seen) => void samples.splice(0, samples.length, seen),
      tick(seen) {
        samples.push(seen);
        if (samples.length > windowTicks + 1) samples.shift();
        return minBytesPerWindow > 0 && samples.length === windowTicks + 1 && seen - samples[0]! < minBytesPerWindow;
      },
    };
  };
  return function watchBody(req, res) {
    if ("stream" in req) return watchStream(req, res, req.stream, timeoutMs, tickMs, tooSlow);
    if (req.complete) return;
    // HTTP/1.1's parser reads the socket's handle directly (no "data" events to listen to),
    // so the socket's byte counter is the sign of life.
    const socket = req.socket;
    let last = socket.bytesRead;
    let lastAt = Date.now();
    const rate = tooSlow();
    rate.restart(last);
    // The watch lasts as long as the body, not the response: an answer sent before the body
    // is read (a 404, a refused signed PUT) leaves Node discarding the rest of the body on a
    // connection that stays open, and a trickle there must be cut like any other.
    const stop = () => {
      clearInterval(timer);
      socket.off("close", stop);
      req.off("end", stop);
    };
    const timer = setInterval(() => {
      if (req.complete || socket.destroyed) return stop();
      const now = Date.now();
      const seen = socket.bytesRead;
      // Bytes waiting in our own buffer mean the handler is the slow side, not the client.
      if (req.readableLength > 0) {
        last = seen;
        lastAt = now;
        rate.restart(seen);
        return;
      }
      if (rate.tick(seen)) {
        stop();
        return cut(req, res, undefined, rate.message);
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
    // A body read to its end (or dumped after an early answer) ends the watch at once: on a
    // keep-alive connection, waiting for the next tick would leave one "close" listener per
    // request on the socket, and a client sending many small requests a tick would pile them up.
    req.once("end", stop);
  };
}

interface RateCheck {
  readonly message: string;
  /** Starts the window over from this byte count (the server, not the client, was slow). */
  restart(seen: number): void;
  /** Adds this tick's byte count; true when the last full window brought too few bytes. */
  tick(seen: number): boolean;
}

/**
 * HTTP/2: the stream's own inactivity timer (refreshed by every frame read or
 * written on it); other streams of the session do not keep a stalled one
 * alive. The rate counts what the session hands the stream (its push), since
 * a "data" listener would take the body from the handler reading it.
 */
function watchStream(req: Req, res: Res, stream: http2.ServerHttp2Stream, timeoutMs: number, tickMs: number, tooSlow: () => RateCheck): void {
  let received = 0;
  const push = stream.push;
  stream.push = function countingPush(this: http2.ServerHttp2Stream, chunk: unknown, encoding?: BufferEncoding) {
    if (chunk instanceof Uint8Array) received += chunk.length;
    return push.call(this, chunk, encoding);
  };
  const rate = tooSlow();
  rate.restart(0);
  const stop = () => {
    clearInterval(timer);
    if (!stream.destroyed) stream.setTimeout(0);
    stream.push = push;
    stream.off("timeout", onTimeout);
    stream.off("close", stop);
  };
  const bodyDone = () => stream.destroyed || Boolean(stream.state.remoteClose);
  const onTimeout = () => {
    if (stream.destroyed) return;
    // The client has sent END_STREAM: the body is complete, whatever the response still does.
    if (bodyDone()) return void stream.setTimeout(0);
    if (req.readableLength > 0 || stream.readableLength > 0) return void stream.setTimeout(timeoutMs);
    stop();
    cut(req, res, stream);
  };
  const timer = setInterval(() => {
    if (bodyDone()) return stop();
    // Data waiting in our own buffers: the handler is the slow side.
    if (req.readableLength > 0 || stream.readableLength > 0) return rate.restart(received);
    if (rate.tick(received)) {
      stop();
      cut(req, res, stream, rate.message);
    }
  }, tickMs);
  timer.unref();
  stream.setTimeout(timeoutMs);
  stream.on("timeout", onTimeout);
  stream.once("close", stop);
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
