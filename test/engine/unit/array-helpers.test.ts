import { create } from "@bufbuild/protobuf";
import { CatalogCacheStatus } from "../../../gen/flyteidl/core/catalog_pb.js";
import { ExecutionError_ErrorKind as Kind, TaskExecution_Phase as TaskPhase } from "../../../gen/flyteidl/core/execution_pb.js";
import { type Literal, type LiteralMap, LiteralMapSchema, LiteralSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { ArrayNodeSchema } from "../../../gen/flyteidl/core/workflow_pb.js";
import { NodeExecutionEventSchema, TaskExecutionEventSchema } from "../../../gen/flyteidl/event/event_pb.js";
import { describe, expect, it } from "vitest";
import { elementTemplate } from "../../../src/engine/local/array-elements.js";
import { arrayTaskEvent, externalResourcesOf, withEveryElement } from "../../../src/engine/local/array-events.js";
import { errorSummary, indexRanges } from "../../../src/engine/local/array-errors.js";
import { arraySize, elementInputs, MAX_ARRAY_SIZE } from "../../../src/engine/local/array-inputs.js";
import { gatherOutputs, noneLiteral } from "../../../src/engine/local/array-outputs.js";
import { arrayVerdict, minSuccesses } from "../../../src/engine/local/array-progress.js";
import { elementsOf, initialArrayState } from "../../../src/engine/local/array-state.js";
import { pythonTask, T } from "../../fixtures/flyte-builders.js";

const int = (n: number): Literal =>
  create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "integer", value: BigInt(n) } } } } } });
const list = (...xs: Literal[]): Literal => create(LiteralSchema, { value: { case: "collection", value: { literals: xs } } });
const map = (m: Record<string, Literal>): LiteralMap => create(LiteralMapSchema, { literals: m });

describe("array elements from the inputs (propeller's ArrayNode handler, phase None)", () => {
  it("counts the elements of the collections that are not bound", () => {
    expect(arraySize(map({ x: list(int(1), int(2), int(3)), y: list(int(4), int(5), int(6)) }), [])).toEqual({ size: 3 });
    // A bound collection goes whole to every element and is not counted; a scalar likewise.
    expect(arraySize(map({ x: list(int(1), int(2)), b: list(int(7)), s: int(9) }), ["b"])).toEqual({ size: 2 });
  });

  it("fails collections of different lengths, naming the lengths in input-name order", () => {
    const r = arraySize(map({ b: list(int(1)), a: list(int(1), int(2)) }), []);
    expect(r).toEqual({ error: expect.objectContaining({ kind: Kind.USER, code: "InvalidArrayLength", message: "input arrays have different lengths: expecting '2' found '1'" }) });
  });

  it("fails without a collection to map over unless every input is bound, which is one element", () => {
    expect(arraySize(map({ s: int(1) }), [])).toEqual({ error: expect.objectContaining({ kind: Kind.USER, code: "InvalidArrayLength", message: "no input array provided" }) });
    expect(arraySize(map({ s: int(1) }), ["s"])).toEqual({ size: 1 });
    expect(arraySize(map({ b: list(int(1), int(2)) }), ["b"])).toEqual({ size: 1 });
    expect(arraySize(map({}), [])).toEqual({ size: 1 });
  });

  it("has no elements for an empty list, and refuses more than it runs", () => {
    expect(arraySize(map({ x: list() }), [])).toEqual({ size: 0 });
    const huge = list(...Array.from({ length: MAX_ARRAY_SIZE + 1 }, () => int(0)));
    expect(arraySize(map({ x: huge }), [])).toEqual({ error: expect.objectContaining({ kind: Kind.USER, code: "ArrayTooLarge" }) });
  });

  it("gives each element its item of every mapped collection, and bound inputs and scalars whole", () => {
    const inputs = map({ x: list(int(1), int(2)), b: list(int(7), int(8)), s: int(9) });
    expect(elementInputs(inputs, 1, ["b"])).toEqual(map({ x: int(2), b: list(int(7), int(8)), s: int(9) }));
    expect(() => elementInputs(inputs, 2, ["b"])).toThrow("index 2 out of bounds for literal collection x");
  });
});

