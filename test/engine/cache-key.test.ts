import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { type Literal, type LiteralMap, LiteralMapSchema, LiteralSchema } from "../../gen/flyteidl/core/literals_pb.js";
import type { TaskTemplate } from "../../gen/flyteidl/core/tasks_pb.js";
import { LiteralTypeSchema } from "../../gen/flyteidl/core/types_pb.js";
import { artifactTag, CacheKeyError, cachePolicy, interfaceSignature, taskCacheKey } from "../../src/engine/local/cache-key.js";
import { iface, pythonTask, T, taskId } from "../fixtures/flyte-builders.js";

const int = (n: number): Literal => create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "integer", value: BigInt(n) } } } } } });
const str = (s: string): Literal => create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value: s } } } } } });
const list = (...items: Literal[]): Literal => create(LiteralSchema, { value: { case: "collection", value: { literals: items } } });
const map = (m: Record<string, Literal>): Literal => create(LiteralSchema, { value: { case: "map", value: { literals: m } } });
const generic = (o: Record<string, unknown>): Literal => create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "generic", value: o as never } } } });
const hashed = (l: Literal, hash: string): Literal => create(LiteralSchema, { ...l, hash });
const inputs = (m: Record<string, Literal>): LiteralMap => create(LiteralMapSchema, { literals: m });

function cachedTask(over: { version?: string; cacheVersion?: string; ignore?: string[]; serializable?: boolean } = {}): TaskTemplate {
  const t = pythonTask("wf.square", { x: T.int(), s: T.str() }, { o0: T.int() });
  t.id = taskId("wf.square", over.version ?? "v1");
  t.metadata!.discoverable = true;
  t.metadata!.discoveryVersion = over.cacheVersion ?? "1.0";
  t.metadata!.cacheIgnoreInputVars = over.ignore ?? [];
  t.metadata!.cacheSerializable = over.serializable ?? false;
  return t;
}

