import { create, equals, type JsonObject, type MessageInitShape, toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { type Literal, LiteralMapSchema, LiteralSchema } from "../../gen/flyteidl/core/literals_pb.js";
import { LiteralTypeSchema, SimpleType, TypeStructureSchema } from "../../gen/flyteidl/core/types_pb.js";
import { type FieldShape, shapeOf } from "../../console/src/lib/form-shape.js";
import { MAX_STRUCT_DEPTH } from "../../console/src/lib/struct-fields.js";
import {
  emptyValue,
  type FieldValue,
  fieldToLiteral,
  formLiterals,
  isKeptValue,
  launchPlanFields,
  taskFields,
  valueFromLiteral,
  valuesFromLiterals,
} from "../../console/src/lib/launch-form.js";
import { loadFlytekitPackage } from "../fixtures/flytekit.js";

// Real flytekit 1.16 payloads: a workflow over every input type the form handles, with its defaults.
const pkg = loadFlytekitPackage("launch_types", "p", "d", "v1");
const lp = pkg.launchPlans[0]!.spec;
const fields = launchPlanFields(lp.defaultInputs!.parameters, lp.fixedInputs?.literals);
const field = (name: string) => fields.find((f) => f.name === name)!;
const json = (literals: Record<string, Literal>) => toJson(LiteralMapSchema, create(LiteralMapSchema, { literals }));

describe("launch form model from a launch plan", () => {
  it("has a field per input, required ones first, with kinds and labels", () => {
    expect(fields.map((f) => [f.name, f.kind, f.required])).toEqual([
      ["doc", "blob", true],
      ["folder", "blob", true],
      ["n", "integer", true],
      ["table", "structuredDataset", true],
      ["color", "enum", false],
      ["either", "union", false],
      ["maybe", "union", false],
      ["name", "string", false],
      ["nested", "collection", false],
      ["ok", "boolean", false],
      ["point", "struct", false],
      ["ratio", "float", false],
      ["wait", "duration", false],
      ["when", "datetime", false],
    ]);
    expect(field("nested").label).toBe("List[Dict[str, int]]");
    expect(field("maybe").label).toBe("Optional[int]");
    expect(field("either").label).toBe("Union[int, str]");
    expect(field("folder").label).toBe("FlyteDirectory");
    expect(field("point").label).toBe("Point");
    expect(field("color").values).toEqual(["red", "green"]);
  });

  it("shows each default in its control", () => {
    const initial = Object.fromEntries(fields.map((f) => [f.name, f.initial]));
    expect(initial).toMatchObject({
      n: "",
      doc: "",
      ratio: "0.25",
      name: "ada",
      ok: false,
      when: "2024-05-06T07:08:09.123456Z",
      wait: "1h30m0s",
      color: "green",
      maybe: { variant: 1, value: null },
      either: { variant: 1, value: "two" },
    });
    expect(JSON.parse(initial.nested as string)).toEqual([{ a: 1 }, { b: 2 }]);
    // flytekit sends a dataclass default as msgpack bytes: kept as it is, with a note.
    expect(isKeptValue(initial.point!)).toBe(true);
  });

  it("sends only what the user gives, the defaults staying the server's to fill", () => {
    const values = { n: "7", doc: "s3://b/doc.txt", folder: "s3://b/dir", table: "s3://b/t.parquet" };
    const { literals, errors } = formLiterals(fields, values);
    expect(errors).toEqual({});
    const sent = json(literals) as Record<string, Record<string, unknown>>;
    expect(Object.keys(sent["literals"]!).sort()).toEqual(
      ["color", "doc", "either", "folder", "maybe", "n", "name", "nested", "ok", "ratio", "table", "wait", "when"].sort(),
    );
    expect(sent).toMatchObject({
      literals: {
        n: { scalar: { primitive: { integer: "7" } } },
        doc: { scalar: { blob: { uri: "s3://b/doc.txt", metadata: { type: {} } } } },
        folder: { scalar: { blob: { uri: "s3://b/dir", metadata: { type: { dimensionality: "MULTIPART" } } } } },
        table: { scalar: { structuredDataset: { uri: "s3://b/t.parquet", metadata: { structuredDatasetType: {} } } } },
        maybe: { scalar: { union: { value: { scalar: { noneType: {} } }, type: { simple: "NONE", structure: { tag: "none" } } } } },
        either: { scalar: { union: { value: { scalar: { primitive: { stringValue: "two" } } }, type: { simple: "STRING" } } } },
      },
    });
  });

  it("gives the defaults back unchanged when the form is sent as shown", () => {
    const { literals } = formLiterals(fields, { n: "1", doc: "s3://b/d", folder: "s3://b/f", table: "s3://b/t" });
    for (const [name, p] of Object.entries(lp.defaultInputs!.parameters)) {
      if (p.behavior.case !== "default" || name === "point" || name === "maybe") continue;
      expect(equals(LiteralSchema, literals[name]!, p.behavior.value), name).toBe(true);
    }
  });

  it("says what is wrong, per field", () => {
    const { errors } = formLiterals(fields, {
      n: "1.5",
      ratio: "abc",
      when: "2024-02-30",
      wait: "soon",
      nested: '[{"a": "x"}]',
      point: "{not json",
      color: "blue",
    });
    expect(errors).toEqual({
      n: "Enter a whole number",
      doc: "A value is required",
      folder: "A value is required",
      table: "A value is required",
      ratio: "Enter a number",
      when: "Enter a date and time such as 2024-01-02T03:04:05Z",
      wait: "Enter a duration such as 1h30m, 45s or 250ms",
      nested: "[0].a: Enter a whole number",
      point: expect.stringMatching(/^Not valid JSON/),
      color: "Choose one of red, green",
    });
  });

  it("leaves a launch plan's fixed inputs out of what it sends", () => {
    const fixed = { k: create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value: "v" } } } } } }) };
    const withFixed = launchPlanFields(lp.defaultInputs!.parameters, fixed);
    const k = withFixed.find((f) => f.name === "k")!;
    expect(k.fixed).toBe(true);
    const { literals } = formLiterals(withFixed, { n: "1", doc: "s3://b/d", folder: "s3://b/f", table: "s3://b/t" });
    expect(literals["k"]).toBeUndefined();
  });
});

