import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import type * as stream from "node:stream";
import type { AddressInfo } from "node:net";
import { createBodyTimeout } from "./body-timeout.js";
import type { NodeHandler } from "./http-types.js";

// A cleartext HTTP/2 connection with prior knowledge (gRPC over h2c) opens with
// this fixed 24-byte preface; an HTTP/1.x request never does.
const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export interface ListenerOptions {
  /** PEM certificate and key: serve TLS, HTTP/2 or HTTP/1.1 chosen by ALPN. */
  tls?: { cert: Buffer; key: Buffer } | undefined;
  /** Time a client has to send its first bytes / request headers. */
  headersTimeoutMs: number;
  /** Idle keep-alive connections and HTTP/2 sessions are closed after this. */
  idleTimeoutMs: number;
  /** A request body that sends nothing for this long is cut off (0: never). */
  bodyTimeoutMs?: number | undefined;
  /** A request body slower than this on average over a body-timeout window is cut off (0: no minimum). */
  minBodyBytesPerSecond?: number | undefined;
  /** Connections held at once, HTTP/1.1, HTTP/2 and TLS together; more are refused at once (0: no cap). */
  maxConnections?: number | undefined;
}

/**
 * Concurrent streams one HTTP/2 connection may open. RFC 9113 asks for at least
 * 100 and many gRPC servers advertise 100; 250 leaves room for a busy
 * flytepropeller (its workers and event reporting share one connection) while
 * one connection can no longer queue thousands of calls: clients beyond it wait
 * on their side instead of here.
 */
export const MAX_CONCURRENT_STREAMS = 250;

// Refused connections that are still being told so (a 503 written, the client's bytes drained);
// beyond this many they are dropped without an answer, so refusing costs no more than a few sockets.
const MAX_REFUSING = 64;

export interface Listener {
  listen(port: number, host?: string): Promise<AddressInfo>;
  /**
   * Stops accepting, lets in-flight requests finish (HTTP/2 sessions get
   * GOAWAY, idle HTTP/1.1 sockets close), and after `graceMs` destroys what is
   * left. Resolves when every connection is gone.
   */
  close(graceMs: number): Promise<void>;
}

/**
 * One port for every protocol. Cleartext: Node's http2 server does not accept
 * HTTP/1.1 without TLS, so each new connection is sniffed and handed to an
 * HTTP/2 or an HTTP/1.1 server sharing one handler. TLS: one secure HTTP/2
 * server with HTTP/1.1 allowed, ALPN decides.
 */
export function createListener(handler: NodeHandler, options: ListenerOptions): Listener {
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  const h2Settings = { settings: { maxConcurrentStreams: MAX_CONCURRENT_STREAMS } };
  const watchBody = createBodyTimeout(options.bodyTimeoutMs ?? 0, options.minBodyBytesPerSecond ?? 0);
  const serve: NodeHandler = (req, res) => {
    watchBody(req, res);
    handler(req, res);
  };
  const maxConnections = options.maxConnections ?? 0;
  // Header timeouts are only enforced at this interval (Node's default is 30 s).
  const checkingInterval = Math.max(50, Math.min(1000, Math.floor(options.headersTimeoutMs / 2)));

  const trackSession = (server: http2.Http2Server | http2.Http2SecureServer) => {
    server.on("session", (s: http2.ServerHttp2Session) => {
      sessions.add(s);
      s.on("error", () => s.destroy());
      // A client that completes TLS but never sends the connection preface and SETTINGS gets
      // no longer than one that never sends HTTP/1.1 headers.
      const silent = setTimeout(() => s.destroy(), options.headersTimeoutMs);
      silent.unref();
      s.once("remoteSettings", () => clearTimeout(silent));
      s.once("close", () => {
        clearTimeout(silent);
        sessions.delete(s);
      });
    });
    // An idle session is reported with the session itself; close it gracefully (GOAWAY).
    server.setTimeout(options.idleTimeoutMs);
    server.on("timeout", (session: http2.ServerHttp2Session) => session.close());
  };

  let outer: net.Server;
  let h1: http.Server | undefined;
  if (options.tls) {
    const secure = http2.createSecureServer(
      // A client that never finishes its handshake is held no longer than one that never sends headers.
      { ...options.tls, allowHTTP1: true, handshakeTimeout: options.headersTimeoutMs, ...h2Settings },
      serve as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
    );
    // HTTP/1.1 over TLS: the same header deadline as cleartext, and no total request deadline
    // (Node's 300 s default would cut gRPC-Web server streams).
    Object.assign(secure, { headersTimeout: options.headersTimeoutMs, requestTimeout: 0, connectionsCheckingInterval: checkingInterval });
    trackSession(secure);
    secure.on("tlsClientError", (_err, socket) => socket.destroy());
    secure.on("clientError", answerClientError);
    // No answer is possible before a handshake, so over the cap a TLS connection is just closed.
    if (maxConnections > 0) secure.maxConnections = maxConnections;
    outer = secure;
  } else {
    const h2 = http2.createServer(h2Settings, serve as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
    trackSession(h2);
    const plain = http.createServer(
      {
        headersTimeout: options.headersTimeoutMs,
        requestTimeout: 0, // streams (gRPC-Web server streaming) may run long
        keepAliveTimeout: options.idleTimeoutMs,
        connectionsCheckingInterval: checkingInterval,
      },
      serve as unknown as http.RequestListener,
    );
    plain.on("clientError", answerClientError);
    h1 = plain;
    let refusing = 0;
    outer = net.createServer((socket) => {
      if (maxConnections > 0 && sockets.size >= maxConnections) {
        if (refusing >= MAX_REFUSING) return void socket.destroy();
        refusing++;
        socket.once("close", () => refusing--);
        return refuse(socket, Math.min(1000, options.headersTimeoutMs));
      }
      track(socket);
      sniff(socket, (isH2) => (isH2 ? h2 : plain).emit("connection", socket), options.headersTimeoutMs);
    });
    // http.Server starts tracking connections (idle close, header timeouts)
    // only on "listening", and it never listens itself: forward the event.
    outer.on("listening", () => plain.emit("listening"));
  }
  function track(socket: net.Socket) {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  }
  if (options.tls) outer.on("connection", track);

  return {
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        outer.once("error", reject);
        outer.listen(port, host, () => {
          outer.off("error", reject);
          resolve(outer.address() as AddressInfo);
        });
      }),
    close: (graceMs) =>
      new Promise<void>((resolve) => {
        let pending = 1;
        const done = () => --pending === 0 && resolve();
        outer.close(done);
        if (h1) {
          const server = h1;
          pending++;
          server.close(done);
          server.closeIdleConnections();
          // Keep-alive clients are told to go away after their current response.
          server.on("request", (_req, res) => res.setHeader("connection", "close"));
        }
        for (const s of sessions) s.close();
        const force = setTimeout(() => {
          for (const s of sessions) s.destroy();
          for (const socket of sockets) socket.destroy();
        }, graceMs);
        force.unref();
      }),
  };
}

