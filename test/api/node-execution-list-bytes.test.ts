import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { describe, expect, it } from "vitest";
import { NodeExecutionClosureSchema, NodeExecutionListSchema, NodeExecutionMetaDataSchema } from "../../gen/flyteidl/admin/node_execution_pb.js";
import { CatalogCacheStatus } from "../../gen/flyteidl/core/catalog_pb.js";
import { ExecutionError_ErrorKind, NodeExecution_Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { encodeNodeExecutionList } from "../../src/api/node-execution-list-bytes.js";
import { type ListedNodeExecution, listedNodeExecution } from "../../src/core/listed-node-execution.js";
import { seededRandom } from "../helpers/seeded-random.js";

/** Random text: ASCII, accents, CJK, emoji (surrogate pairs), lone surrogates, U+FFFD, empty. */
function text(random: () => number, max: number): string {
  const pieces = ["a", "Z", "9", ".", "_", "é", "ß", "中", "🙂", "🚀", "\ud800", "\udfff", " ", "\u07ff", "\u0800", "\uffff", "\ufffd"];
  const length = Math.floor(random() * max);
  let s = "";
  for (let i = 0; i < length; i++) s += pieces[Math.floor(random() * pieces.length)];
  return s;
}

const MS = [0, 1, 999, 1_700_000_000_000, 1_700_000_000_123, -1000];
const pick = <T>(random: () => number, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
const maybe = (random: () => number, p = 0.5) => random() < p;

/** A closure and metadata as the node events write them, with every part a list touches sometimes set. */
function storedRow(random: () => number): ListedNodeExecution {
  const outcome = pick(random, ["none", "error", "error", "uri", "data"] as const);
  const task = { resourceType: ResourceType.TASK, project: "p", domain: "d", name: text(random, 20), version: "v1" };
  const closure = create(NodeExecutionClosureSchema, {
    phase: pick(random, [0, NodeExecution_Phase.RUNNING, NodeExecution_Phase.FAILED, NodeExecution_Phase.SUCCEEDED]),
    ...(maybe(random, 0.7) ? { createdAt: timestampFromMs(pick(random, MS)) } : {}),
    ...(maybe(random, 0.7) ? { updatedAt: { seconds: BigInt(Math.floor(random() * 2e9)), nanos: Math.floor(random() * 1e9) } } : {}),
    ...(maybe(random) ? { startedAt: timestampFromMs(pick(random, MS)), duration: { seconds: 3n, nanos: 5 } } : {}),
    ...(maybe(random, 0.3) ? { deckUri: text(random, 30) } : {}),
    ...(maybe(random, 0.2) ? { dynamicJobSpecUri: text(random, 30) } : {}),
    targetMetadata: maybe(random, 0.6)
      ? { case: "taskNodeMetadata" as const, value: { cacheStatus: pick(random, [0, CatalogCacheStatus.CACHE_HIT]), catalogKey: { datasetId: task }, checkpointUri: text(random, 10) } }
      : maybe(random, 0.3)
        ? { case: "workflowNodeMetadata" as const, value: { executionId: { project: "p", domain: "d", name: text(random, 10) } } }
        : { case: undefined },
    outputResult:
      outcome === "error"
        ? {
            case: "error" as const,
            value: { code: text(random, 10), message: text(random, pick(random, [5, 40, 200])), errorUri: text(random, 10), kind: pick(random, [0, ExecutionError_ErrorKind.USER, 2]) },
          }
        : outcome === "uri"
          ? { case: "outputUri" as const, value: text(random, 30) }
          : outcome === "data"
            ? { case: "outputData" as const, value: { literals: { o0: { value: { case: "scalar" as const, value: { value: { case: "primitive" as const, value: { value: { case: "integer" as const, value: 7n } } } } } } } } }
            : { case: undefined },
  });
  const metadata = create(NodeExecutionMetaDataSchema, {
    retryGroup: maybe(random, 0.2) ? text(random, 3) : "",
    isParentNode: maybe(random, 0.2),
    specNodeId: maybe(random, 0.8) ? text(random, 10) : "",
    isDynamic: maybe(random, 0.1),
    isArray: maybe(random, 0.1),
  });
  return {
    id: { project: text(random, 8), domain: text(random, 8), name: text(random, 20), nodeId: maybe(random, 0.95) ? text(random, 12) : "" },
    inputUri: maybe(random, 0.9) ? text(random, 40) : "",
    closure: toBinary(NodeExecutionClosureSchema, closure),
    metadata: toBinary(NodeExecutionMetaDataSchema, metadata),
  };
}

/** What the list answered before its bytes were spliced. */
const decoded = (rows: readonly ListedNodeExecution[], token: string) =>
  toBinary(NodeExecutionListSchema, create(NodeExecutionListSchema, { nodeExecutions: rows.map(listedNodeExecution), token }));
const same = (rows: readonly ListedNodeExecution[], token: string) => Buffer.from(encodeNodeExecutionList(rows, token)).equals(Buffer.from(decoded(rows, token)));

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

const row = (closure: Uint8Array, metadata: Uint8Array = new Uint8Array(0)): ListedNodeExecution => ({
  id: { project: "p", domain: "d", name: "n", nodeId: "n0" },
  inputUri: "s3://in",
  closure,
  metadata,
});

describe("encodeNodeExecutionList", () => {
  it("writes exactly toBinary's bytes of the decoded list for many random pages", () => {
    const random = seededRandom(17);
    for (let round = 0; round < 300; round++) {
      const rows = Array.from({ length: Math.floor(random() * 12) }, () => storedRow(random));
      const token = maybe(random) ? "" : String(Math.floor(random() * 1e6));
      expect(same(rows, token)).toBe(true);
    }
  });

  it("writes a page of a thousand nodes, and rows whose lengths take several varint bytes", () => {
    const random = seededRandom(3);
    const rows = Array.from({ length: 1_000 }, () => storedRow(random));
    const big = { ...rows[0]!, inputUri: "x".repeat(300_000) };
    expect(same([big, ...rows], "1000")).toBe(true);
  });

  it("cuts an error message to 100 bytes without splitting a character, as the decoded list does", () => {
    for (const message of ["a".repeat(100), "a".repeat(101), "é".repeat(60), "🙂".repeat(30), "a" + "🙂".repeat(30), "short\ufffd", "lone \ud800"]) {
      const closure = toBinary(NodeExecutionClosureSchema, create(NodeExecutionClosureSchema, { outputResult: { case: "error", value: { message, code: "c" } } }));
      expect(same([row(closure)], "")).toBe(true);
    }
  });

  it("decodes stored forms toBinary would not write, and answers them the same", () => {
    const phase = [3, WireType.Varint, 2] as [number, WireType, number];
    const unknown = [15, WireType.LengthDelimited, new Uint8Array([1, 2])] as [number, WireType, Uint8Array];
    const forms = [
      fields(unknown, phase), // an unknown field before a known one
      fields(phase, [3, WireType.Varint, 3]), // a singular field twice
      fields([7, WireType.LengthDelimited, new Uint8Array([8, 1])], phase), // out of order
      fields(phase, unknown, [16, WireType.Varint, 9], unknown), // unknown fields kept as read
    ];
    for (const closure of forms) expect(same([row(closure)], "")).toBe(true);
    // Metadata in a form toBinary would not write.
    expect(same([row(new Uint8Array(0), fields([3, WireType.LengthDelimited, new Uint8Array([0x61])], [1, WireType.LengthDelimited, new Uint8Array([0x62])]))], "")).toBe(true);
  });

  it("writes an empty page as nothing, or the token alone", () => {
    expect(encodeNodeExecutionList([], "")).toEqual(new Uint8Array(0));
    expect(same([], "7")).toBe(true);
  });
});
