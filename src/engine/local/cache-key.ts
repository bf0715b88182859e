/**
 * The cache key of a task's run (engine-spec §6.1): which dataset (task,
 * cache version and interface) and which artifact tag (the inputs) its
 * outputs are stored under. Pure functions of the task template and the
 * resolved inputs.
 *
 * [LOCAL] Propeller hashes with objecthash over JSON; the catalog here is the
 * engine's own, so any stable hash serves: SHA-256 over the canonical binary
 * encoding (sorted map keys), in unpadded base64url.
 */
import { createHash } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import type { TypedInterface, VariableMap } from "../../../gen/flyteidl/core/interface_pb.js";
import { VariableMapSchema } from "../../../gen/flyteidl/core/interface_pb.js";
import { type Literal, type LiteralMap, LiteralMapSchema, LiteralSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import type { TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import type { LiteralType } from "../../../gen/flyteidl/core/types_pb.js";
import type { CatalogKey } from "../../storage/catalog-store.js";
import { canonicalBinary } from "./canonical-binary.js";

const TASK_NAMESPACE = "flyte_task";
const CACHED_TAG = "flyte_cached";
const SIGNATURE_HASH_CHARS = 8;
/** A type annotation that carries this key is kept in the key (flytekit's cache-key metadata). */
const CACHE_KEY_ANNOTATION = "cache-key-metadata";

/** The catalog key of one run of a cacheable task, with the cache version it was made from. */
export interface TaskCacheKey extends CatalogKey {
  cacheVersion: string;
}

/** A task cannot have a cache key (no id, empty cache_version, inputs beyond the nesting limit). */
export class CacheKeyError extends Error {
  override name = "CacheKeyError";
}

/** Whether runs of a task are cached (flytekit `cache=True`), and serialised (`cache_serializable=True`). */
export function cachePolicy(template: TaskTemplate | undefined): { cacheable: boolean; serializable: boolean } {
  const cacheable = template?.metadata?.discoverable === true;
  return { cacheable, serializable: cacheable && template?.metadata?.cacheSerializable === true };
}

/** `flyte_task-<task name>`: the dataset name of a task's cache entries. */
export const datasetName = (taskName: string) => `${TASK_NAMESPACE}-${taskName}`;

/** The key of a run of `template` with `inputs` (the map its task reads as inputs.pb). */
export function taskCacheKey(template: TaskTemplate, inputs: LiteralMap): TaskCacheKey {
  const id = template.id;
  if (!id) throw new CacheKeyError("the task template has no id");
  // Only spaces are trimmed, as propeller does.
  const cacheVersion = (template.metadata?.discoveryVersion ?? "").replace(/^ +| +$/g, "");
  if (cacheVersion === "") throw new CacheKeyError(`task [${id.name}] is cacheable but has an empty cache_version`);
  try {
    return {
      project: id.project,
      domain: id.domain,
      datasetName: datasetName(id.name),
      datasetVersion: `${cacheVersion}-${interfaceSignature(template.interface)}`,
      tag: artifactTag(inputs, template.metadata?.cacheIgnoreInputVars ?? []),
      cacheVersion,
    };
  } catch (e) {
    throw new CacheKeyError(`cannot compute the cache key of task [${id.name}]: ${(e as Error).message}`);
  }
}

/** `<in8>-<out8>`: the first characters of the hashes of the input and output variables (type metadata and descriptions left out). */
export function interfaceSignature(iface: TypedInterface | undefined): string {
  const part = (vars: VariableMap | undefined) => hashOf(canonicalBinary(VariableMapSchema, strippedVariables(vars))).slice(0, SIGNATURE_HASH_CHARS);
  return `${part(iface?.inputs)}-${part(iface?.outputs)}`;
}

/**
 * `flyte_cached-<hash>` of the inputs, without the `ignored` ones; a literal
 * that carries a `hash` counts as that hash alone (its value may differ run to
 * run, e.g. a dataframe written anew), at any depth of collections and maps.
 */
export function artifactTag(inputs: LiteralMap, ignored: readonly string[] = []): string {
  const skip = new Set(ignored);
  const literals: Record<string, Literal> = {};
  for (const [name, literal] of Object.entries(inputs.literals)) {
    if (!skip.has(name)) literals[name] = hashOnly(literal, 0);
  }
  return `${CACHED_TAG}-${hashOf(canonicalBinary(LiteralMapSchema, create(LiteralMapSchema, { literals })))}`;
}

function hashOnly(literal: Literal, depth: number): Literal {
  if (depth > 1_000) throw new Error("inputs nest collections and maps too deeply");
  if (literal.hash !== "") return create(LiteralSchema, { hash: literal.hash });
  const v = literal.value;
  if (v.case === "collection") {
    return create(LiteralSchema, { value: { case: "collection", value: { literals: v.value.literals.map((l) => hashOnly(l, depth + 1)) } } });
  }
  if (v.case === "map") {
    const literals: Record<string, Literal> = {};
    for (const [k, l] of Object.entries(v.value.literals)) literals[k] = hashOnly(l, depth + 1);
    return create(LiteralSchema, { value: { case: "map", value: { literals } } });
  }
  return literal;
}

/** The variables as the engine's key sees them: no descriptions, no type metadata (propeller's StripInterfaceTypeMetadata). */
function strippedVariables(vars: VariableMap | undefined): VariableMap {
  const variables: VariableMap["variables"] = {};
  for (const [name, v] of Object.entries(vars?.variables ?? {})) {
    variables[name] = { ...v, description: "", type: v.type && strippedType(v.type, 0) };
  }
  return create(VariableMapSchema, { variables });
}

function strippedType(t: LiteralType, depth: number): LiteralType {
  if (depth > 1_000) throw new Error("interface types nest too deeply");
  const out: LiteralType = { ...t, metadata: undefined };
  if (t.annotation && !(CACHE_KEY_ANNOTATION in (t.annotation.annotations ?? {}))) out.annotation = undefined;
  if (t.structure && Object.keys(t.structure.dataclassType).length > 0) {
    const dataclassType: Record<string, LiteralType> = {};
    for (const [k, dt] of Object.entries(t.structure.dataclassType)) dataclassType[k] = strippedType(dt, depth + 1);
    out.structure = { ...t.structure, dataclassType };
  }
  const type = t.type;
  switch (type.case) {
    case "unionType":
      out.type = { case: "unionType", value: { ...type.value, variants: type.value.variants.map((x) => strippedType(x, depth + 1)) } };
      break;
    case "mapValueType":
    case "collectionType":
      out.type = { case: type.case, value: strippedType(type.value, depth + 1) };
      break;
    case "structuredDatasetType":
      out.type = {
        case: "structuredDatasetType",
        value: { ...type.value, columns: type.value.columns.map((c) => ({ ...c, literalType: c.literalType && strippedType(c.literalType, depth + 1) })) },
      };
      break;
  }
  return out;
}

const hashOf = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("base64url");
