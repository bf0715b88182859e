import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { describe, expect, it } from "vitest";
import { ExecutionClosureSchema, ExecutionListSchema, ExecutionSpecSchema } from "../../gen/flyteidl/admin/execution_pb.js";
import { ExecutionError_ErrorKind, WorkflowExecution_Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { encodeExecutionList } from "../../src/api/execution-list-bytes.js";
import { type ListedExecution, listedExecution } from "../../src/core/listed-execution.js";
import { seededRandom } from "../helpers/seeded-random.js";

/** Random text: ASCII, accents, CJK, emoji (surrogate pairs), lone surrogates, empty. */
function text(random: () => number, max: number): string {
  const pieces = ["a", "Z", "9", ".", "_", "é", "ß", "中", "🙂", "🚀", "\ud800", "\udfff", " ", "\u07ff", "\u0800", "\uffff"];
  const length = Math.floor(random() * max);
  let s = "";
  for (let i = 0; i < length; i++) s += pieces[Math.floor(random() * pieces.length)];
  return s;
}

const literals = (random: () => number) => ({
  literals: Object.fromEntries(
    Array.from({ length: Math.floor(random() * 3) }, (_, i) => [`in${i}`, { value: { case: "scalar" as const, value: { value: { case: "primitive" as const, value: { value: { case: "stringValue" as const, value: text(random, 20) } } } } } }]),
  ),
});

const MS = [0, 1, 999, 1000, 1_700_000_000_000, 1_700_000_000_123, 253_402_300_799_999, -1, -1000, -86_400_001, 2 ** 40 + 7];
const pick = <T>(random: () => number, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
const maybe = (random: () => number, p = 0.5) => random() < p;

/** A spec and closure as CreateExecution and the events write them, with every part the list rewrites sometimes set. */
function storedRow(random: () => number): ListedExecution {
  const id = { resourceType: ResourceType.LAUNCH_PLAN, project: "p", domain: "d", name: text(random, 30), version: "v1" };
  const spec = create(ExecutionSpecSchema, {
    ...(maybe(random, 0.9) ? { launchPlan: id } : {}),
    ...(maybe(random) ? { inputs: literals(random) } : {}),
    ...(maybe(random, 0.8) ? { metadata: { principal: text(random, 10), mode: pick(random, [0, 1, 2]), nesting: Math.floor(random() * 3) } } : {}),
    ...(maybe(random, 0.3) ? { labels: { values: { b: text(random, 5), a: "x", "10": "y", "2": "z" } } } : {}),
    ...(maybe(random, 0.3) ? { notificationOverrides: { case: "disableAll" as const, value: true } } : {}),
    maxParallelism: pick(random, [0, 25, 300]),
    ...(maybe(random, 0.3) ? { executionEnvAssignments: [{ nodeIds: ["n0", "n1"] }, { nodeIds: [text(random, 5)] }] } : {}),
  });
  const outcome = pick(random, ["none", "error", "error", "abort", "outputs", "data"] as const);
  const closure = create(ExecutionClosureSchema, {
    phase: pick(random, [0, WorkflowExecution_Phase.RUNNING, WorkflowExecution_Phase.FAILED, WorkflowExecution_Phase.SUCCEEDED]),
    ...(maybe(random) ? { computedInputs: literals(random) } : {}),
    ...(maybe(random, 0.7) ? { createdAt: timestampFromMs(pick(random, MS)) } : {}),
    ...(maybe(random, 0.7) ? { updatedAt: { seconds: BigInt(Math.floor(random() * 2e9)), nanos: Math.floor(random() * 1e9) } } : {}),
    ...(maybe(random) ? { startedAt: timestampFromMs(pick(random, MS)), duration: { seconds: 3n, nanos: 5 } } : {}),
    ...(maybe(random, 0.6) ? { workflowId: { ...id, resourceType: ResourceType.WORKFLOW } } : {}),
    ...(maybe(random, 0.3) ? { notifications: [{ phases: [3, 4], type: { case: "email" as const, value: { recipientsEmail: ["a@b"] } } }, { phases: [5] }] } : {}),
    ...(maybe(random, 0.8) ? { stateChangeDetails: { state: pick(random, [0, 1]), principal: text(random, 4) } } : {}),
    outputResult:
      outcome === "error"
        ? { case: "error" as const, value: { code: text(random, 10), message: text(random, pick(random, [5, 60, 200])), errorUri: text(random, 10), kind: pick(random, [0, ExecutionError_ErrorKind.USER, 2]) } }
        : outcome === "abort"
          ? { case: "abortMetadata" as const, value: { cause: text(random, 200), principal: "me" } }
          : outcome === "outputs"
            ? { case: "outputs" as const, value: { data: { case: "uri" as const, value: text(random, 30) } } }
            : outcome === "data"
              ? { case: "outputData" as const, value: literals(random) }
              : { case: undefined },
  });
  return {
    id: { project: text(random, 8), domain: text(random, 8), name: text(random, 25) },
    spec: toBinary(ExecutionSpecSchema, spec),
    closure: toBinary(ExecutionClosureSchema, closure),
    createdAt: new Date(pick(random, MS)),
    updatedAt: new Date(pick(random, MS)),
  };
}

/** What the list answered before its bytes were spliced. */
const decoded = (rows: readonly ListedExecution[], token: string) => toBinary(ExecutionListSchema, create(ExecutionListSchema, { executions: rows.map(listedExecution), token }));
const same = (rows: readonly ListedExecution[], token: string) => Buffer.from(encodeExecutionList(rows, token)).equals(Buffer.from(decoded(rows, token)));

/** Raw fields: [number, wire type, payload] written in the given order. */
function fields(...parts: [number, WireType, Uint8Array | number][]): Uint8Array {
  const w = new BinaryWriter();
  for (const [no, type, value] of parts) {
    w.tag(no, type);
    if (typeof value === "number") w.uint32(value);
    else w.bytes(value);
  }
  return w.finish();
}

describe("encodeExecutionList", () => {
  it("writes exactly toBinary's bytes of the decoded list for many random pages", () => {
    const random = seededRandom(41);
    for (let round = 0; round < 300; round++) {
      const rows = Array.from({ length: Math.floor(random() * 12) }, () => storedRow(random));
      const token = maybe(random) ? "" : String(Math.floor(random() * 1e6));
      expect(same(rows, token)).toBe(true);
    }
  });

  it("writes long pages whose lengths take several varint bytes", () => {
    const random = seededRandom(7);
    const rows = Array.from({ length: 200 }, () => storedRow(random));
    const big = { ...rows[0]!, spec: toBinary(ExecutionSpecSchema, create(ExecutionSpecSchema, { metadata: { principal: "x".repeat(300_000) } })) };
    expect(same([big, ...rows], "200")).toBe(true);
  });

  it("cuts an error message to 100 bytes without splitting a character, as the decoded list does", () => {
    for (const message of ["a".repeat(100), "a".repeat(101), "é".repeat(60), "🙂".repeat(30), "a" + "🙂".repeat(30)]) {
      const closure = toBinary(ExecutionClosureSchema, create(ExecutionClosureSchema, { outputResult: { case: "error", value: { message, code: "c" } } }));
      const rows = [{ id: { project: "p", domain: "d", name: "n" }, spec: new Uint8Array(0), closure, createdAt: new Date(5), updatedAt: new Date(6) }];
      expect(same(rows, "")).toBe(true);
    }
  });

  it("decodes stored forms toBinary would not write, and answers them the same", () => {
    const phase = [4, WireType.Varint, 2] as [number, WireType, number];
    const unknown = [15, WireType.LengthDelimited, new Uint8Array([1, 2])] as [number, WireType, Uint8Array];
    const forms = [
      fields(unknown, phase), // an unknown field before a known one
      fields(phase, [4, WireType.Varint, 3]), // a singular field twice
      fields([8, WireType.LengthDelimited, new Uint8Array([8, 1])], phase), // out of order
      fields(phase, unknown, [16, WireType.Varint, 9], unknown), // unknown fields kept as read
    ];
    for (const closure of forms) {
      const rows = [{ id: { project: "p", domain: "d", name: "n" }, spec: fields([2, WireType.LengthDelimited, new Uint8Array(0)]), closure, createdAt: new Date(1), updatedAt: new Date(2) }];
      expect(same(rows, "")).toBe(true);
    }
  });

  it("writes an empty page as nothing, or the token alone", () => {
    expect(encodeExecutionList([], "")).toEqual(new Uint8Array(0));
    expect(same([], "7")).toBe(true);
  });
});
