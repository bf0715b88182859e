import { create, toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { executionsByDrawnId, graphParents } from "../../console/src/lib/graph-executions.js";
import { cacheLabel, itemPhaseCounts, itemsInPhase, mapItems } from "../../console/src/lib/map-items.js";
import { ExternalResourceInfoSchema } from "../../gen/flyteidl/event/event_pb.js";
import { drawWorkflow } from "../../console/src/lib/workflow-graph.js";
import { workflowSpecs } from "../../console/src/lib/node-specs.js";
import { buildNodeTree, findNode, parentsToLoad, visibleRows } from "../../console/src/lib/node-tree.js";
import { executionPhase, nodePhase, taskPhase } from "../../console/src/lib/phases.js";
import { ChangeCounter, nextPollDelay, pollInterval } from "../../console/src/lib/poll.js";
import { barGeometry, buildTimeline, timelineTicks } from "../../console/src/lib/timeline.js";
import { formatDurationMs } from "../../console/src/lib/time-format.js";
import { type NodeExecution, NodeExecutionSchema } from "../../gen/flyteidl/admin/node_execution_pb.js";
import { CompiledWorkflowClosureSchema } from "../../gen/flyteidl/core/compiler_pb.js";
import { NodeExecution_Phase, TaskExecution_Phase, WorkflowExecution_Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { SpanSchema } from "../../gen/flyteidl/core/metrics_pb.js";
import { LiteralTypeSchema, SimpleType } from "../../gen/flyteidl/core/types_pb.js";
import { approval, signalField, signalLiteral } from "../../console/src/lib/signal-value.js";
import { LiteralSchema } from "../../gen/flyteidl/core/literals_pb.js";

const exec = { project: "p", domain: "d", name: "e" };
const ts = (s: number) => ({ seconds: BigInt(s), nanos: 0 });
function ne(nodeId: string, start: number, meta: { isParentNode?: boolean; isDynamic?: boolean; isArray?: boolean } = {}): NodeExecution {
  return create(NodeExecutionSchema, {
    id: { nodeId, executionId: exec },
    closure: { phase: NodeExecution_Phase.SUCCEEDED, startedAt: ts(start), createdAt: ts(start) },
    metadata: { specNodeId: nodeId.split("-0-").at(-1)!, ...meta },
  });
}

describe("phases", () => {
  it("names phases, tells terminal ones and gives each a tone", () => {
    expect(executionPhase(WorkflowExecution_Phase.RUNNING)).toEqual({ label: "Running", tone: "running", terminal: false });
    expect(executionPhase(WorkflowExecution_Phase.ABORTED).terminal).toBe(true);
    expect(executionPhase(WorkflowExecution_Phase.ABORTING).terminal).toBe(false);
    expect(nodePhase(NodeExecution_Phase.SKIPPED)).toMatchObject({ tone: "skipped", terminal: true });
    expect(nodePhase(NodeExecution_Phase.DYNAMIC_RUNNING).tone).toBe("running");
    expect(taskPhase(TaskExecution_Phase.WAITING_FOR_RESOURCES).label).toBe("Waiting for resources");
    expect(executionPhase(99 as WorkflowExecution_Phase).label).toBe("Unknown");
  });
});

describe("node tree", () => {
  const closure = create(CompiledWorkflowClosureSchema, {
    primary: {
      template: {
        nodes: [
          { id: "start-node" },
          { id: "n0", target: { case: "taskNode", value: { reference: { case: "referenceId", value: { name: "wf.t1" } } } } },
          { id: "n1", target: { case: "workflowNode", value: { reference: { case: "subWorkflowRef", value: { name: "wf.sub" } } } } },
          { id: "n2", target: { case: "gateNode", value: { condition: { case: "approve", value: { signalId: "ok" } } } } },
          { id: "end-node" },
        ],
      },
    },
    subWorkflows: [
      {
        template: {
          id: { name: "wf.sub" },
          nodes: [
            { id: "n0", target: { case: "taskNode", value: { reference: { case: "referenceId", value: { name: "sub.t0" } } } } },
            { id: "n1", target: { case: "taskNode", value: { reference: { case: "referenceId", value: { name: "sub.t1" } } } } },
          ],
        },
      },
    ],
  });
  const specs = workflowSpecs(closure);
  const primary = specs.primary;

  it("reads kinds and names from the compiled workflow", () => {
    expect(primary.get("n0")).toMatchObject({ kind: "task", name: "wf.t1" });
    expect(primary.get("n1")).toMatchObject({ kind: "subworkflow", name: "wf.sub" });
    expect(primary.get("n2")).toMatchObject({ kind: "gate", gate: "approve", signalId: "ok" });
  });

  it("nests children under their parents, hides start and end, orders by start", () => {
    const top = [ne("n1", 20, { isParentNode: true }), ne("start-node", 0), ne("n0", 10), ne("n2", 30)];
    const children = new Map([["n1", [ne("n1-0-n1", 25), ne("n1-0-n0", 21, { isDynamic: true, isParentNode: true })]], ["n1-0-n0", [ne("n1-0-n0-0-n0", 22)]]]);
    const tree = buildNodeTree(top, children, specs);
    expect(tree.map((t) => [t.id, t.kind, t.name])).toEqual([["n0", "task", "wf.t1"], ["n1", "subworkflow", "wf.sub"], ["n2", "gate", "n2"]]);
    // A subworkflow's children are named from the subworkflow, whose ids repeat the parent's.
    expect(tree[1]!.children.map((c) => [c.id, c.kind, c.name])).toEqual([["n1-0-n0", "dynamic", "sub.t0"], ["n1-0-n1", "task", "sub.t1"]]);
    // A dynamic node's children come from a generated workflow: no definition to read.
    expect(tree[1]!.children[0]!.children.map((c) => [c.kind, c.name])).toEqual([["node", "n0"]]);
    expect(findNode(tree, "n1-0-n0-0-n0")?.id).toBe("n1-0-n0-0-n0");

    expect(visibleRows(tree, new Set()).map((r) => r.item.id)).toEqual(["n0", "n1", "n2"]);
    const open = visibleRows(tree, new Set(["n1", "n1-0-n0"]));
    expect(open.map((r) => [r.item.id, r.depth])).toEqual([["n0", 0], ["n1", 0], ["n1-0-n0", 1], ["n1-0-n0-0-n0", 2], ["n1-0-n1", 1], ["n2", 0]]);
    expect(parentsToLoad(tree, new Set(["n1", "n1-0-n0"]), new Set(["n1"]))).toEqual(["n1-0-n0"]);
  });

  it("marks map nodes and survives an answer that lists a node twice", () => {
    const tree = buildNodeTree([ne("m", 1, { isArray: true }), ne("m", 1)], new Map([["m", [ne("m", 2)]]]));
    expect(tree).toHaveLength(1);
    expect(tree[0]!.kind).toBe("map");
    expect(tree[0]!.children).toEqual([]);
  });

  it("builds 1,000 rows", () => {
    const top = Array.from({ length: 1000 }, (_, i) => ne(`n${i}`, i));
    expect(visibleRows(buildNodeTree(top, new Map()), new Set())).toHaveLength(1000);
  });
});

describe("graph layout", () => {
  it("places every node left to right along the connections", () => {
    const closure = create(CompiledWorkflowClosureSchema, {
      primary: {
        template: { nodes: [{ id: "start-node" }, { id: "a", metadata: { name: "a" } }, { id: "b", metadata: { name: "b" } }, { id: "end-node" }] },
        connections: { upstream: { a: { ids: ["start-node"] }, b: { ids: ["a", "ghost"] }, "end-node": { ids: ["b"] } } },
      },
    });
    const g = drawWorkflow(closure);
    expect(g.nodes.map((n) => n.id)).toEqual(["start-node", "a", "b", "end-node"]);
    expect(g.edges.map((e) => e.id)).toEqual(["start-node->a", "a->b", "b->end-node"]);
    const x = Object.fromEntries(g.nodes.map((n) => [n.id, n.x]));
    expect(x["start-node"]!).toBeLessThan(x.a!);
    expect(x.a!).toBeLessThan(x.b!);
  });
});

describe("node executions on the graph", () => {
  // n1 runs a sub-workflow (s0, s1; s1 a branch with cases s1-a and s1-b); n2 a dynamic task;
  // n1 was retried, so its children come twice.
  const specs = {
    primary: new Map([
      ["n0", { id: "n0", kind: "task" as const, name: "t0" }],
      ["n1", { id: "n1", kind: "subworkflow" as const, name: "sub", ref: { name: "sub" } as never }],
      ["n2", { id: "n2", kind: "task" as const, name: "dyn" }],
    ]),
    subworkflows: new Map([
      [
        "sub",
        new Map([
          ["s0", { id: "s0", kind: "task" as const, name: "t1" }],
          ["s1", { id: "s1", kind: "branch" as const, name: "s1" }],
          ["s1-a", { id: "s1-a", kind: "task" as const, name: "ta" }],
        ]),
      ],
    ]),
  };
  /** A child execution: its id is the engine's, its spec node id the node's id in its own workflow. */
  const child = (id: string, specNodeId: string, start: number, meta: { isParentNode?: boolean } = {}) => {
    const n = ne(id, start, meta);
    n.metadata!.specNodeId = specNodeId;
    return n;
  };
  const top = [ne("n0", 1), ne("n1", 2, { isParentNode: true }), ne("n2", 3, { isDynamic: true, isParentNode: true })];
  const children = new Map([
    ["n1", [child("n1-0-s0", "s0", 4), child("n1-1-s0", "s0", 6), child("n1-1-s1", "s1", 7, { isParentNode: true })]],
    ["n1-1-s1", [child("n1-1-s1-0-s1-a", "s1-a", 8)]],
    ["n2", [child("n2-0-d0", "d0", 9)]],
  ]);

  it("places each node execution at its drawn path, the latest attempt's children winning", () => {
    const tree = buildNodeTree(top, children, specs);
    const placed = executionsByDrawnId(tree);
    expect(Object.fromEntries([...placed].map(([path, item]) => [path, item.id]))).toEqual({
      n0: "n0",
      n1: "n1",
      "n1/s0": "n1-1-s0",
      "n1/s1": "n1-1-s1",
      "n1/s1/s1-a": "n1-1-s1-0-s1-a",
      // A dynamic node's generated workflow is not drawn: its children are not placed.
      n2: "n2",
    });
  });

  it("asks for the children of sub-workflow and branch parents, level by level, within a bound", () => {
    const firstAnswer = buildNodeTree(top, new Map(), specs);
    expect(graphParents(firstAnswer)).toEqual(["n1"]);
    expect(graphParents(buildNodeTree(top, children, specs))).toEqual(["n1", "n1-1-s1"]);
    const many = Array.from({ length: 10 }, (_, i) => ne(`w${i}`, i, { isParentNode: true }));
    const wide = buildNodeTree(many, new Map(), { primary: new Map(many.map((n) => [n.id!.nodeId, { id: n.id!.nodeId, kind: "subworkflow" as const, name: "x" }])), subworkflows: new Map() });
    expect(graphParents(wide, 4)).toHaveLength(4);
  });
});

describe("map items", () => {
  const r = (index: number, retryAttempt: number, phase: TaskExecution_Phase, log = "") =>
    create(ExternalResourceInfoSchema, { index, retryAttempt, phase, externalId: `x-${index}-${retryAttempt}`, logs: log ? [{ name: log, uri: `http://logs/${log}` }] : [] });
  const resources = [
    r(2, 0, TaskExecution_Phase.RUNNING),
    r(0, 0, TaskExecution_Phase.SUCCEEDED, "log-0"),
    r(1, 1, TaskExecution_Phase.FAILED, "log-1b"),
    r(1, 0, TaskExecution_Phase.RETRYABLE_FAILED, "log-1a"),
    r(3, 0, TaskExecution_Phase.SUCCEEDED),
  ];

  it("gives one row per item in index order, its latest attempt first and the earlier ones kept", () => {
    const items = mapItems(resources);
    expect(items.map((i) => [i.index, i.latest.retryAttempt, i.latest.phase])).toEqual([
      [0, 0, TaskExecution_Phase.SUCCEEDED],
      [1, 1, TaskExecution_Phase.FAILED],
      [2, 0, TaskExecution_Phase.RUNNING],
      [3, 0, TaskExecution_Phase.SUCCEEDED],
    ]);
    expect(items[1]!.externalId).toBe("x-1-1");
    expect(items[1]!.latest.logs.map((l) => l.name)).toEqual(["log-1b"]);
    expect(items[1]!.earlier.map((a) => [a.retryAttempt, a.logs[0]?.name])).toEqual([[0, "log-1a"]]);
    expect(mapItems([])).toEqual([]);
  });

  it("counts and filters items by their latest phase", () => {
    const items = mapItems(resources);
    expect(itemPhaseCounts(items).map((c) => [c.label, c.count])).toEqual([["Succeeded", 2], ["Failed", 1], ["Running", 1]]);
    expect(itemsInPhase(items, "Succeeded").map((i) => i.index)).toEqual([0, 3]);
    expect(itemsInPhase(items, "")).toHaveLength(4);
    expect(cacheLabel(2)).toBe("hit");
    expect(cacheLabel(42)).toBe("42");
  });

  it("groups 10,000 items", () => {
    const many = Array.from({ length: 10_000 }, (_, i) => r(9_999 - i, 0, TaskExecution_Phase.SUCCEEDED));
    const items = mapItems(many);
    expect(items).toHaveLength(10_000);
    expect(items[0]!.index).toBe(0);
  });
});

describe("timeline", () => {
  it("turns the span tree into rows with operation segments, open spans ending now", () => {
    const root = create(SpanSchema, {
      startTime: ts(100),
      endTime: ts(160),
      id: { case: "workflowId", value: exec },
      spans: [
        { startTime: ts(100), endTime: ts(101), id: { case: "operationId", value: "WORKFLOW_SETUP" } },
        {
          startTime: ts(101),
          endTime: ts(130),
          id: { case: "nodeId", value: { nodeId: "n0", executionId: exec } },
          spans: [
            { startTime: ts(101), endTime: ts(102), id: { case: "operationId", value: "NODE_SETUP" } },
            { startTime: ts(102), endTime: ts(129), id: { case: "taskId", value: { taskId: { name: "t1" }, retryAttempt: 0 } } },
          ],
        },
        { startTime: ts(130), id: { case: "nodeId", value: { nodeId: "n1", executionId: exec } } },
      ],
    });
    const t = buildTimeline(root, 200_000);
    expect(t.origin).toBe(100_000);
    expect(t.total).toBe(100_000);
    expect(t.rows.map((r) => [r.label, r.depth, r.start, r.end])).toEqual([["e", 0, 0, 60_000], ["n0", 1, 1_000, 30_000], ["n1", 1, 30_000, 100_000]]);
    expect(t.rows[0]!.segments).toEqual([{ label: "workflow setup", start: 0, end: 1_000 }]);
    expect(t.rows[1]!.segments.map((s) => s.label)).toEqual(["node setup", "t1 (attempt 1)"]);
    expect(buildTimeline(undefined, 5).rows).toEqual([]);
  });

  it("picks round ticks and keeps tiny bars visible", () => {
    expect(timelineTicks(10_000, 8)).toEqual([0, 2_000, 4_000, 6_000, 8_000, 10_000]);
    expect(timelineTicks(0)).toEqual([0]);
    expect(timelineTicks(90_000, 4)).toEqual([0, 30_000, 60_000, 90_000]);
    expect(barGeometry(50, 50, 100)).toEqual({ left: 50, width: 0.2 });
    expect(barGeometry(0, 100, 100)).toEqual({ left: 0, width: 100 });
  });

  it("formats durations for people", () => {
    expect(formatDurationMs(250)).toBe("250ms");
    expect(formatDurationMs(1_500)).toBe("1.5s");
    expect(formatDurationMs(61_000)).toBe("1m 1s");
    expect(formatDurationMs(90_060_000)).toBe("1d 1h 1m");
  });
});

describe("polling", () => {
  it("backs off while nothing changes and stops when terminal or hidden", () => {
    expect([0, 1, 2, 10, 1000].map((n) => nextPollDelay(n))).toEqual([1_000, 1_500, 2_250, 15_000, 15_000]);
    expect(pollInterval({ terminal: true, hidden: false, unchanged: 0 })).toBe(false);
    expect(pollInterval({ terminal: false, hidden: true, unchanged: 0 })).toBe(false);
    expect(pollInterval({ terminal: false, hidden: false, unchanged: 1 })).toBe(1_500);
    const c = new ChangeCounter();
    expect([c.observe("a"), c.observe("a"), c.observe("a"), c.observe("b")]).toEqual([0, 1, 2, 0]);
  });
});

describe("signal values", () => {
  const simple = (value: SimpleType) => create(LiteralTypeSchema, { type: { case: "simple", value } });
  const json = (l: ReturnType<typeof signalLiteral>) => (typeof l === "string" ? l : toJson(LiteralSchema, l));

  it("types a signal's value with the launch form's control for its type", () => {
    const int = signalField("n", simple(SimpleType.INTEGER));
    expect(int).toMatchObject({ name: "n", kind: "integer", required: true, initial: "" });
    expect(json(signalLiteral(int, " 42 "))).toEqual({ scalar: { primitive: { integer: "42" } } });
    expect(signalLiteral(int, "1.5")).toBe("Enter a whole number");
    expect(signalLiteral(int, "")).toBe("A value is required");

    const list = signalField("xs", create(LiteralTypeSchema, { type: { case: "collectionType", value: simple(SimpleType.INTEGER) } }));
    expect(list.kind).toBe("collection");
    expect(json(signalLiteral(list, "[1, 2]"))).toEqual({ collection: { literals: [{ scalar: { primitive: { integer: "1" } } }, { scalar: { primitive: { integer: "2" } } }] } });
    expect(signalLiteral(list, '["a"]')).toMatch(/^\[0\]: /);

    const optional = signalField("maybe", create(LiteralTypeSchema, { type: { case: "unionType", value: { variants: [simple(SimpleType.FLOAT), simple(SimpleType.NONE)] } } }));
    expect(optional.kind).toBe("union");
    expect(json(signalLiteral(optional, { variant: 0, value: "2.5" }))).toMatchObject({ scalar: { union: { value: { scalar: { primitive: { floatValue: 2.5 } } } } } });

    const color = signalField("color", create(LiteralTypeSchema, { type: { case: "enumType", value: { values: ["red", "green"] } } }));
    expect(signalLiteral(color, "blue")).toBe("Choose one of red, green");

    const unsupported = signalField("blob", simple(SimpleType.BINARY));
    expect(signalLiteral(unsupported, "x")).toMatch(/cannot be entered/);
    expect(json(approval(true))).toEqual({ scalar: { primitive: { boolean: true } } });
  });

  it("edits a dataclass signal field by field", () => {
    const point = signalField(
      "p",
      create(LiteralTypeSchema, {
        type: { case: "simple", value: SimpleType.STRUCT },
        metadata: { title: "Point", type: "object", properties: { x: { type: "integer" }, label: { type: "string" } }, required: ["x"] },
        structure: { dataclassType: { x: simple(SimpleType.INTEGER), label: simple(SimpleType.STRING) } },
      }),
    );
    expect(point.fields?.map((f) => [f.name, f.shape.kind, f.required])).toEqual([["label", "string", false], ["x", "integer", true]]);
    expect(point.initial).toEqual({ fields: { label: "", x: "" } });
    expect(signalLiteral(point, point.initial)).toBe("x: A value is required");
    expect(signalLiteral(point, { fields: { label: "", x: "x" } })).toBe("x: Enter a whole number");
    expect(json(signalLiteral(point, { fields: { label: "here", x: "3" } }))).toEqual({ scalar: { generic: { label: "here", x: 3 } } });
  });
});
