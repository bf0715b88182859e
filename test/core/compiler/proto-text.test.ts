// Go's single-line prototext: the text flytepropeller matches ids by and puts in errors.
import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { IdentifierSchema, ResourceType } from "../../../gen/flyteidl/core/identifier_pb.js";
import { LiteralTypeSchema, SimpleType } from "../../../gen/flyteidl/core/types_pb.js";
import { goFloat, identifierText, literalTypeText, literalTypeToStr, protoText } from "../../../src/core/compiler/proto-text.js";
import { T } from "../../fixtures/flyte-builders.js";

describe("proto text", () => {
  it("identifiers: declaration order, zero values omitted, nil as <nil>", () => {
    const id = create(IdentifierSchema, { resourceType: ResourceType.TASK, project: "p", domain: "d", name: "t", version: "v1", org: "o" });
    expect(identifierText(id)).toBe('resource_type:TASK project:"p" domain:"d" name:"t" version:"v1" org:"o"');
    expect(identifierText(create(IdentifierSchema, { name: "x" }))).toBe('name:"x"');
    expect(identifierText(undefined)).toBe("<nil>");
  });

  it("writes identifiers exactly as the reflective walk does", () => {
    const texts = ["", "p", 'a"b\\c\nd\u0001', "é\u0085\u007f\t", "x y"];
    for (const resourceType of [0, 1, 2, 3, 4, 99]) {
      for (const text of texts) {
        const id = create(IdentifierSchema, { resourceType, project: text, domain: text.slice(1), name: `n${text}`, version: text, org: text.slice(0, 1) });
        expect(identifierText(id)).toBe(protoText(IdentifierSchema, id));
      }
    }
  });

  it("escapes strings like Go", () => {
    expect(identifierText(create(IdentifierSchema, { name: 'a"b\\c\nd\u0001' }))).toBe('name:"a\\"b\\\\c\\nd\\x01"');
  });

  it("literal types: nested messages, repeated fields, sorted map entries, Struct metadata", () => {
    expect(literalTypeText(T.list(T.map(T.int())))).toBe("collection_type:{map_value_type:{simple:INTEGER}}");
    expect(literalTypeText(T.optional(T.str()))).toBe("union_type:{variants:{simple:STRING} variants:{simple:NONE}}");
    expect(literalTypeText(T.enum("a", "b"))).toBe('enum_type:{values:"a" values:"b"}');
    expect(literalTypeText(T.none())).toBe("simple:NONE");
    const withMeta = create(LiteralTypeSchema, { type: { case: "simple", value: SimpleType.STRUCT }, metadata: { z: 1, a: "x" } });
    expect(literalTypeText(withMeta)).toBe(
      'simple:STRUCT metadata:{fields:{key:"a" value:{string_value:"x"}} fields:{key:"z" value:{number_value:1}}}',
    );
  });

  it("LiteralTypeToStr prints dataclass fields for structs", () => {
    const dc = create(LiteralTypeSchema, {
      type: { case: "simple", value: SimpleType.STRUCT },
      structure: { dataclassType: { b: T.str(), a: T.int() } },
    });
    expect(literalTypeToStr(dc)).toBe(
      "simple: STRUCT structure{dataclass_type:{key:a value:{simple:INTEGER}, dataclass_type:{key:b value:{simple:STRING}}",
    );
    expect(literalTypeToStr(undefined)).toBe("None");
  });

  it("formats floats like strconv 'g' (exponent from 1e6 and below 1e-4)", () => {
    expect(goFloat(1.5)).toBe("1.5");
    expect(goFloat(100000)).toBe("100000");
    expect(goFloat(1234567)).toBe("1.234567e+06");
    expect(goFloat(0.0001)).toBe("0.0001");
    expect(goFloat(0.00001)).toBe("1e-05");
    expect(goFloat(Number.NaN)).toBe("nan");
    expect(goFloat(-Infinity)).toBe("-inf");
  });
});
