/**
 * One unary gRPC-Web call (binary format) made with fetch and nothing else: request bytes in,
 * the answer's message bytes out. It serves calls sent before the app's transport exists, so it
 * never throws and never reports: anything but an OK status with exactly one uncompressed message
 * (a network error, an HTTP error, a gRPC error, a malformed body) is `undefined`, and the caller
 * makes the call again through the transport, which reports it as it reports any other.
 */
export async function grpcWebUnary(
  url: string,
  request: Uint8Array,
  options: { fetch: typeof fetch; timeoutMs: number },
): Promise<Uint8Array | undefined> {
  try {
    const body = new Uint8Array(5 + request.length);
    new DataView(body.buffer).setUint32(1, request.length);
    body.set(request, 5);
    const response = await options.fetch(url, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1", "grpc-timeout": `${options.timeoutMs}m` },
      body,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    if (!response.ok) return undefined;
    return answerOf(new Uint8Array(await response.arrayBuffer()), response.headers.get("grpc-status"));
  } catch {
    return undefined;
  }
}

const TRAILER = 0x80;

/**
 * The message of a gRPC-Web response body: data frames (flag 0) and one trailer frame (flag 0x80)
 * holding `grpc-status`; a trailers-only answer carries the status in its headers instead.
 */
export function answerOf(body: Uint8Array, headerStatus: string | null): Uint8Array | undefined {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const messages: Uint8Array[] = [];
  let status = headerStatus;
  for (let at = 0; at < body.length; ) {
    if (at + 5 > body.length) return undefined;
    const flags = body[at]!;
    const end = at + 5 + view.getUint32(at + 1);
    if (end > body.length) return undefined;
    const frame = body.subarray(at + 5, end);
    if (flags === TRAILER) status = /^grpc-status:\s*(\d+)\s*$/im.exec(new TextDecoder().decode(frame))?.[1] ?? null;
    else if (flags === 0) messages.push(frame);
    // Compressed frames (flag 1) are never asked for: no grpc-accept-encoding is sent.
    else return undefined;
    at = end;
  }
  return status === "0" && messages.length === 1 ? messages[0] : undefined;
}
