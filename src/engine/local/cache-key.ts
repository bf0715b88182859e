/**
 * The cache key of a task's run (engine-spec §6.1): which dataset (task,
 * cache version and interface) and which artifact tag (the inputs) its
 * outputs are stored under. Pure functions of the task template and the
 * resolved inputs.
 *
 * The hashes are propeller's own (objecthash over jsonpb, unpadded base64url),
 * so the engine and a flytepropeller using this server's DataCatalog compute
 * the same keys and find each other's entries.
 */
import { create } from "@bufbuild/protobuf";
import type { TypedInterface, VariableMap } from "../../../gen/flyteidl/core/interface_pb.js";
import { VariableMapSchema } from "../../../gen/flyteidl/core/interface_pb.js";
import { type Literal, type LiteralMap, LiteralMapSchema, LiteralSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import type { TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import type { LiteralType } from "../../../gen/flyteidl/core/types_pb.js";
import { checkDatasetKeyText } from "../../core/datacatalog/dc-limits.js";
import { protoHash } from "../../core/proto-hash.js";
import { PROTO_RECURSION_LIMIT } from "../../core/proto-limits.js";

const TASK_NAMESPACE = "flyte_task";
const CACHED_TAG = "flyte_cached";
const SIGNATURE_HASH_CHARS = 8;
/** A type annotation that carries this key is kept in the key (flytekit's cache-key metadata). */
const CACHE_KEY_ANNOTATION = "cache-key-metadata";

/** Where a cached artifact lives: a dataset (one task interface at one cache version) and the tag of its inputs. */
export interface CatalogKey {
  project: string;
  domain: string;
  /** `flyte_task-<task name>` */
  datasetName: string;
  /** `<cache_version>-<in8>-<out8>` */
  datasetVersion: string;
  /** `flyte_cached-<hash of the inputs>` */
  tag: string;
}

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
    const key = {
      project: id.project,
      domain: id.domain,
      datasetName: datasetName(id.name),
      datasetVersion: `${cacheVersion}-${interfaceSignature(template.interface)}`,
      tag: artifactTag(inputs, template.metadata?.cacheIgnoreInputVars ?? []),
      cacheVersion,
    };
    // A key the DataCatalog would refuse (a cache_version too long to store) can never be cached.
    for (const field of ["datasetName", "datasetVersion"] as const) checkDatasetKeyText(key[field], field);
    return key;
  } catch (e) {
    throw new CacheKeyError(`cannot compute the cache key of task [${id.name}]: ${(e as Error).message}`);
  }
}

/** `<in8>-<out8>`: the first characters of the hashes of the input and output variables (type metadata and descriptions left out). */
export function interfaceSignature(iface: TypedInterface | undefined): string {
  const part = (vars: VariableMap | undefined) => hashText(protoHash(VariableMapSchema, strippedVariables(vars))).slice(0, SIGNATURE_HASH_CHARS);
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
  return `${CACHED_TAG}-${hashText(protoHash(LiteralMapSchema, create(LiteralMapSchema, { literals })))}`;
}

function hashOnly(literal: Literal, depth: number): Literal {
  // Each collection or map level is two message levels (Literal, then LiteralCollection or LiteralMap).
  if (depth * 2 > PROTO_RECURSION_LIMIT) throw new Error(`inputs nested deeper than ${PROTO_RECURSION_LIMIT} message levels`);
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

const hashText = (hash: Uint8Array) => Buffer.from(hash).toString("base64url");
