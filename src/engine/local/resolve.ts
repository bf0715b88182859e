/**
 * Resolution of a node's input bindings into the LiteralMap written to its
 * `inputs.pb` (engine-spec §3.3; propeller's resolve.go and output_resolver.go).
 * Pure apart from the injected readers; error texts follow propeller's node
 * errors (`failed at Node[<id>]. <Code>: <message>`), because they become the
 * node's SYSTEM "BindingResolutionFailure" error message that users read.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { LiteralMapSchema, LiteralSchema, type Binding, type BindingData, type Literal, type LiteralMap } from "../../../gen/flyteidl/core/literals_pb.js";
import type { OutputReference } from "../../../gen/flyteidl/core/types_pb.js";
import { AttrPathError, resolveAttrPath } from "./resolve-attr-path.js";

/** The node's final outputs.pb, or undefined if the file is missing. */
export type OutputReader = (nodeId: string) => Promise<LiteralMap | undefined>;

/** Its message becomes the node's SYSTEM "BindingResolutionFailure" error. */
export class BindingResolutionError extends Error {
  override name = "BindingResolutionError";
}

export interface ResolveOptions {
  /** The id of the node whose inputs these are, named in error messages (propeller: the spec node id). */
  nodeId?: string;
  /** Output aliases of an upstream node (alias → variable); flytekit does not produce them, old SDKs did. */
  aliasesOf?: (nodeId: string) => Readonly<Record<string, string>> | undefined;
  /** Reads an offloaded literal met while walking an attribute path. */
  readOffloaded?: (uri: string) => Promise<Literal>;
  /** Nesting limit for msgpack values walked by attribute paths. */
  maxMsgpackDepth?: number;
  /** Nesting limit for binding collections and maps, so a hostile spec cannot exhaust the stack. */
  maxBindingDepth?: number;
}

const START_NODE = "start-node";
const DEFAULT_MAX_BINDING_DEPTH = 256;

/** A propeller-style node error; `cause` is appended as `, caused by: <cause>`. */
function nodeError(nodeId: string, code: string, message: string, cause?: string): BindingResolutionError {
  const text = `failed at Node[${nodeId}]. ${code}: ${message}`;
  return new BindingResolutionError(cause === undefined ? text : `${text}, caused by: ${cause}`);
}

/** Propeller's ParseVarName: one unanchored match of `([<i>].)?<word>`, so `[2].o0` selects element 2 of `o0`. */
function parseVarName(varName: string): { index?: number; name: string } {
  const matches = [...varName.matchAll(/(\[(\d+)\]\.)?(\w+)/g)];
  if (matches.length !== 1) throw new BindingResolutionError(`unexpected number of matches [${matches.length}]`);
  const [, , index, name] = matches[0]!;
  return index === undefined ? { name: name! } : { index: Number(index), name: name! };
}

function literalOf(init: MessageInitShape<typeof LiteralSchema>): Literal {
  return create(LiteralSchema, init);
}

class Resolver {
  private readonly cache = new Map<string, Promise<LiteralMap | undefined>>();
  constructor(
    private readonly read: OutputReader,
    private readonly options: ResolveOptions,
  ) {}

  private outputsOf(nodeId: string): Promise<LiteralMap | undefined> {
    let pending = this.cache.get(nodeId);
    if (!pending) {
      pending = this.read(nodeId);
      this.cache.set(nodeId, pending);
    }
    return pending;
  }

