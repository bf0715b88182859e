import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
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
}

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
  const h2Settings = { settings: { maxConcurrentStreams: 1000 } };

  const trackSession = (server: http2.Http2Server | http2.Http2SecureServer) => {
    server.on("session", (s: http2.ServerHttp2Session) => {
      sessions.add(s);
      s.on("error", () => s.destroy());
      s.once("close", () => sessions.delete(s));
    });
    // An idle session is reported with the session itself; close it gracefully (GOAWAY).
    server.setTimeout(options.idleTimeoutMs);
    server.on("timeout", (session: http2.ServerHttp2Session) => session.close());
  };

  let outer: net.Server;
  let h1: http.Server | undefined;
  if (options.tls) {
    const secure = http2.createSecureServer(
      { ...options.tls, allowHTTP1: true, ...h2Settings },
      handler as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
    );
    trackSession(secure);
    secure.on("tlsClientError", (_err, socket) => socket.destroy());
    outer = secure;
  } else {
    const h2 = http2.createServer(h2Settings, handler as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
    trackSession(h2);
    const plain = http.createServer(
      {
        headersTimeout: options.headersTimeoutMs,
        requestTimeout: 0, // streams (gRPC-Web server streaming) may run long
        keepAliveTimeout: options.idleTimeoutMs,
        // Header timeouts are only enforced at this interval (Node's default is 30 s).
        connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(options.headersTimeoutMs / 2))),
      },
      handler as unknown as http.RequestListener,
    );
    plain.on("clientError", (_err, socket) => socket.destroy());
    h1 = plain;
    outer = net.createServer((socket) => sniff(socket, (isH2) => (isH2 ? h2 : plain).emit("connection", socket), options.headersTimeoutMs));
    // http.Server starts tracking connections (idle close, header timeouts)
    // only on "listening", and it never listens itself: forward the event.
    outer.on("listening", () => plain.emit("listening"));
  }
  outer.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

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
