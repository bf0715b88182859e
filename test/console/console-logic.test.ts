import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { CompiledWorkflowClosureSchema } from "../../gen/flyteidl/core/compiler_pb.js";
import { FixedRateUnit, ScheduleSchema } from "../../gen/flyteidl/admin/schedule_pb.js";
import { BlobType_BlobDimensionality, LiteralTypeSchema } from "../../gen/flyteidl/core/types_pb.js";
import { formatLiteralType } from "../../console/src/lib/literal-type.js";
import { bucketByPhase, rangeStart } from "../../console/src/lib/phase-buckets.js";
import { describeSchedule } from "../../console/src/lib/schedule.js";
import { drawWorkflow, MAX_NESTING } from "../../console/src/lib/workflow-graph.js";
import { branchNode, promise, pythonTask, subWorkflowNode, T, taskNode, workflow, workflowId } from "../fixtures/flyte-builders.js";

describe("literal types as Python reads them", () => {
  it("names simple, container and union types", () => {
    expect(formatLiteralType(T.int())).toBe("int");
    expect(formatLiteralType(T.list(T.map(T.float())))).toBe("List[Dict[str, float]]");
    expect(formatLiteralType(T.optional(T.str()))).toBe("Optional[str]");
    expect(formatLiteralType(T.union(T.int(), T.str()))).toBe("Union[int, str]");
    expect(formatLiteralType(T.enum("red", "green"))).toBe("Enum[red | green]");
    expect(formatLiteralType(T.datetime())).toBe("datetime");
    expect(formatLiteralType(undefined)).toBe("unknown");
  });

  it("names files, directories, pickles, datasets and dataclasses", () => {
    expect(formatLiteralType(T.blob("csv"))).toBe("FlyteFile[csv]");
    expect(formatLiteralType(create(LiteralTypeSchema, { type: { case: "blob", value: { format: "", dimensionality: BlobType_BlobDimensionality.MULTIPART } } }))).toBe("FlyteDirectory");
    expect(formatLiteralType(T.blob("PythonPickle"))).toBe("Pickle");
    expect(formatLiteralType(T.sd("parquet"))).toBe("StructuredDataset[parquet]");
    const dc = T.struct();
    dc.metadata = { title: "Point", type: "object" };
    expect(formatLiteralType(dc)).toBe("Point");
    expect(formatLiteralType(T.struct())).toBe("dict");
  });

  it("stops at a bounded depth", () => {
    let t = T.int();
    for (let i = 0; i < 50; i++) t = T.list(t);
    expect(formatLiteralType(t)).toContain("…");
  });
});

describe("schedules in words", () => {
  it("describes cron and fixed-rate schedules", () => {
    expect(describeSchedule(create(ScheduleSchema, { ScheduleExpression: { case: "cronSchedule", value: { schedule: "0 6 * * *" } } }))).toBe("cron 0 6 * * *");
    expect(describeSchedule(create(ScheduleSchema, { ScheduleExpression: { case: "cronExpression", value: "*/5 * * * *" } }))).toBe("cron */5 * * * *");
    expect(describeSchedule(create(ScheduleSchema, { ScheduleExpression: { case: "rate", value: { value: 10, unit: FixedRateUnit.MINUTE } } }))).toBe("every 10 minutes");
    expect(describeSchedule(create(ScheduleSchema, { ScheduleExpression: { case: "rate", value: { value: 1, unit: FixedRateUnit.DAY } } }))).toBe("every day");
    expect(describeSchedule(undefined)).toBeUndefined();
  });
});

