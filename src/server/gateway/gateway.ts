import type { DescMessage, DescService, MessageShape, Registry } from "@bufbuild/protobuf";
import { Code, type ConnectRouter, ConnectError, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import type { Req, Res } from "../http-types.js";
import { markProtocol } from "../interceptors.js";
import { BadRequest, buildRequest } from "./request.js";
import { encodeError, encodeMessage, encodingFor } from "./response.js";
import { matchRoute, routesOf } from "./routes.js";

export interface GatewayOptions {
  services: readonly DescService[];
  /** The same routes and interceptors RPC callers go through, so REST behaves identically. */
  routes: (router: ConnectRouter) => void;
  interceptors: Interceptor[];
  /** Detail message types the JSON error bodies can expand. */
  registry: Registry;
  maxBodyBytes: number;
}

// Request headers an RPC handler or interceptor may read, passed through to the in-process call.
const FORWARDED = ["authorization", "flyte-authorization", "x-request-id"];

type Call = (request: MessageShape<DescMessage>, options: { headers: Record<string, string> }) => Promise<MessageShape<DescMessage>>;

/**
 * FlyteAdmin's REST mapping (grpc-gateway) generated from the google.api.http
 * annotations: each request becomes an RPC made in-process through the
 * server's own router and interceptors. Returns false for paths no route has,
 * so other handlers can answer them.
 */
export function createGateway(options: GatewayOptions) {
  const routes = routesOf(options.services);
  // Outermost, so the observing interceptor logs and counts these calls as "rest".
  const interceptors = [markProtocol("rest"), ...options.interceptors];
  const transport = createRouterTransport(options.routes, { router: { interceptors } });
  const clients = new Map(options.services.map((s) => [s.typeName, createClient(s, transport) as unknown as Record<string, Call>]));

  return async function handle(req: Req, res: Res): Promise<boolean> {
    const url = new URL(req.url ?? "/", "http://gateway");
    const found = matchRoute(routes, req.method ?? "GET", url.pathname);
    if (found === "not-found") return false;
    const contentType = String(req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    const encoding = encodingFor(typeof req.headers.accept === "string" ? req.headers.accept : undefined, contentType);
    const fail = (err: ConnectError) => {
      const out = encodeError(err, encoding, options.registry);
      if (err.code === Code.Unauthenticated) res.setHeader("www-authenticate", err.rawMessage);
      res.statusCode = out.status;
      res.setHeader("content-type", out.type);
      res.end(out.body);
      return true;
    };
    if (found === "method-not-allowed") return fail(new ConnectError("Method Not Allowed", Code.Unimplemented));
    let body: Buffer;
    try {
      body = await readBody(req, options.maxBodyBytes);
    } catch (e) {
      return fail(ConnectError.from(e));
    }
    let message: MessageShape<DescMessage>;
    try {
      message = buildRequest(found.route, found.values, url.searchParams, body, contentType);
    } catch (e) {
      return fail(new ConnectError(e instanceof BadRequest ? e.message : String(e), Code.InvalidArgument));
    }
    const headers: Record<string, string> = {};
    for (const name of FORWARDED) {
      const value = req.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    // Where the caller reached us, for handlers that hand out URLs back to this server.
    headers["x-forwarded-host"] = String(req.headers["x-forwarded-host"] ?? req.headers.host ?? req.headers[":authority"] ?? "");
    headers["x-forwarded-proto"] = String(req.headers["x-forwarded-proto"] ?? ("encrypted" in req.socket && req.socket.encrypted ? "https" : "http"));
    try {
      const call = clients.get(found.route.service.typeName)![found.route.method.localName]!;
      const response = await call(message, { headers });
      const out = encodeMessage(found.route.method.output, response, encoding);
      res.statusCode = 200;
      res.setHeader("content-type", out.type);
      res.end(out.body);
    } catch (e) {
      fail(ConnectError.from(e));
    }
    return true;
  };
}

function readBody(req: Req, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new ConnectError(`message size ${size} is larger than configured readMaxBytes ${limit}`, Code.ResourceExhausted));
        req.removeAllListeners("data");
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