describe("literal types, one by one", () => {
  const lit = (name: string, value: FieldValue) => toJson(LiteralSchema, fieldToLiteral(field(name), value)!);

  it("integers are 64-bit and exact", () => {
    expect(lit("n", "9223372036854775807")).toEqual({ scalar: { primitive: { integer: "9223372036854775807" } } });
    expect(() => lit("n", "9223372036854775808")).toThrow("outside the 64-bit integer range");
    expect(() => lit("n", "0x10")).toThrow("Enter a whole number");
  });

  it("datetimes keep their fraction and zone, and a missing zone is UTC", () => {
    expect(lit("when", "2024-01-02T03:04:05.5+02:00")).toEqual({ scalar: { primitive: { datetime: "2024-01-02T01:04:05.500Z" } } });
    expect(lit("when", "2024-01-02")).toEqual({ scalar: { primitive: { datetime: "2024-01-02T00:00:00Z" } } });
  });

  it("durations are Go durations or seconds", () => {
    expect(lit("wait", "1.5s")).toEqual({ scalar: { primitive: { duration: "1.500s" } } });
    expect(lit("wait", "90")).toEqual({ scalar: { primitive: { duration: "90s" } } });
  });

  it("a union picks the variant the value fits, without converting across JSON types first", () => {
    expect(lit("either", { variant: 0, value: "12" })).toMatchObject({ scalar: { union: { value: { scalar: { primitive: { integer: "12" } } }, type: { simple: "INTEGER" } } } });
    expect(() => lit("either", { variant: 0, value: "x" })).toThrow("Enter a whole number");
    expect(lit("maybe", { variant: 0, value: "3" })).toMatchObject({ scalar: { union: { value: { scalar: { primitive: { integer: "3" } } } } } });
  });

  it("union members inside JSON are chosen by value", () => {
    const listOfEither = create(LiteralTypeSchema, { type: { case: "collectionType", value: field("either").type } });
    const sent = toJson(LiteralSchema, fieldToLiteral(shapeOf(listOfEither), '[1, "1"]')!) as { collection: { literals: unknown[] } };
    expect(sent.collection.literals).toMatchObject([
      { scalar: { union: { value: { scalar: { primitive: { integer: "1" } } }, type: { simple: "INTEGER" } } } },
      { scalar: { union: { value: { scalar: { primitive: { stringValue: "1" } } }, type: { simple: "STRING" } } } },
    ]);
    expect(() => fieldToLiteral(shapeOf(listOfEither), "[null]")).toThrow("[0]: Expected Union[int, str]");
  });

  it("a dataclass typed as JSON goes as a protobuf Struct, which flytekit reads into the dataclass", () => {
    expect(lit("point", '{"x": 3, "y": 1.5, "tags": ["a"]}')).toEqual({ scalar: { generic: { x: 3, y: 1.5, tags: ["a"] } } });
    expect(() => lit("point", "[1]")).toThrow("Expected an object, got a list");
  });

  it("nested lists and maps are typed all the way down", () => {
    expect(lit("nested", '[{"a": 1, "b": "2"}]')).toEqual({
      collection: { literals: [{ map: { literals: { a: { scalar: { primitive: { integer: "1" } } }, b: { scalar: { primitive: { integer: "2" } } } } } }] },
    });
    expect(() => lit("nested", '{"a": 1}')).toThrow("Expected a list, got object");
  });

  it("an empty string is a value for a string input, but not for a required one", () => {
    expect(lit("name", "")).toEqual({ scalar: { primitive: { stringValue: "" } } });
    const required = { ...field("name"), required: true };
    expect(formLiterals([required], { name: "" }).errors).toEqual({ name: "A value is required" });
  });
});