describe("task cache key", () => {
  it("computes flytepropeller's keys (its transformer_test.go vectors), so either finds the other's entries", () => {
    // GenerateDatasetIDForTask: no inputs or outputs, and inputs {"1": int, "2": int}.
    expect(interfaceSignature(undefined)).toBe("GKw-c0Pw-GKw-c0Pw");
    expect(interfaceSignature(iface({}, {}))).toBe("GKw-c0Pw-GKw-c0Pw");
    expect(interfaceSignature(iface({ "1": T.int(), "2": T.int() }, {}))).toBe("UxVtPm0k-GKw-c0Pw");
    expect(interfaceSignature(iface({ "2": T.int(), "1": T.int() }, {}))).toBe("UxVtPm0k-GKw-c0Pw");
    // GenerateArtifactTagName of {"1": 1, "2": 2}, and of {"1": 1, "2": 2, "3": 3} ignoring "3".
    expect(artifactTag(inputs({ "1": int(1), "2": int(2) }))).toBe("flyte_cached-GQid5LjHbakcW68DS3P2jp80QLbiF0olFHF2hTh5bg8");
    expect(artifactTag(inputs({ "1": int(1), "2": int(2), "3": int(3) }), ["3"])).toBe("flyte_cached-GQid5LjHbakcW68DS3P2jp80QLbiF0olFHF2hTh5bg8");
    // No inputs at all hash as the empty map ("{}").
    expect(artifactTag(inputs({}))).toBe("flyte_cached-GKw-c0PwFokMUQ6T-TUmEWnZ4_VlQ2Qpgw-vCTT0-OQ");
    const key = taskCacheKey(cachedTask({ cacheVersion: "  1.0 " }), inputs({ x: int(3), s: str("a") }));
    expect(key).toMatchObject({ project: "flytesnacks", domain: "development", datasetName: "flyte_task-wf.square", cacheVersion: "1.0" });
    expect(key.datasetVersion).toMatch(/^1\.0-[\w-]{8}-[\w-]{8}$/);
  });

  it("is the same for the same inputs whatever order their maps were built in, and ignores the task version", () => {
    const a = inputs({ x: int(3), s: str("a"), m: map({ b: int(1), a: list(int(1), int(2)), "10": int(0), "9": int(9) }), g: generic({ z: 1, a: { y: [1, { d: 2, c: 3 }], b: null } }) });
    const b = inputs({ g: generic({ a: { b: null, y: [1, { c: 3, d: 2 }] }, z: 1 }), m: map({ "9": int(9), a: list(int(1), int(2)), b: int(1), "10": int(0) }), s: str("a"), x: int(3) });
    expect(taskCacheKey(cachedTask(), a)).toEqual(taskCacheKey(cachedTask({ version: "v2" }), b));
    // Order inside a collection does matter.
    const c = inputs({ ...a.literals, m: map({ b: int(1), a: list(int(2), int(1)), "10": int(0), "9": int(9) }) });
    expect(taskCacheKey(cachedTask(), c).tag).not.toBe(taskCacheKey(cachedTask(), a).tag);
  });

  it("tells different inputs apart", () => {
    const key = (m: Record<string, Literal>) => taskCacheKey(cachedTask(), inputs(m)).tag;
    const tags = new Set([key({ x: int(3) }), key({ x: int(4) }), key({ y: int(3) }), key({ x: str("3") }), key({ x: list(int(3)) }), key({})]);
    expect(tags.size).toBe(6);
  });

  it("leaves cache_ignore_input_vars out of the tag", () => {
    const task = cachedTask({ ignore: ["s"] });
    const base = taskCacheKey(task, inputs({ x: int(3) }));
    expect(taskCacheKey(task, inputs({ x: int(3), s: str("one") }))).toEqual(base);
    expect(taskCacheKey(task, inputs({ x: int(3), s: str("two") }))).toEqual(base);
    expect(taskCacheKey(task, inputs({ x: int(4), s: str("one") })).tag).not.toBe(base.tag);
    // The same inputs without the ignore list differ.
    expect(taskCacheKey(cachedTask(), inputs({ x: int(3), s: str("one") })).tag).not.toBe(base.tag);
  });

  it("counts a literal that carries a hash as its hash alone, inside collections and maps too", () => {
    const tag = (l: Literal) => artifactTag(inputs({ df: l }));
    expect(tag(hashed(str("rows written on Monday"), "h1"))).toBe(tag(hashed(str("rows written on Tuesday"), "h1")));
    expect(tag(hashed(str("same"), "h1"))).not.toBe(tag(hashed(str("same"), "h2")));
    expect(tag(list(int(1), hashed(str("a"), "h1")))).toBe(tag(list(int(1), hashed(str("b"), "h1"))));
    expect(tag(map({ k: list(hashed(str("a"), "h1")) }))).toBe(tag(map({ k: list(hashed(str("b"), "h1")) })));
    // A hash on the collection itself stands for all of it.
    expect(tag(hashed(list(int(1)), "h9"))).toBe(tag(hashed(list(int(2), int(3)), "h9")));
    // Without a hash the value counts.
    expect(tag(list(int(1), str("a")))).not.toBe(tag(list(int(1), str("b"))));
  });

  it("derives the dataset version from the cache version and the interface, not from descriptions or type metadata", () => {
    const version = (t: TaskTemplate) => taskCacheKey(t, inputs({})).datasetVersion;
    const base = cachedTask();
    const described = cachedTask();
    described.interface!.inputs!.variables["x"]!.description = "another description";
    described.interface!.inputs!.variables["x"]!.type!.metadata = { source: "docstring" };
    described.interface!.outputs!.variables["o0"]!.type!.annotation = { $typeName: "flyteidl.core.TypeAnnotation", annotations: { any: 1 } };
    expect(version(described)).toBe(version(base));
    const keyed = cachedTask();
    keyed.interface!.outputs!.variables["o0"]!.type!.annotation = { $typeName: "flyteidl.core.TypeAnnotation", annotations: { "cache-key-metadata": { v: 1 } } };
    expect(version(keyed)).not.toBe(version(base));
    const retyped = cachedTask();
    retyped.interface = iface({ x: T.float(), s: T.str() }, { o0: T.int() });
    expect(version(retyped).split("-").slice(-1)).toEqual(version(base).split("-").slice(-1));
    expect(version(retyped)).not.toBe(version(base));
    // Nested types are stripped too.
    const nested = (meta: boolean) => {
      const t = cachedTask();
      const inner = create(LiteralTypeSchema, { type: { case: "simple", value: 1 }, ...(meta ? { metadata: { x: 1 } } : {}) });
      t.interface = iface({ l: T.list(T.map(T.union(inner, T.none()))) }, {});
      return version(t);
    };
    expect(nested(true)).toBe(nested(false));
    expect(version(cachedTask({ cacheVersion: "2.0" }))).not.toBe(version(base));
    expect(version(cachedTask({ cacheVersion: "2.0" })).startsWith("2.0-")).toBe(true);
  });

  it("refuses an empty cache_version and a template without id", () => {
    expect(() => taskCacheKey(cachedTask({ cacheVersion: "" }), inputs({}))).toThrow(CacheKeyError);
    expect(() => taskCacheKey(cachedTask({ cacheVersion: "   " }), inputs({}))).toThrow(/empty cache_version/);
    const noId = cachedTask();
    noId.id = undefined;
    expect(() => taskCacheKey(noId, inputs({}))).toThrow(CacheKeyError);
  });

  it("refuses inputs nested past the protobuf limit with a clear error", () => {
    let deep = int(1);
    for (let i = 0; i < 800; i++) deep = list(deep);
    expect(() => taskCacheKey(cachedTask(), inputs({ x: deep }))).toThrow(/nested deeper/);
  });

  it("says which tasks are cached and serialised", () => {
    expect(cachePolicy(cachedTask())).toEqual({ cacheable: true, serializable: false });
    expect(cachePolicy(cachedTask({ serializable: true }))).toEqual({ cacheable: true, serializable: true });
    const plain = pythonTask("wf.plain", {}, {});
    plain.metadata!.cacheSerializable = true;
    expect(cachePolicy(plain)).toEqual({ cacheable: false, serializable: false });
    expect(cachePolicy(undefined)).toEqual({ cacheable: false, serializable: false });
  });
});