  private async promise(ref: OutputReference): Promise<Literal> {
    // The compiler fills empty promise node ids with the start node (workflow inputs).
    const upstream = ref.nodeId === "" ? START_NODE : ref.nodeId;
    const { index, name } = parseVarName(ref.var);
    const actualVar = this.options.aliasesOf?.(upstream)?.[name] ?? name;

    let outputs: LiteralMap | undefined;
    try {
      outputs = await this.outputsOf(upstream);
    } catch (err) {
      throw nodeError(upstream, "CausedByError", `Failed to GetPrevious data from the outputs of node [${upstream}]`, (err as Error).message);
    }
    if (!outputs) throw nodeError(upstream, "OutputsNotFoundError", `Outputs not found for [${upstream}].[${ref.var}]: outputs.pb is missing`);
    const literals = outputs.literals;
    if (Object.keys(literals).length === 0) throw nodeError(upstream, "OutputsNotFoundError", `Outputs not found for [${upstream}].[${ref.var}]: the output map is empty`);
    const found = Object.hasOwn(literals, actualVar) ? literals[actualVar] : undefined;

    let output: Literal;
    if (index === undefined) {
      if (!found) throw nodeError(upstream, "OutputsNotFoundError", `Failed to find [${upstream}].[${actualVar}]`);
      output = found;
    } else {
      if (!found) {
        throw nodeError(upstream, "BadSpecificationError", "Output of array tasks is expected to be a single literal map entry named 'array' of type LiteralCollection.");
      }
      if (found.value.case !== "collection") {
        throw nodeError(upstream, "BadSpecificationError", `Output of array tasks of key 'array' is of type [${found.value.case ?? "empty"}]. LiteralCollection is expected.`);
      }
      const element = found.value.value.literals[index];
      if (!element) throw nodeError(upstream, "OutputsNotFoundError", `Failed to find [${upstream}[${index}].${actualVar}]`);
      output = element;
    }

    if (ref.attrPath.length === 0) return output;
    try {
      return await resolveAttrPath(output, ref.attrPath, { readOffloaded: this.options.readOffloaded, maxMsgpackDepth: this.options.maxMsgpackDepth });
    } catch (err) {
      if (err instanceof AttrPathError) throw nodeError(upstream, err.code, err.message);
      throw err;
    }
  }

  async data(data: BindingData | undefined, depth: number): Promise<Literal> {
    const max = this.options.maxBindingDepth ?? DEFAULT_MAX_BINDING_DEPTH;
    if (depth > max) throw new BindingResolutionError(`binding data nested deeper than ${max}`);
    const value = data?.value;
    switch (value?.case) {
      case "scalar":
        return literalOf({ value: { case: "scalar", value: value.value } });
      case "collection": {
        const literals: Literal[] = [];
        for (const b of value.value.bindings) literals.push(await this.data(b, depth + 1));
        return literalOf({ value: { case: "collection", value: { literals } } });
      }
      case "map": {
        const entries: Array<[string, Literal]> = [];
        for (const [k, b] of Object.entries(value.value.bindings)) entries.push([k, await this.data(b, depth + 1)]);
        return literalOf({ value: { case: "map", value: { literals: Object.fromEntries(entries) } } });
      }
      case "promise":
        return this.promise(value.value);
      case "offloadedMetadata":
        // Propeller 1.16 has no case for it (yielding an empty literal); passing the reference on keeps the value.
        return literalOf({ value: { case: "offloadedMetadata", value: value.value } });
      default:
        // An empty binding resolves to an empty literal, as in propeller.
        return literalOf({});
    }
  }
}

/**
 * Resolves every binding; the first failure throws a BindingResolutionError whose message
 * names the variable and the cause (`... Error binding Var [wf].[x], caused by: ...`).
 * Outputs of each upstream node are read at most once per call.
 */
export async function resolveBindings(bindings: readonly Binding[], read: OutputReader, options: ResolveOptions = {}): Promise<LiteralMap> {
  const resolver = new Resolver(read, options);
  const entries: Array<[string, Literal]> = [];
  for (const binding of bindings) {
    try {
      entries.push([binding.var, await resolver.data(binding.binding, 0)]);
    } catch (err) {
      const cause = err instanceof Error ? err.message : String(err);
      throw nodeError(options.nodeId ?? "", "BindingResolutionError", `Error binding Var [wf].[${binding.var}]`, cause);
    }
  }
  // A repeated variable keeps its last binding, as propeller's map assignment does.
  return create(LiteralMapSchema, { literals: Object.fromEntries(entries) });
}
