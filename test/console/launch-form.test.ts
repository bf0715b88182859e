import { create, equals, toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { type Literal, LiteralMapSchema, LiteralSchema } from "../../gen/flyteidl/core/literals_pb.js";
import { LiteralTypeSchema } from "../../gen/flyteidl/core/types_pb.js";
import { shapeOf } from "../../console/src/lib/form-shape.js";
import {
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
