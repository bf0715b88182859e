import type { Req, Res } from "../http-types.js";

// What the in-process Connect call adds on its own; no handler set these.
const PROTOCOL = new Set(["content-type", "content-length", "content-encoding", "accept-encoding"]);
const isProtocol = (name: string) => PROTOCOL.has(name) || name.startsWith("connect-") || name.startsWith("grpc-");

/** Go's textproto.CanonicalMIMEHeaderKey: each dash-separated word capitalised (`Grpc-Metadata-X-Request-Id`). */
const canonical = (name: string) =>
  name
    .split("-")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())
    .join("-");

// IdentityService.UserInfo's user headers, which FlyteAdmin's gateway writes as they are (a forward-response hook of its own).
const isPlain = (name: string) => name === "x-user-subject" || name.startsWith("x-user-claim-");

/**
 * Response metadata a handler or interceptor set, as grpc-gateway's default
 * outgoing matcher surfaces it: every key as a `Grpc-Metadata-<key>` header,
 * on successful and failed calls alike; the user headers of `/me` unprefixed.
 */
export function writeMetadata(res: Res, metadata: Headers | undefined): void {
  metadata?.forEach((value, key) => {
    if (isPlain(key)) res.setHeader(canonical(key), value);
    else if (!isProtocol(key)) res.appendHeader(canonical(`Grpc-Metadata-${key}`), value);
  });
}

/**
 * Ends a successful response. Trailers a handler set become `Grpc-Trailer-<key>`
 * HTTP trailers, declared in a `Trailer` header, but only for a client that
 * sent `TE: trailers` (RFC 7230 §4.1.2), as grpc-gateway does.
 */
export function endWithTrailers(req: Req, res: Res, body: Buffer | string, trailer: Headers | undefined): void {
  const te = req.headers.te;
  const fields: Record<string, string> = {};
  if (typeof te === "string" && te.toLowerCase().includes("trailers")) {
    trailer?.forEach((value, key) => {
      if (!isProtocol(key)) fields[canonical(`Grpc-Trailer-${key}`)] = value;
    });
  }
  const names = Object.keys(fields);
  if (names.length === 0) {
    res.end(body);
    return;
  }
  res.setHeader("trailer", names.join(", "));
  // HTTP/1.1 sends trailers only after a chunked body; HTTP/2 frames them itself and forbids the header.
  if (req.httpVersionMajor < 2) res.setHeader("transfer-encoding", "chunked");
  res.write(body);
  res.addTrailers(fields);
  res.end();
}
