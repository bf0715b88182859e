import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { LiteralTypeSchema, type LiteralType, SchemaType_SchemaColumn_SchemaColumnType as Col } from "../../../gen/flyteidl/core/types_pb.js";
import { isCastable } from "../../../src/core/compiler/type-castable.js";
import { T } from "../../fixtures/flyte-builders.js";

const withTag = (t: LiteralType, tag: string): LiteralType => ({ ...t, structure: { $typeName: "flyteidl.core.TypeStructure", tag, dataclassType: {} } });
const schema = (cols: Record<string, Col>) =>
  create(LiteralTypeSchema, {
    type: { case: "schema", value: { columns: Object.entries(cols).map(([name, type]) => ({ name, type })) } },
  });
const struct = (schemaJson?: Record<string, unknown>): LiteralType =>
  create(LiteralTypeSchema, { type: { case: "simple", value: T.struct().type.value as number }, metadata: schemaJson as never });

const dcSchema = (props: Record<string, string>, required: string[]) => ({
  type: "object",
  title: "DC",
  properties: Object.fromEntries(Object.entries(props).map(([k, t]) => [k, { type: t }])),
  required,
  additionalProperties: false,
});

// [description, upstream, downstream, castable]
const table: [string, LiteralType, LiteralType, boolean][] = [
  ["int → int", T.int(), T.int(), true],
  ["int → float (no numeric widening)", T.int(), T.float(), false],
  ["str → int", T.str(), T.int(), false],
  ["metadata and annotations are ignored", { ...T.int(), metadata: { a: 1 } }, T.int(), true],
  ["none → none", T.none(), T.none(), true],
  ["int → none", T.int(), T.none(), false],
  ["list<int> → list<int>", T.list(T.int()), T.list(T.int()), true],
  ["list<int> → list<str>", T.list(T.int()), T.list(T.str()), false],
  ["list<none> (empty list) → list<str>", T.list(T.none()), T.list(T.str()), true],
  ["int → list<int>", T.int(), T.list(T.int()), false],
  ["list<list<int>> → list<list<int>>", T.list(T.list(T.int())), T.list(T.list(T.int())), true],
  ["map<float> → map<float>", T.map(T.float()), T.map(T.float()), true],
  ["map<float> → map<int>", T.map(T.float()), T.map(T.int()), false],
  ["map<none> (empty map) → map<int>", T.map(T.none()), T.map(T.int()), true],
  ["list<int> → map<int>", T.list(T.int()), T.map(T.int()), false],
  ["enum → str", T.enum("a", "b"), T.str(), true],
  ["str → enum", T.str(), T.enum("a", "b"), true],
  ["enum → int", T.enum("a"), T.int(), false],
  ["enum{a,b} → enum{a,b}", T.enum("a", "b"), T.enum("a", "b"), true],
  ["enum{a} → enum{a,b}", T.enum("a"), T.enum("a", "b"), false],
  ["int → optional<int>", T.int(), T.optional(T.int()), true],
  ["none → optional<int>", T.none(), T.optional(T.int()), true],
  ["str → optional<int>", T.str(), T.optional(T.int()), false],
  ["optional<int> → int (none cannot land)", T.optional(T.int()), T.int(), false],
  ["optional<int> → optional<int>", T.optional(T.int()), T.optional(T.int()), true],
  ["union<int,str> → union<str,int,float>", T.union(T.int(), T.str()), T.union(T.str(), T.int(), T.float()), true],
  ["union<int,str> → union<int>", T.union(T.int(), T.str()), T.union(T.int()), false],
  ["single-variant union<int> → int", T.union(T.int()), T.int(), true],
  ["int → union<int,int> is ambiguous", T.int(), T.union(T.int(), T.int()), false],
  ["blob csv → blob csv", T.blob("csv"), T.blob("csv"), true],
  ["blob csv → blob parquet", T.blob("csv"), T.blob("parquet"), false],
  ["blob csv → blob (generic)", T.blob("csv"), T.blob(), true],
  ["blob (generic) → blob csv", T.blob(), T.blob("csv"), true],
  ["str → blob", T.str(), T.blob(), false],
  ["sd parquet → sd parquet", T.sd("parquet"), T.sd("parquet"), true],
  ["sd parquet → sd CSV", T.sd("parquet"), T.sd("CSV"), false],
  ["sd (no format) → sd csv", T.sd(""), T.sd("csv"), true],
  ["sd PARQUET → sd parquet (case-insensitive)", T.sd("PARQUET"), T.sd("parquet"), true],
  ["sd {a:int,b:str} → sd {a:int}", T.sd("", { a: T.int(), b: T.str() }), T.sd("", { a: T.int() }), true],
  ["sd {a:int} → sd {a:str}", T.sd("", { a: T.int() }), T.sd("", { a: T.str() }), false],
  ["sd {a:int} → sd {b:int}", T.sd("", { a: T.int() }), T.sd("", { b: T.int() }), false],
  ["sd {} → sd {a:int} (generic upstream)", T.sd(""), T.sd("", { a: T.int() }), true],
  ["none → sd (datasets are nullable)", T.none(), T.sd(), true],
  ["schema {a:int} → sd {a:int}", schema({ a: Col.INTEGER }), T.sd("", { a: T.int() }), true],
  ["schema {a:int} → sd csv", schema({ a: Col.INTEGER }), T.sd("csv"), false],
  ["sd {a:float} → schema {a:float}", T.sd("", { a: T.float() }), schema({ a: Col.FLOAT }), true],
  ["sd csv → schema", T.sd("csv"), schema({}), false],
  ["schema {a:int,b:str} → schema {b:str}", schema({ a: Col.INTEGER, b: Col.STRING }), schema({ b: Col.STRING }), true],
  ["schema {a:int} → schema {a:str}", schema({ a: Col.INTEGER }), schema({ a: Col.STRING }), false],
  ["tagged upstream needs the same tag", withTag(T.str(), "x"), withTag(T.str(), "y"), false],
  ["same tag", withTag(T.str(), "x"), withTag(T.str(), "x"), true],
  ["struct without schema → struct", struct(), struct(dcSchema({ a: "integer" }, ["a"])), true],
  ["struct → same schema", struct(dcSchema({ a: "integer" }, ["a"])), struct(dcSchema({ a: "integer" }, ["a"])), true],
  [
    "struct with extra field → struct subset",
    struct(dcSchema({ a: "integer", b: "string" }, ["a", "b"])),
    struct(dcSchema({ a: "integer" }, ["a"])),
    true,
  ],
  ["struct → struct needing a missing field", struct(dcSchema({ a: "integer" }, ["a"])), struct(dcSchema({ a: "integer", b: "string" }, ["a", "b"])), false],
  ["struct field type differs", struct(dcSchema({ a: "integer" }, ["a"])), struct(dcSchema({ a: "string" }, ["a"])), false],
  ["struct → int", struct(), T.int(), false],
];

describe("isCastable", () => {
  it.each(table)("%s", (_name, up, down, expected) => {
    expect(isCastable(up, down)).toBe(expected);
  });
});
