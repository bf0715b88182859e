import { type DescFile, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import {
  ServerReflection,
  type ServerReflectionRequest,
  type ServerReflectionResponseSchema,
} from "../../gen/grpc/reflection/v1/reflection_pb.js";

type Response = MessageInitShape<typeof ServerReflectionResponseSchema>;

const NOT_FOUND = 5;
const UNIMPLEMENTED = 12;

/**
 * grpc.reflection.v1, answered from the descriptors embedded in the generated
 * code: list_services, file_by_filename and file_containing_symbol (messages,
 * enums, services, methods, extensions). Each file answer carries the file and
 * its transitive imports, imports first, so a client can build the schema in
 * one round trip. Extension queries are not supported by this server.
 */
export function registerReflection(router: ConnectRouter, files: readonly DescFile[], services: readonly string[]): void {
  const byName = new Map<string, DescFile>();
  const bySymbol = new Map<string, DescFile>();
  const index = (file: DescFile) => {
    if (byName.has(file.name + ".proto")) return;
    byName.set(file.name + ".proto", file);
    file.dependencies.forEach(index);
    const addMessage = (m: DescFile["messages"][number]) => {
      bySymbol.set(m.typeName, file);
      m.nestedMessages.forEach(addMessage);
      m.nestedEnums.forEach((e) => bySymbol.set(e.typeName, file));
      m.nestedExtensions.forEach((x) => bySymbol.set(x.typeName, file));
    };
    file.messages.forEach(addMessage);
    file.enums.forEach((e) => bySymbol.set(e.typeName, file));
    file.extensions.forEach((x) => bySymbol.set(x.typeName, file));
    for (const s of file.services) {
      bySymbol.set(s.typeName, file);
      for (const m of s.methods) bySymbol.set(`${s.typeName}.${m.name}`, file);
    }
  };
  files.forEach(index);

  const withImports = (file: DescFile): Uint8Array[] => {
    const ordered: DescFile[] = [];
    const seen = new Set<DescFile>();
    const walk = (f: DescFile) => {
      if (seen.has(f)) return;
      seen.add(f);
      f.dependencies.forEach(walk);
      ordered.push(f);
    };
    walk(file);
    return ordered.map((f) => toBinary(FileDescriptorProtoSchema, f.proto));
  };

  const answer = (req: ServerReflectionRequest): Response => {
    const base = { validHost: req.host, originalRequest: req };
    const error = (errorCode: number, errorMessage: string): Response => ({
      ...base,
      messageResponse: { case: "errorResponse", value: { errorCode, errorMessage } },
    });
    const fileAnswer = (file: DescFile | undefined, what: string): Response =>
      file
        ? { ...base, messageResponse: { case: "fileDescriptorResponse", value: { fileDescriptorProto: withImports(file) } } }
        : error(NOT_FOUND, `${what} not found`);
    const q = req.messageRequest;
    switch (q.case) {
      case "listServices":
        return { ...base, messageResponse: { case: "listServicesResponse", value: { service: services.map((name) => ({ name })) } } };
      case "fileByFilename":
        return fileAnswer(byName.get(q.value), `file ${q.value}`);
      case "fileContainingSymbol":
        return fileAnswer(bySymbol.get(q.value), `symbol ${q.value}`);
      default:
        return error(UNIMPLEMENTED, `${q.case ?? "empty"} requests are not supported`);
    }
  };

  router.service(ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) yield answer(req);
    },
  });
}