describe("tasks and relaunch", () => {
  it("a task's inputs are all required", () => {
    const task = taskFields(pkg.tasks[0]!.spec.template!.interface!.inputs!.variables);
    expect(task.every((f) => f.required)).toBe(true);
    expect(formLiterals(task, {}).errors["n"]).toBe("A value is required");
  });

  it("an execution's inputs go back into the form and out again unchanged", () => {
    const given = {
      n: "42",
      doc: "s3://b/doc.txt",
      folder: "s3://b/dir",
      table: "s3://b/t.parquet",
      ratio: "-1e-3",
      name: "grace",
      ok: true,
      when: "2020-02-29T23:59:59.000001Z",
      wait: "250ms",
      color: "red",
      nested: '[{"z": -5}]',
      maybe: { variant: 0, value: "9" },
      either: { variant: 0, value: "8" },
      point: '{"x": 1, "y": 2, "tags": []}',
    } satisfies Record<string, FieldValue>;
    const first = formLiterals(fields, given);
    expect(first.errors).toEqual({});
    const back = valuesFromLiterals(fields, first.literals);
    const second = formLiterals(fields, back);
    expect(json(second.literals)).toEqual(json(first.literals));
    expect(back["when"]).toBe("2020-02-29T23:59:59.000001Z");
    expect(back["maybe"]).toEqual({ variant: 0, value: "9" });
  });

  it("a literal the form cannot show is kept as it is", () => {
    const binary = create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "binary", value: { value: new Uint8Array([1, 2]), tag: "msgpack" } } } } });
    const value = valueFromLiteral(field("point"), binary);
    expect(isKeptValue(value) && value.note).toMatch(/msgpack-encoded value \(2 bytes\)/);
    expect(fieldToLiteral(field("point"), value)).toBe(binary);
  });
});