/**
 * Answers what Node's HTTP/1.1 parser refuses with a status instead of a
 * reset: 431 for a header block over the 16 KiB limit, 414 when it is the
 * request line that does not end within it, 408 for headers that took longer
 * than the header deadline, 400 for the rest. The parser
 * reports both overflows as HPE_HEADER_OVERFLOW; the bytes it failed on tell
 * them apart (no line break after the method means the request line is long).
 */
function answerClientError(err: Error & { code?: string; rawPacket?: Buffer }, socket: stream.Duplex): void {
  // As Node's own handler: answer only when no response has started on this connection.
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) return void socket.destroy();
  let status = 400;
  let text = "Bad Request";
  if (err.code === "HPE_HEADER_OVERFLOW") {
    const head = err.rawPacket?.subarray(0, 16 * 1024).toString("latin1") ?? "";
    const longLine = /^[A-Z]+ /.test(head) && !head.includes("\n");
    [status, text] = longLine ? [414, "URI Too Long"] : [431, "Request Header Fields Too Large"];
  } else if (err.code === "HPE_URI_TOO_LONG") {
    [status, text] = [414, "URI Too Long"];
  } else if (err.code === "ERR_HTTP_REQUEST_TIMEOUT") {
    // Headers that did not arrive within headersTimeoutMs. With a clientError listener Node
    // answers nothing itself, so the 408 its own handler would send is sent here.
    [status, text] = [408, "Request Timeout"];
  } else if (err.code === "ECONNRESET") {
    // Nobody to answer.
    return void socket.destroy();
  }
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
  // The rest of what the client sends is not read: do not wait for it to stop.
  setTimeout(() => socket.destroy(), 1000).unref();
}

/**
 * Over the connection cap: an HTTP/1.1 client is told 503 with Connection:
 * close once its first bytes arrive (an immediate close reads as a network
 * fault); HTTP/2 prior knowledge and silence get a plain close.
 */
function refuse(socket: net.Socket, waitMs: number): void {
  const text = "server busy: too many connections, retry later";
  socket.on("error", () => socket.destroy());
  setTimeout(() => socket.destroy(), waitMs).unref();
  socket.once("data", (chunk: Buffer) => {
    if (chunk.subarray(0, 3).equals(H2_PREFACE.subarray(0, 3))) return void socket.destroy();
    socket.end(`HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
    // Keep draining until the client closes or the wait is over, so the answer is not lost to a reset.
    socket.resume();
  });
}

/**
 * Reads the first bytes of a connection without consuming them (paused mode,
 * then unshift: a flowing "data" listener would lose bytes that nghttp2 reads
 * from the handle directly) and reports whether it is HTTP/2 prior knowledge.
 * Until a server owns the socket, errors and silence are handled here.
 */
function sniff(socket: net.Socket, handOff: (isH2: boolean) => void, timeoutMs: number): void {
  let head = Buffer.alloc(0);
  const onReadable = () => {
    for (let chunk: Buffer | null; (chunk = socket.read() as Buffer | null) !== null; ) head = Buffer.concat([head, chunk]);
    const n = Math.min(head.length, H2_PREFACE.length);
    if (n === 0) return;
    const isH2 = head.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
    if (isH2 && head.length < H2_PREFACE.length) return; // a prefix of the preface: wait for the rest
    socket.off("readable", onReadable);
    socket.off("error", onError);
    socket.setTimeout(0);
    socket.unshift(head);
    handOff(isH2);
  };
  const onError = () => socket.destroy();
  socket.on("readable", onReadable);
  socket.on("error", onError);
  socket.setTimeout(timeoutMs, () => socket.destroy());
}
