import { create } from "@bufbuild/protobuf";
import { type CompiledTask, CompiledTaskSchema } from "../../gen/flyteidl/core/compiler_pb.js";
import type { TaskTemplate } from "../../gen/flyteidl/core/tasks_pb.js";
import type { CompileError } from "./compiler/compile-errors.js";
import { compileErrors } from "./compiler/error-constructors.js";
import { dns1123LabelErrors } from "./k8s-names.js";
import { parseQuantity } from "./quantity.js";
import { podContainers } from "./task-validation.js";
import { Resources_ResourceName as Name } from "../../gen/flyteidl/core/tasks_pb.js";

/**
 * flytepropeller's CompileTask: container tasks with inputs or outputs need a
 * command or args, an image, and parseable resource values; pod tasks need
 * DNS-1123 container names. The compiled task is the template itself.
 */
export function compileTask(template: TaskTemplate): { compiled: CompiledTask } | { errors: CompileError[] } {
  const errors: CompileError[] = [];
  const target = template.target;
  if (target.case === "container") {
    const c = target.value;
    const io = template.interface;
    const hasIo = Object.keys(io?.inputs?.variables ?? {}).length > 0 || Object.keys(io?.outputs?.variables ?? {}).length > 0;
    if (hasIo && c.command.length === 0 && c.args.length === 0) errors.push(compileErrors.valueRequired("container", "command"));
    if (c.image === "") errors.push(compileErrors.valueRequired("container", "image"));
    for (const entry of [...(c.resources?.requests ?? []), ...(c.resources?.limits ?? [])]) {
      if ("error" in parseQuantity(entry.value)) errors.push(compileErrors.unrecognizedValue(`resources.${Name[entry.name]}`, entry.value));
    }
  } else if (target.case === "k8sPod" && target.value.podSpec) {
    for (const c of podContainers(target.value.podSpec)) {
      if (dns1123LabelErrors(typeof c.name === "string" ? c.name : "").length > 0) {
        errors.push(compileErrors.invalidValue("root", "k8s pod spec container name"));
      }
    }
  }
  return errors.length > 0 ? { errors } : { compiled: create(CompiledTaskSchema, { template }) };
}
