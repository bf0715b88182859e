import type { DescFile, DescService } from "@bufbuild/protobuf";
import { nestedTypes } from "@bufbuild/protobuf/reflect";
import { file_flyteidl_admin_agent } from "../../../gen/flyteidl/admin/agent_pb.js";
import { file_flyteidl_core_workflow_closure } from "../../../gen/flyteidl/core/workflow_closure_pb.js";
import { file_flyteidl_datacatalog_datacatalog } from "../../../gen/flyteidl/datacatalog/datacatalog_pb.js";
import { file_flyteidl_service_external_plugin_service } from "../../../gen/flyteidl/service/external_plugin_service_pb.js";

/**
 * flyteidl files FlyteAdmin's document was generated together with although
 * no served RPC uses them, and types the generator itself knows: their names
 * lengthen some definition names (`flyteidladminTaskCreateRequest`, because
 * `flyteidl.service.TaskCreateRequest` exists), so they join the pool.
 */
const GENERATED_WITH = [file_flyteidl_admin_agent, file_flyteidl_core_workflow_closure, file_flyteidl_datacatalog_datacatalog, file_flyteidl_service_external_plugin_service];
const GENERATOR_TYPES = [".google.rpc.Status", ".grpc.gateway.protoc_gen_openapiv2.options.Schema"];

/**
 * Fully qualified names (`.flyteidl.admin.Task`) of every message, enum,
 * service and method in the services' files, the files they import and the
 * files above: the pool a definition name must be unique in.
 */
export function namePool(services: readonly DescService[]): string[] {
  const files = new Map<string, DescFile>();
  const visit = (file: DescFile) => {
    if (files.has(file.name)) return;
    files.set(file.name, file);
    file.dependencies.forEach(visit);
  };
  services.forEach((s) => visit(s.file));
  GENERATED_WITH.forEach(visit);
  const names = new Set(GENERATOR_TYPES);
  for (const file of files.values()) {
    for (const type of nestedTypes(file)) {
      if (type.kind === "extension") continue;
      names.add(`.${type.typeName}`);
      if (type.kind === "service") type.methods.forEach((m) => names.add(`.${type.typeName}.${m.name}`));
    }
  }
  return [...names];
}

/**
 * protoc-gen-openapiv2's "legacy" naming, as the generator FlyteAdmin's
 * admin.swagger.json came from applied it: the shortest trailing run of name
 * components that is unique in the pool, plus one more component, joined
 * without separator (`.flyteidl.admin.Task` -> `adminTask`,
 * `.flyteidl.core.ExecutionError.ErrorKind` -> `ExecutionErrorErrorKind`).
 */
export function definitionNames(pool: readonly string[]): Map<string, string> {
  const parts = pool.map((name) => name.split("."));
  // How many names end in each suffix, per suffix length.
  const counts = new Map<string, number>();
  for (const p of parts) {
    for (let depth = 1; depth <= p.length; depth++) {
      const key = `${depth}:${p.slice(p.length - depth).join(".")}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  const out = new Map<string, string>();
  pool.forEach((name, i) => {
    const p = parts[i]!;
    let depth = 1;
    while (depth < p.length && counts.get(`${depth}:${p.slice(p.length - depth).join(".")}`) !== 1) depth++;
    out.set(name, p.slice(Math.max(0, p.length - depth - 1)).join(""));
  });
  return out;
}