describe("array success criteria", () => {
  const spec = (init: Parameters<typeof create<typeof ArrayNodeSchema>>[1]) => create(ArrayNodeSchema, init).successCriteria;

  it("needs min_successes, else ceil(ratio × n) with the ratio as the float32 it is on the wire, else all", () => {
    expect(minSuccesses(spec({}), 5)).toBe(5);
    expect(minSuccesses(spec({ successCriteria: { case: "minSuccesses", value: 2 } }), 5)).toBe(2);
    expect(minSuccesses(spec({ successCriteria: { case: "minSuccessRatio", value: 0.5 } }), 3)).toBe(2);
    expect(minSuccesses(spec({ successCriteria: { case: "minSuccessRatio", value: 0.5 } }), 0)).toBe(0);
    // float32(0.3) is 0.30000001192…: propeller needs 4 of 10.
    expect(minSuccesses(spec({ successCriteria: { case: "minSuccessRatio", value: 0.3 } }), 10)).toBe(4);
  });

  it("succeeds once nothing runs and enough succeeded, fails once they no longer can", () => {
    expect(arrayVerdict(["Succeeded", "Running"], 2).phase).toBe("Executing");
    expect(arrayVerdict(["Succeeded", "Succeeded"], 2).phase).toBe("Succeeding");
    expect(arrayVerdict(["Succeeded", "Failed", "Running"], 2).phase).toBe("Executing");
    expect(arrayVerdict(["Succeeded", "Failed", "TimedOut"], 2)).toEqual({ phase: "Failing", failing: 0, failed: 2 });
    // A failing element is not yet failed, and not running either.
    expect(arrayVerdict(["Succeeded", "Failing"], 1)).toEqual({ phase: "Succeeding", failing: 1, failed: 0 });
    expect(arrayVerdict(["Succeeding", "Skipped", "Recovered"], 2).phase).toBe("Executing");
    expect(arrayVerdict([], 0).phase).toBe("Succeeding");
  });
});

describe("the failure summary (propeller's error collector)", () => {
  it("prints runs of indices per distinct message, messages sorted", () => {
    expect(indexRanges([3, 0, 1, 7, 8, 9, 5])).toBe("[0-1][3][5][7-9]");
    const failures = new Map([
      [0, "duplicate message"],
      [1, "duplicate message"],
      [2, "unique message"],
      [3, "duplicate message"],
    ]);
    expect(errorSummary(failures, 1000)).toBe("[0-1][3]: duplicate message\n[2]: unique message\n");
    expect(errorSummary(failures, 30)).toBe("[0-1][3]: duplicate message\n... and many more.");
    expect(errorSummary(new Map())).toBe("");
  });
});

describe("the array's outputs", () => {
  it("are one list per output in index order, none where an element did not succeed", () => {
    const out = gatherOutputs(["o0"], [map({ o0: int(2) }), undefined, map({ o0: int(4) })]);
    expect(out).toEqual(map({ o0: list(int(2), noneLiteral(), int(4)) }));
    expect(gatherOutputs(["o0"], [])).toEqual(map({ o0: list() }));
    expect(gatherOutputs([], [undefined])).toEqual(map({}));
  });

  it("are checked per element against the element's type", () => {
    const t = pythonTask("m.plus_one", { x: T.list(T.int()) }, { o0: T.list(T.int()), n: T.int() });
    const e = elementTemplate(t);
    expect(e.interface?.outputs?.variables.o0?.type).toEqual(T.int());
    expect(e.interface?.outputs?.variables.n?.type).toEqual(T.int());
    expect(e.interface?.inputs).toEqual(t.interface?.inputs);
    expect(t.interface?.outputs?.variables.o0?.type).toEqual(T.list(T.int()));
  });
});

describe("the compact per-element state", () => {
  it("keeps a character per element and sparse attempts", () => {
    const st = initialArrayState(3);
    expect(st).toMatchObject({ phase: "Executing", size: 3, phases: "NNN", taskPhases: "UUU", version: 0 });
    const el = elementsOf(st);
    el.phases[1] = "Succeeded";
    el.phases[2] = "Aborted";
    el.taskPhases[1] = "Success";
    el.setAttempts(2, 1);
    el.store();
    expect(st).toMatchObject({ phases: "NSA", taskPhases: "USU", attempts: { 2: 1 } });
    expect(elementsOf(st).phases).toEqual(["NotYetStarted", "Succeeded", "Aborted"]);
    expect(() => elementsOf({ ...st, phases: "NS" })).toThrow("2 phases for 3 elements");
    expect(() => elementsOf({ ...st, phases: "NS?" })).toThrow("unknown phases code [?]");
  });
});

