import type { UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";

/**
 * `application/grpc-web-text`: gRPC-Web with base64 bodies, the default mode
 * of the official grpc-web JavaScript client. connect-node speaks only binary
 * gRPC-Web, so the translation happens around its handler, as Envoy's
 * grpc_web filter does it: the request body is decoded to binary frames, and
 * each response chunk is base64-encoded on its own (padded), which clients
 * decode as concatenated base64 groups.
 */
export function isGrpcWebText(contentType: string | null): boolean {
  const ct = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  return ct === "application/grpc-web-text" || ct === "application/grpc-web-text+proto";
}

/** Why a request body could not be translated; answered as a gRPC status. */
export class GrpcWebTextError extends Error {
  constructor(
    message: string,
    readonly grpcStatus: number,
  ) {
    super(message);
  }
}

const BASE64_GROUP = /^[A-Za-z0-9+/]{2}(?:==|[A-Za-z0-9+/]=|[A-Za-z0-9+/]{2})$/;

/**
 * Reads the whole base64 body (every method here takes a single request
 * message) and returns the request as binary gRPC-Web. The decoded size is
 * bounded by `maxBytes` plus the 5-byte frame header, before decoding.
 */
export async function decodeGrpcWebTextRequest(req: UniversalServerRequest, maxBytes: number): Promise<UniversalServerRequest> {
  const body = req.body as AsyncIterable<Uint8Array>;
  const maxChars = Math.ceil((maxBytes + 5) / 3) * 4;
  const chunks: string[] = [];
  let chars = 0;
  for await (const chunk of body) {
    const text = Buffer.from(chunk).toString("latin1").replace(/[\r\n\t ]/g, "");
    chars += text.length;
    if (chars > maxChars) {
      throw new GrpcWebTextError(`message size is larger than configured readMaxBytes ${maxBytes}`, 8 /* RESOURCE_EXHAUSTED */);
    }
    chunks.push(text);
  }
  const text = chunks.join("");
  if (text.length % 4 !== 0) throw new GrpcWebTextError("invalid grpc-web-text body: base64 length is not a multiple of 4", 3);
  // Groups are checked one by one: padding may end any group, since clients concatenate padded frames.
  const parts: Buffer[] = [];
  let run = 0;
  for (let i = 0; i < text.length; i += 4) {
    const group = text.slice(i, i + 4);
    if (!BASE64_GROUP.test(group)) throw new GrpcWebTextError(`invalid grpc-web-text body: bad base64 at offset ${i}`, 3);
    if (group.endsWith("=")) {
      parts.push(Buffer.from(text.slice(run, i + 4), "base64"));
      run = i + 4;
    }
  }
  parts.push(Buffer.from(text.slice(run), "base64"));
  const bytes = Buffer.concat(parts);
  const header = new Headers(req.header);
  header.set("content-type", "application/grpc-web+proto");
  header.delete("content-length");
  return {
    ...req,
    header,
    body: (async function* () {
      yield new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    })(),
  };
}

/** The binary gRPC-Web response as grpc-web-text: same status and headers, each body chunk base64 on its own. */
export function encodeGrpcWebTextResponse(res: UniversalServerResponse, contentType: string): UniversalServerResponse {
  const header = new Headers(res.header);
  if (header.has("content-type")) header.set("content-type", contentType);
  header.delete("content-length");
  const body = res.body;
  return {
    ...res,
    header,
    ...(body
      ? {
          body: (async function* () {
            for await (const chunk of body) yield new TextEncoder().encode(Buffer.from(chunk).toString("base64"));
          })(),
        }
      : {}),
  };
}

/** A status-only grpc-web-text answer: one trailer frame, base64-encoded, as connect writes gRPC-Web errors. */
export function grpcWebTextFailure(err: GrpcWebTextError, contentType: string): UniversalServerResponse {
  const trailer = Buffer.from(`grpc-status: ${err.grpcStatus}\r\ngrpc-message: ${encodeURIComponent(err.message)}\r\n`);
  const frame = Buffer.alloc(5 + trailer.length);
  frame[0] = 0x80;
  frame.writeUInt32BE(trailer.length, 1);
  trailer.copy(frame, 5);
  return {
    status: 200,
    header: new Headers({ "content-type": contentType }),
    body: (async function* () {
      yield new TextEncoder().encode(frame.toString("base64"));
    })(),
  };
}
