import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { packageRoot } from "../../src/paths.js";

/**
 * An independent gRPC stack: @grpc/grpc-js with the flyteidl .proto files
 * loaded at run time by @grpc/proto-loader (protobufjs), sharing no code with
 * the server's generated stubs.
 */
export function grpcJsAdminClient(address: string) {
  const root = packageRoot();
  const definition = protoLoader.loadSync("flyteidl/service/admin.proto", {
    includeDirs: [
      join(root, "node_modules/@flyteorg/flyteidl/protos"),
      join(root, "node_modules/google-proto-files"),
      join(root, "proto"),
    ],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: false,
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    flyteidl: { service: { AdminService: grpc.ServiceClientConstructor } };
  };
  const client = new pkg.flyteidl.service.AdminService(address, grpc.credentials.createInsecure());
  /** Calls a unary method by its proto name; rejects with the grpc-js ServiceError. */
  const call = (method: string, request: object): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const fn = (client as unknown as Record<string, Function>)[method];
      if (!fn) throw new Error(`no method ${method}`);
      fn.call(client, request, (err: grpc.ServiceError | null, res: Record<string, unknown>) => (err ? reject(err) : resolve(res)));
    });
  /** Like call, with metadata (a credential, for instance). */
  const callWith = (method: string, request: object, metadata: grpc.Metadata): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const fn = (client as unknown as Record<string, Function>)[method];
      if (!fn) throw new Error(`no method ${method}`);
      fn.call(client, request, metadata, (err: grpc.ServiceError | null, res: Record<string, unknown>) => (err ? reject(err) : resolve(res)));
    });
  return { call, callWith, close: () => client.close() };
}