describe("executions by phase over time", () => {
  const now = Date.parse("2026-03-10T15:30:00Z");
  it("counts per UTC day and tone, dropping what falls outside", () => {
    expect(new Date(rangeStart("7d", now)).toISOString()).toBe("2026-03-04T00:00:00.000Z");
    const buckets = bucketByPhase(
      [
        { createdMs: Date.parse("2026-03-10T01:00:00Z"), tone: "succeeded" },
        { createdMs: Date.parse("2026-03-10T02:00:00Z"), tone: "failed" },
        { createdMs: Date.parse("2026-03-04T00:00:00Z"), tone: "succeeded" },
        { createdMs: Date.parse("2026-03-03T23:59:59Z"), tone: "succeeded" },
      ],
      "7d",
      now,
    );
    expect(buckets).toHaveLength(7);
    expect(buckets[0]).toMatchObject({ total: 1, counts: { succeeded: 1 } });
    expect(buckets[6]).toMatchObject({ total: 2, counts: { succeeded: 1, failed: 1 } });
    expect(buckets.reduce((n, b) => n + b.total, 0)).toBe(3);
  });

  it("uses hours for the last day", () => {
    const buckets = bucketByPhase([{ createdMs: now - 60_000, tone: "running" }], "24h", now);
    expect(buckets).toHaveLength(24);
    expect(buckets[23]!.counts).toEqual({ running: 1 });
  });
});

describe("workflow drawing", () => {
  const double = pythonTask("ctl.double", { x: T.int() }, { o0: T.int() });
  const sub = workflow("ctl.inner", { inputs: { x: T.int() }, nodes: [taskNode("s0", double, { inputs: { x: promise("", "x") } }), taskNode("s1", double, { upstream: ["s0"] })] });
  const main = workflow("ctl.main", {
    inputs: { x: T.int() },
    nodes: [
      taskNode("n0", double),
      branchNode("n1", { var: "x", equals: 1 }, taskNode("n1-a", double), taskNode("n1-b", double), { upstream: ["n0"] }),
      subWorkflowNode("n2", sub, { upstream: ["n1"] }),
    ],
  });
  const closure = create(CompiledWorkflowClosureSchema, {
    primary: { template: main, connections: { upstream: { n0: { ids: ["start-node"] }, n1: { ids: ["n0"] }, n2: { ids: ["n1"] }, "end-node": { ids: ["n2"] } } } },
    subWorkflows: [{ template: sub, connections: { upstream: { s1: { ids: ["s0"] } } } }],
  });

  it("boxes sub-workflows and branch cases, parents before children, edges inside each box", () => {
    const d = drawWorkflow(closure);
    const ids = d.nodes.map((n) => n.id);
    expect(ids).toEqual(expect.arrayContaining(["start-node", "n0", "n1", "n1/n1-a", "n1/n1-b", "n2", "n2/s0", "n2/s1", "end-node"]));
    expect(d.nodes.find((n) => n.id === "n1")).toMatchObject({ group: true });
    expect(d.nodes.find((n) => n.id === "n1/n1-b")).toMatchObject({ parentId: "n1", caseLabel: "else" });
    for (const n of d.nodes) if (n.parentId) expect(ids.indexOf(n.parentId)).toBeLessThan(ids.indexOf(n.id));
    expect(d.edges.map((e) => e.id)).toEqual(expect.arrayContaining(["start-node->n0", "n0->n1", "n1->n2", "n2->end-node", "n2/s0->n2/s1"]));
    // A box is big enough to hold its children.
    const box = d.nodes.find((n) => n.id === "n2")!;
    for (const child of d.nodes.filter((n) => n.parentId === "n2")) {
      expect(child.x + child.width).toBeLessThanOrEqual(box.width);
      expect(child.y + child.height).toBeLessThanOrEqual(box.height);
    }
    expect(d.truncated).toBe(false);
  });

  it("draws a sub-workflow that contains itself once, and stops at the nesting limit", () => {
    const selfRef = workflow("ctl.loop", { nodes: [subWorkflowNode("again", { ...sub, id: workflowId("ctl.loop") } as typeof sub)] });
    const loop = create(CompiledWorkflowClosureSchema, { primary: { template: selfRef }, subWorkflows: [{ template: selfRef }] });
    const d = drawWorkflow(loop);
    expect(d.nodes.length).toBeLessThan(MAX_NESTING + 3);
  });

  it("draws nothing for an empty closure", () => {
    expect(drawWorkflow(undefined)).toMatchObject({ nodes: [], edges: [], width: 0, height: 0 });
  });
});
