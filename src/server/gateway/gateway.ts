import type { DescMessage, DescMethodUnary, DescService, MessageShape, Registry } from "@bufbuild/protobuf";
import { Code, type ConnectRouter, ConnectError, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { EmptySchema } from "@bufbuild/protobuf/wkt";
import type { Req, Res } from "../http-types.js";
import { markProtocol } from "../interceptors.js";
import { endWithTrailers, writeMetadata } from "./metadata.js";
import { openApiDocument } from "./openapi.js";
import { parseQuery } from "./query.js";
import { BadRequest, buildRequest } from "./request.js";
import { encodeError, encodeMessage, encodingFor } from "./response.js";
import { matchRoute, routesOf } from "./routes.js";
import { BINARY_READ_OPTIONS, JSON_READ_OPTIONS } from "../../core/proto-limits.js";
import { createWriteHold, isHeavyCall, type WriteHold } from "../load-shedder.js";

export interface GatewayOptions {
  services: readonly DescService[];
  /** The same routes and interceptors RPC callers go through, so REST behaves identically. */
  routes: (router: ConnectRouter) => void;
  interceptors: Interceptor[];
  /** Detail message types the JSON error bodies can expand. */
  registry: Registry;
  maxBodyBytes: number;
  /** Request headers passed on to the in-process call besides the usual ones: a configured credential header. */
  forwardHeaders?: readonly string[];
  /** Registers where a heavy call's slot waits until the REST answer is written (src/server/load-shedder.ts). */
  holdHeader?: (hold: WriteHold) => { header: [string, string]; done(): void };
}

// Request headers an RPC handler or interceptor may read, passed through to the in-process call;
// X-Forwarded-Host/-Proto are where the caller reached us, as the server's edge decided them (app.ts).
const FORWARDED = ["authorization", "flyte-authorization", "x-request-id", "x-forwarded-host", "x-forwarded-proto"];

/**
 * FlyteAdmin's REST mapping (grpc-gateway) generated from the google.api.http
 * annotations: each request becomes an RPC made in-process through the
 * server's own router and interceptors. Returns false for paths no route has,
 * so other handlers can answer them.
 */
export function createGateway(options: GatewayOptions) {
  const routes = routesOf(options.services);
  const forwarded = [...new Set([...FORWARDED, ...(options.forwardHeaders ?? [])])];
  // Outermost, so the observing interceptor logs and counts these calls as "rest".
  const interceptors = [markProtocol("rest"), ...options.interceptors];
  // The in-process hop encodes and decodes the message again: with the server's read limits, or a
  // request the gateway accepted would be refused here.
  const transport = createRouterTransport(options.routes, {
    router: { interceptors, binaryOptions: BINARY_READ_OPTIONS, jsonOptions: JSON_READ_OPTIONS },
    transport: { binaryOptions: BINARY_READ_OPTIONS, jsonOptions: JSON_READ_OPTIONS },
  });
  // /api/v1/openapi, built from the same services and routes on first request.
  let openapi: string | undefined;

  return async function handle(req: Req, res: Res): Promise<boolean> {
    const url = new URL(req.url ?? "/", "http://gateway");
    if (url.pathname === "/api/v1/openapi") {
      // FlyteAdmin answers this path on any method.
      openapi ??= JSON.stringify(openApiDocument(options.services, routes));
      res.statusCode = 200;
      res.setHeader("content-type", "application/json");
      res.end(openapi);
      return true;
    }
    // grpc-gateway's "path length fallback": a POST of exactly this content type may stand in for a GET
    // whose query string would be too long; only then is X-HTTP-Method-Override honoured.
    const formPost = req.method === "POST" && req.headers["content-type"] === "application/x-www-form-urlencoded";
    const override = formPost ? String(req.headers["x-http-method-override"] ?? "").toUpperCase() : "";
    const verb = override || (req.method ?? "GET");
    let found = matchRoute(routes, verb, url.pathname);
    let fromForm = override !== "";
    // An override to POST is still a form POST, so it may still fall back.
    if (found === "method-not-allowed" && formPost && verb === "POST") {
      // grpc-gateway takes whichever other route it meets first; a GET, when there is one, is the deterministic choice.
      const asGet = matchRoute(routes, "GET", url.pathname);
      if (asGet !== "not-found" && asGet !== "method-not-allowed") [found, fromForm] = [asGet, true];
    }
    if (found === "not-found") return false;
    const contentType = String(req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    const encoding = encodingFor(typeof req.headers.accept === "string" ? req.headers.accept : undefined, contentType);
    const fail = (err: ConnectError) => {
      const out = encodeError(err, encoding, options.registry);
      writeMetadata(res, err.metadata);
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
      // Form fields come before the URL's own parameters, as Go's Request.ParseForm lists them;
      // the form is the body, so a body route then reads an empty one.
      const rawQuery = (req.url ?? "").includes("?") ? req.url!.slice(req.url!.indexOf("?") + 1) : "";
      const query = found.route.body === "" || fromForm ? parseQuery(rawQuery) : new URLSearchParams();
      if (fromForm) {
        const form = parseQuery(body.toString("utf8"));
        query.forEach((v, k) => form.append(k, v));
        message = buildRequest(found.route, found.values, form, Buffer.alloc(0), contentType);
      } else message = buildRequest(found.route, found.values, query, body, contentType);
    } catch (e) {
      return fail(new ConnectError(e instanceof BadRequest ? e.message : String(e), Code.InvalidArgument));
    }
    const headers: Record<string, string> = {};
    for (const name of forwarded) {
      const value = req.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    // A heavy call keeps its slot until this answer has left (or the client is gone).
    const registered = isHeavyCall(found.route.method) ? holdUntilWritten(res, options.holdHeader) : undefined;
    if (registered) headers[registered.header[0]] = registered.header[1];
    try {
      // A binary answer is read as google.protobuf.Empty, whose unknown fields toBinary writes back
      // verbatim: the handler's bytes pass through, not decoded into objects and encoded again.
      const rpc = found.route.method as DescMethodUnary;
      const method: DescMethodUnary = encoding === "proto" ? { ...rpc, output: EmptySchema } : rpc;
      // A client that goes away cancels the call: it leaves the heavy-call queue, and handlers stop.
      const gone = new AbortController();
      const onClose = () => res.writableFinished || gone.abort();
      res.once("close", onClose);
      const response = await transport.unary(method, gone.signal, undefined, headers, message, undefined).finally(() => {
        res.off("close", onClose);
        registered?.done();
      });
      const out = encodeMessage(method.output, response.message, encoding);
      const [header, trailer] = [response.header, response.trailer];
      res.statusCode = 200;
      res.setHeader("content-type", out.type);
      writeMetadata(res, header);
      endWithTrailers(req, res, out.body, trailer);
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

/** Registers a hold given back when `res` finishes or closes, under a header for the in-process call. */
function holdUntilWritten(res: Res, holdHeader: GatewayOptions["holdHeader"]) {
  if (!holdHeader) return undefined;
  const hold = createWriteHold(10_000);
  res.once("finish", hold.written);
  res.once("close", hold.written);
  return holdHeader(hold);
}
