import type { UniversalServerResponse } from "@connectrpc/connect/protocol";

/**
 * connect 2.1.2 reports a request message that does not decode (malformed
 * protobuf, invalid UTF-8 in a string field, nesting beyond the recursion
 * limit or the stack) as INTERNAL "parse binary: ...", and for unary calls it
 * does so before any interceptor runs. It is the client's mistake: FlyteAdmin's
 * Go server says INVALID_ARGUMENT, and so do we. The framework offers no hook
 * into its binary serialization, so the failure is rewritten in the response,
 * in each protocol's own error encoding. Only this one message is touched.
 */
const PREFIX = "parse binary:";
const GRPC_INTERNAL = "13";
const GRPC_INVALID_ARGUMENT = "3";

export async function decodeFailuresAsInvalidArgument(res: UniversalServerResponse, contentType: string): Promise<UniversalServerResponse> {
  const ct = contentType.toLowerCase();
  if (ct.startsWith("application/grpc-web")) return mapBody(res, rewriteGrpcWebFrame);
  if (ct.startsWith("application/grpc")) return rewriteGrpcTrailer(res);
  if (ct.startsWith("application/connect+")) return mapBody(res, rewriteConnectEndStream);
  // Connect unary: the error is the whole JSON body, with an HTTP status.
  if (res.status === 500) return rewriteConnectUnary(res);
  return res;
}

const isDecodeFailure = (code: string | undefined, message: string | undefined) =>
  code === GRPC_INTERNAL && message !== undefined && safeDecode(message).startsWith(PREFIX);

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** gRPC: the status is in the trailers, set once the body is done (trailers-only responses included). */
function rewriteGrpcTrailer(res: UniversalServerResponse): UniversalServerResponse {
  const { body, trailer } = res;
  if (!body || !trailer) return res;
  return {
    ...res,
    body: (async function* () {
      yield* body;
      if (isDecodeFailure(trailer.get("grpc-status") ?? undefined, trailer.get("grpc-message") ?? undefined)) {
        trailer.set("grpc-status", GRPC_INVALID_ARGUMENT);
      }
    })(),
  };
}

function mapBody(res: UniversalServerResponse, rewrite: (chunk: Uint8Array) => Uint8Array): UniversalServerResponse {
  const body = res.body;
  if (!body) return res;
  return {
    ...res,
    body: (async function* () {
      for await (const chunk of body) yield rewrite(chunk);
    })(),
  };
}

/** One envelope per chunk (connect joins each envelope on its own): flags, length, data. */
function envelope(chunk: Uint8Array): { flags: number; data: Buffer } | undefined {
  if (chunk.length < 5) return undefined;
  const b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const length = b.readUInt32BE(1);
  return length === b.length - 5 ? { flags: b[0]!, data: b.subarray(5) } : undefined;
}

function frame(flags: number, data: Buffer): Uint8Array {
  const out = Buffer.alloc(5 + data.length);
  out[0] = flags;
  out.writeUInt32BE(data.length, 1);
  data.copy(out, 5);
  return out;
}

/** gRPC-Web: the status is in the trailer frame (flag 0x80) at the end of the body, as `name: value` lines. */
function rewriteGrpcWebFrame(chunk: Uint8Array): Uint8Array {
  const env = envelope(chunk);
  if (!env || env.flags !== 0x80) return chunk;
  const text = env.data.toString("latin1");
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*?)\\s*$`, "im").exec(text)?.[1];
  if (!isDecodeFailure(field("grpc-status"), field("grpc-message"))) return chunk;
  return frame(env.flags, Buffer.from(text.replace(/^(grpc-status:\s*)13\b/im, `$1${GRPC_INVALID_ARGUMENT}`), "latin1"));
}

/** Connect streaming: the error is in the end-of-stream message (flag 0x02), JSON. */
function rewriteConnectEndStream(chunk: Uint8Array): Uint8Array {
  const env = envelope(chunk);
  if (!env || env.flags !== 0x02) return chunk;
  const end = parseJson(env.data) as { error?: { code?: string; message?: string } } | undefined;
  if (end?.error?.code !== "internal" || !end.error.message?.startsWith(PREFIX)) return chunk;
  end.error.code = "invalid_argument";
  return frame(env.flags, Buffer.from(JSON.stringify(end)));
}

async function rewriteConnectUnary(res: UniversalServerResponse): Promise<UniversalServerResponse> {
  const { body, header } = res;
  if (!body || header?.has("content-encoding")) return res;
  // The status goes out before the body, so the (small) error body is read first.
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  const replay = { ...res, body: (async function* () { yield new Uint8Array(bytes); })() };
  const error = parseJson(bytes) as { code?: string; message?: string } | undefined;
  if (error?.code !== "internal" || !error.message?.startsWith(PREFIX)) return replay;
  error.code = "invalid_argument";
  const out = Buffer.from(JSON.stringify(error));
  const rewritten = new Headers(header);
  rewritten.set("content-length", String(out.length));
  return { ...res, status: 400, header: rewritten, body: (async function* () { yield new Uint8Array(out); })() };
}

function parseJson(data: Buffer): unknown {
  try {
    return JSON.parse(data.toString("utf8"));
  } catch {
    return undefined;
  }
}
