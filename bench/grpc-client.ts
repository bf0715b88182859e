import { type ClientHttp2Session, connect, constants } from "node:http2";
import { create, type DescMethodUnary, fromBinary, type MessageInitShape, type MessageShape, toBinary } from "@bufbuild/protobuf";

/**
 * A lean gRPC client for load generation: unary calls as HTTP/2 streams on
 * one connection, the request framed by hand and the answer's status read
 * from the trailers. A full client stack (connect-node's, grpc-js) spends
 * about as much CPU per call as the server does, and on a 2-core machine
 * the load generator would then measure itself.
 */
export interface GrpcClient {
  /** Calls `method` and returns the encoded answer; a non-OK status rejects with its code and message. `extra` headers go with this call only. */
  raw<I extends DescMethodUnary>(method: I, input: MessageInitShape<I["input"]> | Uint8Array, extra?: Record<string, string>): Promise<Uint8Array>;
  /** Like raw, decoded. */
  call<I extends DescMethodUnary>(method: I, input: MessageInitShape<I["input"]>): Promise<MessageShape<I["output"]>>;
  close(): void;
}

export class GrpcError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(`grpc status ${status}: ${message}`);
  }
}

/** `headers` go with every call (a credential, for instance). */
export function grpcClient(url: string, headers: Record<string, string> = {}): GrpcClient {
  let session: ClientHttp2Session | undefined;
  const open = () => {
    if (session && !session.closed && !session.destroyed) return session;
    session = connect(url);
    session.on("error", () => undefined); // surfaces on the streams
    return session;
  };

  const raw = <I extends DescMethodUnary>(method: I, input: MessageInitShape<I["input"]> | Uint8Array, extra?: Record<string, string>): Promise<Uint8Array> => {
    const body = input instanceof Uint8Array ? input : toBinary(method.input, create(method.input, input));
    const frame = Buffer.allocUnsafe(5 + body.length);
    frame[0] = 0;
    frame.writeUInt32BE(body.length, 1);
    frame.set(body, 5);
    return new Promise((resolve, reject) => {
      const stream = open().request({
        [constants.HTTP2_HEADER_METHOD]: "POST",
        [constants.HTTP2_HEADER_PATH]: `/${method.parent.typeName}/${method.name}`,
        "content-type": "application/grpc+proto",
        te: "trailers",
        ...headers,
        ...extra,
      });
      const chunks: Buffer[] = [];
      let status: string | undefined;
      let message = "";
      const take = (h: Record<string, unknown>) => {
        if (h["grpc-status"] !== undefined) {
          status = String(h["grpc-status"]);
          message = decodeURIComponent(String(h["grpc-message"] ?? ""));
        }
      };
      stream.on("response", take); // a trailers-only answer carries the status here
      stream.on("trailers", take);
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("error", reject);
      stream.on("close", () => {
        if (status === undefined) return reject(new GrpcError(-1, `stream closed without a status (rst ${stream.rstCode})`));
        if (status !== "0") return reject(new GrpcError(Number(status), message));
        const all = Buffer.concat(chunks);
        // One length-prefixed message; compression is never negotiated.
        resolve(all.length >= 5 ? all.subarray(5, 5 + all.readUInt32BE(1)) : new Uint8Array());
      });
      stream.end(frame);
    });
  };

  return {
    raw,
    call: async (method, input) => fromBinary(method.output, await raw(method, input)) as never,
    close: () => session?.close(),
  };
}
