import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { randomInt } from "node:crypto";
import { type CompiledWorkflowClosure, CompiledWorkflowClosureSchema } from "../../../gen/flyteidl/core/compiler_pb.js";
import { type DynamicJobSpec, DynamicJobSpecSchema } from "../../../gen/flyteidl/core/dynamic_job_pb.js";
import type { Identifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import type { TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import type { LaunchPlanInterface } from "../../core/compiler/index.js";
import { BINARY_READ_OPTIONS } from "../../core/proto-limits.js";
import { keyOfUri } from "./blob-uris.js";
import { type Graph, graphOf } from "./dag-scope.js";
import { taskKey } from "./definition.js";
import { compileDynamicWorkflow, dynamicLaunchPlanIds, MAX_DYNAMIC_NODES, unknownLaunchPlanError } from "./dynamic-workflow.js";
import { errorText } from "./execution-error.js";
import { blobSize } from "./output-check.js";
import { futuresPath, joinUri } from "./paths.js";
import type { NodeContext } from "./round-context.js";

/** The largest futures.pb or compiled dynamic workflow the engine reads (a few MB hold thousands of nodes). */
export const MAX_DYNAMIC_SPEC_BYTES = 64 * 1024 * 1024;
/** Decoded dynamic workflows kept in memory, most recently used first (each running dynamic node uses one per round). */
const CACHED_WORKFLOWS = 128;
/** propeller's workflow versions come from k8s' rand.String: 10 characters of this alphabet. */
const VERSION_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** `O(a)/dynamic_compiled.pb`: the compiled workflow of the attempt's futures file (engine-spec §3.1). */
export const dynamicCompiledPath = (outputDir: string): string => joinUri(outputDir, "dynamic_compiled.pb");

/** A dynamic node's compiled workflow, ready to run. */
export interface DynamicWorkflow {
  closure: CompiledWorkflowClosure;
  graph: Graph;
  /** The children's task templates, by taskKey. */
  tasks: ReadonlyMap<string, TaskTemplate>;
}

export interface DynamicWorkflowsOptions {
  /** A registered launch plan's interface, undefined when there is none with that id. */
  launchPlan(id: Identifier): Promise<LaunchPlanInterface | undefined>;
  /** Most nodes of one dynamic workflow (0: no limit). */
  maxNodes?: number | undefined;
}

export interface DynamicWorkflows {
  /**
   * The workflow of the node's current attempt: the one cached next to its
   * futures file, else built from that file, compiled and cached there, so
   * later steps and restarts run the same workflow (and report the same one).
   * Errors reading blobs are thrown (the round is retried).
   */
  load(n: NodeContext, parent: TaskTemplate): Promise<DynamicWorkflow | { userError: string }>;
}

export function createDynamicWorkflows(options: DynamicWorkflowsOptions): DynamicWorkflows {
  const memory = new Map<string, DynamicWorkflow>();
  const remember = (uri: string, wf: DynamicWorkflow) => {
    memory.delete(uri);
    memory.set(uri, wf);
    if (memory.size > CACHED_WORKFLOWS) memory.delete(memory.keys().next().value!);
    return wf;
  };

  /** A blob's bytes, bounded; undefined when absent. */
  const readBounded = async (n: NodeContext, uri: string): Promise<Uint8Array | undefined> => {
    const blobs = n.round.services.blobs;
    const size = await blobSize(blobs, uri);
    if (size === undefined) return undefined;
    if (size > MAX_DYNAMIC_SPEC_BYTES) throw new DynamicSpecError(`${uri} is ${size} bytes, more than the ${MAX_DYNAMIC_SPEC_BYTES} bytes allowed`);
    return blobs.get(keyOfUri(blobs, uri));
  };

  const cachedClosure = async (n: NodeContext, uri: string): Promise<CompiledWorkflowClosure | undefined> => {
    const bytes = await readBounded(n, uri).catch((e) => {
      if (e instanceof DynamicSpecError) return undefined;
      throw e;
    });
    if (!bytes) return undefined;
    try {
      const closure = fromBinary(CompiledWorkflowClosureSchema, bytes, BINARY_READ_OPTIONS);
      if (closure.primary?.template) return closure;
    } catch (e) {
      n.round.services.logger.warn("engine: unreadable cached dynamic workflow; building it again", { execution: n.round.key.name, node: n.uniqueId, error: errorText(e) });
    }
    return undefined;
  };

  const readSpec = async (n: NodeContext): Promise<DynamicJobSpec | { userError: string }> => {
    const uri = futuresPath(n.outputDir);
    let bytes: Uint8Array | undefined;
    try {
      bytes = await readBounded(n, uri);
    } catch (e) {
      if (e instanceof DynamicSpecError) return { userError: `futures file ${e.message}` };
      throw e;
    }
    if (!bytes) throw new Error(`futures file ${uri} of node ${n.uniqueId} is gone`);
    try {
      return fromBinary(DynamicJobSpecSchema, bytes, BINARY_READ_OPTIONS);
    } catch (e) {
      return { userError: `futures file ${uri} is not a DynamicJobSpec: ${errorText(e)}` };
    }
  };

  const build = async (n: NodeContext, parent: TaskTemplate): Promise<CompiledWorkflowClosure | { userError: string }> => {
    const spec = await readSpec(n);
    if ("userError" in spec) return spec;
    const { project, domain } = n.round.def.executionId;
    const source = { spec, parent, execution: { project, domain }, nodeId: n.specId, version: randomVersion() };
    const needed = dynamicLaunchPlanIds(source);
    if ("userError" in needed) return needed;
    const launchPlans: LaunchPlanInterface[] = [];
    for (const id of needed.launchPlans) {
      let lp: LaunchPlanInterface | undefined;
      try {
        lp = await options.launchPlan(id);
      } catch (e) {
        // An id the store refuses to look up (bad text) names no launch plan either.
        if (!isInvalidArgument(e)) throw e;
        return { userError: unknownLaunchPlanError(id, errorText(e)) };
      }
      if (!lp) return { userError: unknownLaunchPlanError(id, "launch plan not found") };
      launchPlans.push(lp);
    }
    const built = compileDynamicWorkflow(source, launchPlans, options.maxNodes ?? MAX_DYNAMIC_NODES);
    return "userError" in built ? built : built.closure;
  };

  return {
    async load(n, parent) {
      const uri = dynamicCompiledPath(n.outputDir);
      const known = memory.get(uri);
      if (known) return remember(uri, known);
      let closure = await cachedClosure(n, uri);
      if (!closure) {
        const built = await build(n, parent);
        if ("userError" in built) return built;
        closure = built;
        const blobs = n.round.services.blobs;
        await blobs.put(keyOfUri(blobs, uri), toBinary(CompiledWorkflowClosureSchema, closure));
      }
      const primary = closure.primary!;
      const tasks = new Map(closure.tasks.flatMap((t) => (t.template ? [[taskKey(t.template.id), t.template] as const] : [])));
      return remember(uri, { closure, graph: graphOf(primary.template!, primary.connections), tasks });
    },
  };
}

/** A blob the engine refuses to read (too large). */
class DynamicSpecError extends Error {}

const randomVersion = () => Array.from({ length: 10 }, () => VERSION_ALPHABET[randomInt(VERSION_ALPHABET.length)]).join("");

const isInvalidArgument = (e: unknown) => typeof e === "object" && e !== null && (e as { code?: unknown }).code === 3;