describe("dataclass sub-forms", () => {
  const simple = (value: SimpleType) => create(LiteralTypeSchema, { type: { case: "simple", value } });
  const struct = (init: { metadata?: JsonObject; structure?: MessageInitShape<typeof TypeStructureSchema> }) =>
    create(LiteralTypeSchema, { type: { case: "simple", value: SimpleType.STRUCT }, ...init });
  const sent = (shape: FieldShape, value: FieldValue) => toJson(LiteralSchema, fieldToLiteral(shape, value)!);

  it("edits flytekit's dataclass field by field, from its declared structure", () => {
    const point = field("point");
    expect(point.fields?.map((f) => [f.name, f.shape.kind, f.required])).toEqual([
      ["tags", "collection", false],
      ["x", "integer", false],
      ["y", "float", false],
    ]);
    // Its launch plan default is msgpack (kept); replacing it gives a field per field.
    expect(emptyValue(point)).toEqual({ fields: { tags: "", x: "", y: "" } });
    expect(sent(point, { fields: { tags: '["t"]', x: "5", y: "0.5" } })).toEqual({ scalar: { generic: { tags: ["t"], x: 5, y: 0.5 } } });
    // Empty fields are left to the dataclass's defaults; a wrong one names its field.
    expect(sent(point, { fields: { tags: "", x: "5", y: "" } })).toEqual({ scalar: { generic: { x: 5 } } });
    expect(() => fieldToLiteral(point, { fields: { tags: '[1]', x: "5", y: "" } })).toThrow("tags[0]: Expected a string, got number");
    // An earlier execution's value comes back into the fields, and out again unchanged.
    const generic = fieldToLiteral(point, { fields: { tags: '["p"]', x: "1", y: "2.5" } })!;
    const back = valueFromLiteral(point, generic);
    expect(back).toEqual({ fields: { tags: '[\n  "p"\n]', x: "1", y: "2.5" } });
    expect(sent(point, back)).toEqual(toJson(LiteralSchema, generic));
  });

  it("shows JSON text where a value does not fit the fields", () => {
    const point = field("point");
    const extra = create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "generic", value: { x: 1, z: 2 } } } } });
    expect(valueFromLiteral(point, extra)).toBe('{\n  "x": 1,\n  "z": 2\n}');
    const wrong = create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "generic", value: { x: "one" } } } } });
    expect(typeof valueFromLiteral(point, wrong)).toBe("string");
  });

  it("reads the fields from a JSON schema when the structure is not sent, `$ref`s and nesting included", () => {
    const schema = {
      $ref: "#/definitions/OuterSchema",
      definitions: {
        OuterSchema: {
          type: "object",
          required: ["inner", "when"],
          properties: {
            inner: { $ref: "#/definitions/InnerSchema" },
            when: { type: "string", format: "date-time" },
            mode: { type: "string", enum: ["a", "b"] },
            maybe: { anyOf: [{ type: "integer" }, { type: "null" }] },
            counts: { type: "object", additionalProperties: { type: "integer" } },
          },
        },
        InnerSchema: { type: "object", properties: { flag: { type: "boolean" } } },
      },
    };
    const outer = shapeOf(struct({ metadata: schema }));
    expect(outer.fields?.map((f) => [f.name, f.shape.kind, f.required])).toEqual([
      ["counts", "map", false],
      ["inner", "struct", true],
      ["maybe", "union", false],
      ["mode", "enum", false],
      ["when", "datetime", true],
    ]);
    const inner = outer.fields!.find((f) => f.name === "inner")!.shape;
    expect(inner.fields?.map((f) => [f.name, f.shape.kind])).toEqual([["flag", "boolean"]]);
    const value = emptyValue(outer);
    expect(value).toMatchObject({ fields: { inner: { fields: { flag: false } }, maybe: { variant: 1, value: null } } });
    const filled = { fields: { ...(value as { fields: Record<string, FieldValue> }).fields, when: "2024-01-02T03:04:05Z", mode: "b", counts: '{"k": 2}' } };
    expect(sent(outer, filled)).toEqual({ scalar: { generic: { counts: { k: 2 }, inner: { flag: false }, mode: "b", when: "2024-01-02T03:04:05Z", maybe: null } } });
  });

  it("writes a timedelta field as seconds, as flytekit's dataclass JSON has it", () => {
    const job = shapeOf(struct({ structure: { dataclassType: { wait: simple(SimpleType.DURATION) } } }));
    expect(sent(job, { fields: { wait: "1m30s" } })).toEqual({ scalar: { generic: { wait: 90 } } });
    const back = valueFromLiteral(job, fieldToLiteral(job, { fields: { wait: "1.5s" } })!);
    expect(back).toEqual({ fields: { wait: "1.5s" } });
  });

  it("uses JSON text for fields a sub-form cannot edit, unknown schemas and self-referencing ones", () => {
    const withFile = shapeOf(struct({ structure: { dataclassType: { f: create(LiteralTypeSchema, { type: { case: "blob", value: {} } }) } } }));
    expect(withFile.fields).toBeUndefined();
    expect(emptyValue(withFile)).toBe("");
    expect(shapeOf(struct({ metadata: { type: "object" } })).fields).toBeUndefined();
    const loop = { $ref: "#/definitions/Node", definitions: { Node: { type: "object", properties: { next: { $ref: "#/definitions/Node" } } } } };
    const shape = shapeOf(struct({ metadata: loop }));
    // Nested to the depth bound, then JSON.
    let depth = 0;
    for (let s: FieldShape | undefined = shape; s?.fields; s = s.fields[0]!.shape) depth++;
    expect(depth).toBeLessThanOrEqual(MAX_STRUCT_DEPTH);
  });
});
