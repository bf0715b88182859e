/**
 * Rendering of a container's command and args (engine-spec §4.2), as
 * flyteplugins' template package does it for the pod plugin: element by
 * element (argv, no shell), patterns case-insensitive with optional spaces
 * inside the braces and `.` or `$` before the name.
 */
import type { Literal, LiteralMap, Primitive, Scalar } from "../../../gen/flyteidl/core/literals_pb.js";
import { formatGoDuration, formatGoFloat, formatGoMsgpack, formatRfc3339 } from "./go-format.js";
import { decodeMsgpack } from "./msgpack-value.js";

export interface RenderValues {
  /** `D/inputs.pb` */
  input: string;
  /** `D` */
  inputPrefix: string;
  /** `O(a)` */
  outputPrefix: string;
  rawOutputDataPrefix: string;
  checkpointOutputPrefix: string;
  /** Empty when there is none: rendered as the two characters `""`. */
  prevCheckpointPrefix: string;
  /** Already sanitised (ids.ts retryUniqueKey). */
  perRetryUniqueKey: string;
  /** `D/task.pb`; `{{.taskTemplatePath}}` is left as is when absent (see usesTaskTemplatePath). */
  taskTemplatePath?: string;
  /** `<project>-<domain>` */
  namespace: string;
  /** The resolved inputs, for `{{.inputs.<name>}}`; absent or empty leaves those patterns as they are (as propeller does). */
  inputs?: LiteralMap;
}

export class RenderError extends Error {
  override name = "RenderError";
}

// RE2's \s is [\t\n\f\r ]; JavaScript's is wider, so spell it out.
const S = "[\\t\\n\\f\\r ]*";
const pattern = (name: string) => new RegExp(`\\{\\{${S}[.$]${name}${S}\\}\\}`, "gi");

const INPUT = pattern("Input");
const INPUT_PREFIX = pattern("InputPrefix");
const OUTPUT_PREFIX = pattern("OutputPrefix");
const RAW_OUTPUT_DATA_PREFIX = pattern("RawOutputDataPrefix");
const PER_RETRY_UNIQUE_KEY = pattern("PerRetryUniqueKey");
const TASK_TEMPLATE_PATH = pattern("TaskTemplatePath");
const PREV_CHECKPOINT_PREFIX = pattern("PrevCheckpointPrefix");
const CHECKPOINT_OUTPUT_PREFIX = pattern("CheckpointOutputPrefix");
const NAMESPACE = pattern("Namespace");
const INPUT_VAR = new RegExp(`\\{\\{${S}[.$]Inputs\\.([^}\\t\\n\\f\\r ]+)${S}\\}\\}`, "gi");

/** True when any entry refers to `{{.taskTemplatePath}}`, i.e. `D/task.pb` must be written before the task runs. */
export function usesTaskTemplatePath(args: readonly string[]): boolean {
  return args.some((a) => new RegExp(TASK_TEMPLATE_PATH.source, "i").test(a));
}

/** Replaces with a function so `$` in values is never read as a back-reference. */
function sub(text: string, re: RegExp, value: string): string {
  return text.replace(re, () => value);
}

function renderOne(template: string, values: RenderValues): string {
  let val = sub(template, INPUT, values.input);
  val = sub(val, OUTPUT_PREFIX, values.outputPrefix);
  val = sub(val, INPUT_PREFIX, values.inputPrefix);
  val = sub(val, RAW_OUTPUT_DATA_PREFIX, values.rawOutputDataPrefix);
  val = sub(val, PREV_CHECKPOINT_PREFIX, values.prevCheckpointPrefix === "" ? '""' : values.prevCheckpointPrefix);
  val = sub(val, CHECKPOINT_OUTPUT_PREFIX, values.checkpointOutputPrefix);
  val = sub(val, PER_RETRY_UNIQUE_KEY, values.perRetryUniqueKey);
  if (values.taskTemplatePath !== undefined) val = sub(val, TASK_TEMPLATE_PATH, values.taskTemplatePath);
  val = sub(val, NAMESPACE, values.namespace);

  const literals = values.inputs?.literals;
  if (!literals || Object.keys(literals).length === 0) return val;
  const errors: string[] = [];
  val = val.replace(INPUT_VAR, (match: string, name: string) => {
    const literal = Object.hasOwn(literals, name) ? literals[name] : undefined;
    if (!literal) {
      errors.push(`input template [${match}]: requested input is not found [${name}]`);
      return "";
    }
    try {
      return literalArgText(literal);
    } catch (err) {
      errors.push(`input template [${match}]: failed to bind a value to inputName [${name}]: ${(err as Error).message}`);
      return "";
    }
  });
  if (errors.length > 0) throw new RenderError(errors.join("; "));
  return val;
}

/** Renders every entry (empty entries kept, e.g. map tasks' `vars ""`); throws RenderError. */
export function renderArgs(args: readonly string[], values: RenderValues): string[] {
  return args.map((a) => renderOne(a, values));
}

function primitiveText(p: Primitive): string {
  switch (p.value.case) {
    case "integer": return p.value.value.toString();
    case "boolean": return p.value.value ? "true" : "false";
    case "stringValue": return p.value.value;
    case "floatValue": return formatGoFloat(p.value.value);
    case "datetime":
      try {
        return formatRfc3339(p.value.value);
      } catch (err) {
        throw new RenderError((err as Error).message);
      }
    // Propeller prints the protobuf text form (`seconds:10`); Go duration syntax is what copilot and people expect.
    case "duration": return formatGoDuration(p.value.value.seconds, p.value.value.nanos);
    default: throw new RenderError("received an unexpected primitive type [empty]");
  }
}

function scalarText(s: Scalar): string {
  switch (s.value.case) {
    case "primitive": return primitiveText(s.value.value);
    case "blob": return s.value.value.uri;
    case "schema": return s.value.value.uri;
    case "binary": {
      const { tag, value } = s.value.value;
      if (tag !== "msgpack") throw new RenderError(`unsupported binary tag [${tag}]`);
      try {
        return formatGoMsgpack(decodeMsgpack(value));
      } catch (err) {
        throw new RenderError(`failed to unmarshal messagepack bytes: ${(err as Error).message}`);
      }
    }
    default: throw new RenderError(`received an unexpected scalar type [${s.value.case ?? "empty"}]`);
  }
}

/** The text of one input for `{{.inputs.x}}`; throws RenderError for map, union, none, generic, error, structured dataset and offloaded literals. */
export function literalArgText(literal: Literal): string {
  switch (literal.value.case) {
    case "scalar": return scalarText(literal.value.value);
    case "collection": return `[${literal.value.value.literals.map(literalArgText).join(",")}]`;
    default: throw new RenderError(`received an unexpected literal type [${literal.value.case ?? "empty"}]`);
  }
}
