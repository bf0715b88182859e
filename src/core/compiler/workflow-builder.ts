// Mutable state of one workflow being compiled (flytepropeller builders.go).
//
// Like flytepropeller we work *in place* on a cloned template: the compiler's
// output is the same proto objects after validation has rewritten them (branch
// sub-node ids prefixed, empty promise node ids set to "start-node", upstream
// ids sorted, interfaces normalised). Each node object gets exactly one
// NodeBuilder (found again by object identity) holding what was learned about it.
import { create } from "@bufbuild/protobuf";
import type { Identifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import type { ParameterMap, TypedInterface, VariableMap } from "../../../gen/flyteidl/core/interface_pb.js";
import type { TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import type { Node, WorkflowTemplate } from "../../../gen/flyteidl/core/workflow_pb.js";
import {
  type CompiledWorkflow,
  ConnectionSetSchema,
  ConnectionSet_IdListSchema,
} from "../../../gen/flyteidl/core/compiler_pb.js";
import { ErrorScope } from "./compile-errors.js";
import { identifierKey } from "./identifier-set.js";
import { collectRequirements } from "./requirements.js";

export const START_NODE_ID = "start-node";
export const END_NODE_ID = "end-node";

/** What the compiler needs of a launch plan: its id and its (closure's) expected inputs/outputs. */
export interface LaunchPlanInterface {
  id: Identifier;
  expectedInputs: ParameterMap | undefined;
  expectedOutputs: VariableMap | undefined;
}

/**
 * Which adjacency maps an edge is recorded in. Branch sub-nodes and failure
 * nodes only record their inputs (upstream) so they never become graph members.
 */
export type EdgeDirection = "both" | "downstream" | "upstream";

export interface NodeBuilder {
  node: Node;
  iface: TypedInterface | undefined;
  task: TaskTemplate | undefined;
  subWorkflow: WorkflowBuilder | undefined;
}

/** Everything handed to compileWorkflow, shared by the builders of all (sub-)workflows. */
export interface CompileContext {
  tasks: ReadonlyMap<string, TaskTemplate>;
  launchPlans: ReadonlyMap<string, LaunchPlanInterface>;
  subWorkflows: ReadonlyMap<string, CompiledWorkflow>;
  /** Sub-workflows whose compilation is on the stack (recursion guard). */
  compiling: Set<string>;
}

export class WorkflowBuilder {
  /** Graph members by id: start-node, end-node and the top-level nodes. */
  readonly nodes = new Map<string, NodeBuilder>();
  readonly upstream = new Map<string, Set<string>>();
  readonly downstream = new Map<string, Set<string>>();
  /** Sub-workflows this builder compiled successfully (per builder, as in Go). */
  readonly compiledSubWorkflows = new Map<string, CompiledWorkflow>();
  /** The subset of the given tasks / launch plans this template references directly. */
  tasks = new Map<string, TaskTemplate>();
  launchPlans = new Map<string, LaunchPlanInterface>();
  private readonly builders = new Map<Node, NodeBuilder>();

  constructor(
    readonly core: CompiledWorkflow,
    readonly ctx: CompileContext,
  ) {}

  get template(): WorkflowTemplate {
    if (!this.core.template) throw new Error("compiled workflow without template");
    return this.core.template;
  }

  /** A fresh builder for another workflow sharing the same inputs. */
  derive(core: CompiledWorkflow): WorkflowBuilder {
    return new WorkflowBuilder(core, this.ctx);
  }

  /** Restricts task / launch plan lookups to what this template references (sub-workflows excluded). */
  updateRequiredReferences(): void {
    const reqs = collectRequirements(this.core.template, this.ctx.subWorkflows, false, ErrorScope.root());
    this.tasks = new Map();
    this.launchPlans = new Map();
    for (const id of reqs.tasks) {
      const task = this.ctx.tasks.get(identifierKey(id));
      if (task) this.tasks.set(identifierKey(id), task);
    }
    for (const id of reqs.launchPlans) {
      const lp = this.ctx.launchPlans.get(identifierKey(id));
      if (lp) this.launchPlans.set(identifierKey(id), lp);
    }
  }

  getOrCreateNodeBuilder(node: Node): NodeBuilder {
    let b = this.builders.get(node);
    if (!b) {
      b = { node, iface: undefined, task: undefined, subWorkflow: undefined };
      this.builders.set(node, b);
    }
    return b;
  }

  /** Adds a node to the graph; a second node with the same id is silently dropped. */
  addNode(b: NodeBuilder): NodeBuilder {
    if (this.nodes.has(b.node.id)) return b;
    this.nodes.set(b.node.id, b);
    this.template.nodes.push(b.node);
    return b;
  }

  addUpstreamEdge(provider: string, dependent: string): void {
    addTo(this.upstream, dependent, provider === "" ? START_NODE_ID : provider);
  }

  addDownstreamEdge(provider: string, dependent: string): void {
    addTo(this.downstream, provider === "" ? START_NODE_ID : provider, dependent);
  }

  addExecutionEdge(from: string, to: string): void {
    this.addDownstreamEdge(from, to);
    this.addUpstreamEdge(from, to);
  }

  getNode = (id: string): NodeBuilder | undefined => this.nodes.get(id);
  getTask = (id: Identifier): TaskTemplate | undefined => this.tasks.get(identifierKey(id));
  getLaunchPlan = (id: Identifier): LaunchPlanInterface | undefined => this.launchPlans.get(identifierKey(id));
  getSubWorkflow = (id: Identifier): CompiledWorkflow | undefined => this.ctx.subWorkflows.get(identifierKey(id));

  /** Writes the adjacency maps into the compiled workflow, ids sorted. */
  writeConnections(): void {
    const toLists = (m: Map<string, Set<string>>) =>
      Object.fromEntries(
        [...m.keys()].sort().map((k) => [k, create(ConnectionSet_IdListSchema, { ids: [...(m.get(k) ?? [])].sort() })]),
      );
    this.core.connections = create(ConnectionSetSchema, {
      downstream: toLists(this.downstream),
      upstream: toLists(this.upstream),
    });
  }
}

function addTo(m: Map<string, Set<string>>, key: string, value: string): void {
  let s = m.get(key);
  if (!s) m.set(key, (s = new Set()));
  s.add(value);
}