describe("external resources of the array's task execution", () => {
  const log = { name: "Local logs (User)", uri: "http://x/logs" };

  it("are one per task event of an element, logs renamed with the index", () => {
    const taskEvents = [create(TaskExecutionEventSchema, { phase: TaskPhase.RUNNING, logs: [log] })];
    const [r] = externalResourcesOf({ nodeEvents: [], taskEvents }, { index: 4, retryAttempt: 1, externalId: "x-n4-1" });
    expect(r).toMatchObject({ externalId: "x-n4-1", index: 4, retryAttempt: 1, phase: TaskPhase.RUNNING, cacheStatus: CatalogCacheStatus.CACHE_DISABLED });
    expect(r?.logs.map((l) => l.name)).toEqual(["Local logs (User)-4"]);
    expect(taskEvents[0]?.logs[0]?.name).toBe("Local logs (User)");
  });

  it("report a cache hit without a task event as a SUCCEEDED element", () => {
    const nodeEvents = [create(NodeExecutionEventSchema, { targetMetadata: { case: "taskNodeMetadata", value: { cacheStatus: CatalogCacheStatus.CACHE_HIT } } })];
    expect(externalResourcesOf({ nodeEvents, taskEvents: [] }, { index: 0, retryAttempt: 0, externalId: "e" })).toEqual([
      expect.objectContaining({ phase: TaskPhase.SUCCEEDED, cacheStatus: CatalogCacheStatus.CACHE_HIT }),
    ]);
    expect(externalResourcesOf({ nodeEvents: [], taskEvents: [] }, { index: 0, retryAttempt: 0, externalId: "e" })).toEqual([]);
  });

  it("name every element in a terminal event, from its recorded phase where this step said nothing", () => {
    const aborted = externalResourcesOf({ nodeEvents: [], taskEvents: [create(TaskExecutionEventSchema, { phase: TaskPhase.ABORTED })] }, { index: 1, retryAttempt: 0, externalId: "a-n1-0" });
    const all = withEveryElement(aborted, ["Succeeded", "Aborted", "Failing", "NotYetStarted"], (i) => ({ retryAttempt: i === 2 ? 1 : 0, externalId: `a-n${i}-${i === 2 ? 1 : 0}` }));
    expect(all.map((r) => [r.index, r.externalId, r.retryAttempt, TaskPhase[r.phase]])).toEqual([
      [0, "a-n0-0", 0, "SUCCEEDED"],
      [1, "a-n1-0", 0, "ABORTED"],
      [2, "a-n2-1", 1, "FAILED"],
      [3, "a-n3-0", 0, "UNDEFINED"],
    ]);
  });

  it("belong to one task event: attempt 0, container_array, k8s-array, inputs only when queued", () => {
    const e = arrayTaskEvent({
      executionId: { project: "p", domain: "d", name: "e" } as never,
      nodeId: "n0",
      taskId: undefined,
      phase: TaskPhase.QUEUED,
      version: 0,
      producerId: "local",
      occurredAt: new Date(0),
      externalResources: [],
      inputUri: "file:///in.pb",
    });
    expect(e).toMatchObject({ retryAttempt: 0, taskType: "container_array", eventVersion: 1, metadata: { pluginIdentifier: "k8s-array" }, inputValue: { case: "inputUri", value: "file:///in.pb" } });
    const failed = arrayTaskEvent({ ...e, executionId: e.parentNodeExecutionId!.executionId!, nodeId: "n0", taskId: undefined, phase: TaskPhase.FAILED, version: 0, producerId: "local", occurredAt: new Date(0), externalResources: [], error: { message: "[0]: boom\n" } as never });
    expect(failed.outputResult).toMatchObject({ case: "error", value: { message: "[0]: boom\n" } });
  });
});
