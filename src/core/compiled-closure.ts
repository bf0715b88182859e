import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import {
  type CompiledWorkflowClosure,
  CompiledWorkflowClosureSchema,
  CompiledTaskSchema,
} from "../../gen/flyteidl/core/compiler_pb.js";
import { type TaskTemplate, TaskTemplateSchema } from "../../gen/flyteidl/core/tasks_pb.js";
import { CanonicalText, canonicalText, digestOfStructure, structureDigest, structureJson } from "./digest.js";

/** A task template's encoding and canonical text, made once and reused by every closure holding that template. */
export interface EncodedTemplate {
  /** toBinary(TaskTemplateSchema, template) */
  readonly bytes: Uint8Array;
  /** canonicalText(TaskTemplateSchema, template) */
  readonly canonicalText: string;
}

/** The template's encoding and canonical text. */
export function encodeTemplate(template: TaskTemplate): EncodedTemplate {
  return { bytes: toBinary(TaskTemplateSchema, template), canonicalText: canonicalText(TaskTemplateSchema, template) };
}

const CLOSURE = CompiledWorkflowClosureSchema.field;
const COMPILED_TASK = CompiledTaskSchema.field;

/**
 * A compiled closure's encoding and its structure digest, the same bytes as
 * toBinary and the same digest as structureDigest, with the task templates
 * found in `known` (by object: that very template was encoded) put in from
 * their encodings instead of being encoded again. Task templates are most of
 * a closure and the same few are in every version of a workflow.
 *
 * This holds because an encoding is its fields' encodings one after another,
 * in field-number order with unknown fields last (as toBinary writes them:
 * primary, sub_workflows, then tasks, then launch_plans), and a
 * length-delimited field is its tag, its length and its payload; and a
 * canonical text writes each nested value on its own (digest.ts). Unknown
 * fields on the closure or a compiled task, which these parts do not place,
 * are left to toBinary and structureDigest.
 */
export function encodeCompiledClosure(
  closure: CompiledWorkflowClosure,
  known: ReadonlyMap<TaskTemplate, EncodedTemplate>,
): { bytes: Uint8Array; digest: Buffer } {
  if (closure.$unknown?.length || closure.tasks.some((t) => t.$unknown?.length)) {
    return { bytes: toBinary(CompiledWorkflowClosureSchema, closure), digest: structureDigest(CompiledWorkflowClosureSchema, closure) };
  }
  const encoded = closure.tasks.map((t) => t.template && (known.get(t.template) ?? encodeTemplate(t.template)));
  // Every field but the tasks, and those before the tasks apart from those after.
  const before = create(CompiledWorkflowClosureSchema, { primary: closure.primary, subWorkflows: closure.subWorkflows });
  const after = create(CompiledWorkflowClosureSchema, { launchPlans: closure.launchPlans });

  const w = new BinaryWriter();
  w.raw(toBinary(CompiledWorkflowClosureSchema, before));
  for (const e of encoded) {
    w.tag(CLOSURE.tasks.number, WireType.LengthDelimited).fork();
    if (e) w.tag(COMPILED_TASK.template.number, WireType.LengthDelimited).bytes(e.bytes);
    w.join();
  }
  w.raw(toBinary(CompiledWorkflowClosureSchema, after));

  // The JSON of everything but the tasks, then the tasks' texts in their place.
  const json = structureJson(CompiledWorkflowClosureSchema, create(CompiledWorkflowClosureSchema, { ...before, launchPlans: closure.launchPlans })) as Record<string, unknown>;
  if (encoded.length > 0) {
    json[CLOSURE.tasks.jsonName] = encoded.map((e) => (e ? { [COMPILED_TASK.template.jsonName]: new CanonicalText(e.canonicalText) } : {}));
  }
  return { bytes: w.finish(), digest: digestOfStructure(json) };
}
