// A reference server with only grpc.health.v1.Health/Check, run as a child
// process by the bench (bench/floor.ts): what a gRPC unary call costs in a
// framework alone, without any of this project's code.
//
//   node dist/bench/floor-server.js connect|grpc-js      (built by `npm run build`)
//
// It listens on a free loopback port and prints `listening <port>` on stdout.
import * as http2 from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import {
  Health,
  type HealthCheckRequest,
  HealthCheckRequestSchema,
  type HealthCheckResponse,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as Status,
} from "../gen/grpc/health/v1/health_pb.js";

export const FLOOR_KINDS = ["connect", "grpc-js"] as const;
export type FloorKind = (typeof FLOOR_KINDS)[number];

const answer = (service: string): HealthCheckResponse => create(HealthCheckResponseSchema, { status: service === "missing" ? Status.SERVICE_UNKNOWN : Status.SERVING });

/** connect-node as its documentation mounts it: connectNodeAdapter on a cleartext HTTP/2 server, default options. */
function startConnect(): Promise<number> {
  const handler = connectNodeAdapter({
    routes: (router) => router.service(Health, { check: (req) => answer(req.service), list: () => ({}), watch: async function* () {} }),
  });
  const server = http2.createServer(handler);
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
}

/** @grpc/grpc-js with the same codec (protobuf-es), so only the frameworks differ. */
function startGrpcJs(): Promise<number> {
  const check: grpc.MethodDefinition<HealthCheckRequest, HealthCheckResponse> = {
    path: `/${Health.typeName}/${Health.method.check.name}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: (m) => Buffer.from(toBinary(HealthCheckRequestSchema, m)),
    requestDeserialize: (b) => fromBinary(HealthCheckRequestSchema, b),
    responseSerialize: (m) => Buffer.from(toBinary(HealthCheckResponseSchema, m)),
    responseDeserialize: (b) => fromBinary(HealthCheckResponseSchema, b),
  };
  const server = new grpc.Server();
  server.addService({ check } as grpc.ServiceDefinition, {
    check: (call: grpc.ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>, done: grpc.sendUnaryData<HealthCheckResponse>) =>
      done(null, answer(call.request.service)),
  });
  return new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
}

async function main() {
  const kind = process.argv[2];
  if (kind !== "connect" && kind !== "grpc-js") throw new Error(`usage: floor-server.ts ${FLOOR_KINDS.join("|")}`);
  const port = kind === "connect" ? await startConnect() : await startGrpcJs();
  process.stdout.write(`listening ${port}\n`);
  // The parent ends this process (an exit, not the signal's default, so --cpu-prof writes its
  // profile); it also goes when the parent's pipe closes.
  process.once("SIGTERM", () => process.exit(0));
  process.stdin.resume();
  process.stdin.on("end", () => process.exit(0));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    process.stderr.write(`${String((e as Error)?.stack ?? e)}\n`);
    process.exit(1);
  });
}
