import { create } from "@bufbuild/protobuf";
import { TaskExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import { TypedInterfaceSchema, VariableSchema, type Variable } from "../../../gen/flyteidl/core/interface_pb.js";
import { type LiteralMap, LiteralMapSchema, LiteralSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import type { TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import type { ArrayNode, Node } from "../../../gen/flyteidl/core/workflow_pb.js";
import { type ExternalResourceInfo, ExternalResourceInfoSchema } from "../../../gen/flyteidl/event/event_pb.js";
import { capturingRecorder, externalResourcesOf } from "./array-events.js";
import { elementInputs } from "./array-inputs.js";
import { type ElementPhase, isTerminalElement } from "./array-progress.js";
import type { Elements } from "./array-state.js";
import { readMessage } from "./blob-uris.js";
import type { DagScope, Graph } from "./dag-scope.js";
import { taskKey } from "./definition.js";
import type { EventRecorder } from "./event-recorder.js";
import { arrayExternalId, generatedName } from "./ids.js";
import type { NodeExecutor } from "./node-executor.js";
import { joinUri } from "./paths.js";
import { type NodeContext, requestWake, type RoundContext } from "./round-context.js";
import { type NodeStatus, TERMINAL_NODE } from "./status.js";

const EMPTY_GRAPH: Graph = { nodes: new Map(), upstream: new Map(), downstream: new Map(), failAfterExecutableNodes: false, failureNodeId: undefined };

/** The spec id of element `index` (propeller's `n<i>`). */
export const elementId = (index: number) => `n${index}`;

/**
 * The sub-task as its elements see it (propeller's arrayTaskReader): each
 * list-typed output is the element's type, so an element's outputs are
 * checked against what one element produces.
 */
export function elementTemplate(t: TaskTemplate): TaskTemplate {
  const variables: Record<string, Variable> = {};
  for (const [name, v] of Object.entries(t.interface?.outputs?.variables ?? {})) {
    const type = v.type?.type;
    variables[name] = type?.case === "collectionType" ? create(VariableSchema, { type: type.value, description: v.description }) : v;
  }
  return { ...t, interface: create(TypedInterfaceSchema, { inputs: t.interface?.inputs, outputs: { variables } }) };
}

/** The array node's inputs, offloaded values read in (propeller reads them before it counts elements). */
export async function readArrayInputs(n: NodeContext): Promise<LiteralMap> {
  const blobs = n.round.services.blobs;
  const inputs = await readMessage(blobs, n.inputsUri, LiteralMapSchema);
  if (!inputs) throw new Error(`the array node's inputs ${n.inputsUri} are missing`);
  for (const [name, literal] of Object.entries(inputs.literals)) {
    if (literal.value.case !== "offloadedMetadata") continue;
    const value = await readMessage(blobs, literal.value.value.uri, LiteralSchema);
    if (!value) throw new Error(`offloaded input [${name}] ${literal.value.value.uri} not found`);
    inputs.literals[name] = value;
  }
  return inputs;
}

/**
 * An array node's elements for one call of its handler: each element is the
 * sub-node spec as node `n<i>` of a one-node graph under the array node
 * (unique id `<array>-<attempt>-n<i>`, output dir `O_array(a)/<i>/<attempt>`,
 * status in the array node's `nodes`), driven through the engine's node state
 * machine with a recorder that keeps its events for the array's task event.
 */
export interface ArrayElements {
  readonly sub: Node;
  /** The template the elements run, as they see it. */
  readonly template: TaskTemplate;
  readonly statuses: Record<string, NodeStatus>;
  /** ExternalResourceInfo.external_id of an element's attempt. */
  externalId(index: number, attempt: number): string;
  /** One step of element `index`; its events are kept in `recorder`. */
  step(index: number, recorder: EventRecorder): Promise<void>;
  /**
   * Aborts the elements in flight (started, not finished): they become
   * "Aborted" and lose their status; the external resources saying so.
   */
  abortInFlight(el: Elements, reason: string): Promise<ExternalResourceInfo[]>;
  /** Stops and finalizes what elements still hold (the node executor's abort with nothing reported) and drops their statuses. */
  finalizeInFlight(): Promise<void>;
}

export function arrayElements(nodes: NodeExecutor, n: NodeContext, spec: ArrayNode, sub: Node, original: TaskTemplate): ArrayElements {
  const ctx = n.round;
  const template = elementTemplate(original);
  const scope = nodes.childScope(n, EMPTY_GRAPH, { tasks: new Map([[taskKey(original.id), template]]) });
  const statuses = scope.statuses;
  // Elements are not counted against max_parallelism (propeller sets it to 0 for them): the array node is, once.
  const def = { ...ctx.def, json: { ...ctx.def.json, config: { ...ctx.def.json.config, maxParallelism: 0 } } };
  const arrayName = generatedName(ctx.key.name, n.uniqueId, n.status.attempts);
  let inputs: Promise<LiteralMap> | undefined;

  // An element's data dir is `O_array(a)/<i>`, so its own inputs.pb sits there, and its attempts'
  // output dirs are propeller's `O_array(a)/<i>/<attempt>`. (propeller's element data dir is
  // `D_array/<i>/<attempt>`, where it writes an empty inputs.pb nothing reads.)
  const elementScope = (index: number): DagScope => {
    const id = elementId(index);
    // No bindings: the element's inputs come from `element.inputs`, not from resolving them.
    const node: Node = { ...sub, id, inputs: [] };
    return {
      ...scope,
      nodes: new Map([[id, node]]),
      dataDirOf: () => joinUri(n.outputDir, String(index)),
      element: {
        index,
        inputs: async () => elementInputs(await (inputs ??= readArrayInputs(n)), index, spec.boundInputs),
        arrayInputsUri: n.inputsUri,
        arrayDataDir: n.dataDir,
      },
    };
  };
  /** The round as an element sees it; the deadlines it asks for are the round's. */
  const withElement = async (recorder: EventRecorder, run: (c: RoundContext) => Promise<unknown>) => {
    const c: RoundContext = { ...ctx, def, recorder, wakeAt: undefined };
    await run(c);
    if (c.wakeAt !== undefined) requestWake(ctx, c.wakeAt);
  };
  const externalId = (index: number, attempt: number) => arrayExternalId(arrayName, index, attempt);

  return {
    sub,
    template,
    statuses,
    externalId,
    step: (index, recorder) => withElement(recorder, (c) => nodes.handle(c, elementScope(index), elementId(index))),
    async abortInFlight(el, reason) {
      const out: ExternalResourceInfo[] = [];
      for (let i = 0; i < el.phases.length; i++) {
        const id = elementId(i);
        // The element's own status is the truth where it has one (it moves before the array's record of it).
        const phase: ElementPhase = statuses[id]?.phase ?? el.phases[i]!;
        if (isTerminalElement(phase) || phase === "NotYetStarted") continue;
        const recorder = capturingRecorder();
        await withElement(recorder, (c) => nodes.abort(c, elementScope(i), id, reason));
        const attempt = statuses[id]?.attempts ?? el.attempts(i);
        const found = externalResourcesOf(recorder, { index: i, retryAttempt: attempt, externalId: externalId(i, attempt) });
        // propeller reports every element it aborts as ABORTED, whatever its task said.
        if (!found.some((r) => r.phase === TaskExecution_Phase.ABORTED)) {
          found.push(create(ExternalResourceInfoSchema, { externalId: externalId(i, attempt), index: i, retryAttempt: attempt, phase: TaskExecution_Phase.ABORTED }));
        }
        out.push(...found);
        el.phases[i] = "Aborted";
        el.taskPhases[i] = "Aborted";
        el.setAttempts(i, attempt);
      }
      el.store();
      for (let i = 0; i < el.phases.length; i++) if (el.phases[i] === "Aborted") delete statuses[elementId(i)];
      return out;
    },
    async finalizeInFlight() {
      for (const [id, ns] of Object.entries(statuses)) {
        const index = Number(id.slice(1));
        if (!/^n\d+$/.test(id) || index >= (n.status.array?.size ?? 0)) continue;
        if (ns.phase !== "NotYetStarted" && !TERMINAL_NODE.has(ns.phase)) {
          await withElement(capturingRecorder(), (c) => nodes.abort(c, elementScope(index), id, "ArrayNodeFinalizing"));
        }
        delete statuses[id];
      }
    },
  };
}
