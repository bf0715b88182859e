import { create, fromBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { TaskSpecSchema } from "../../../gen/flyteidl/admin/task_pb.js";
import { LiteralMapSchema, LiteralSchema, type Literal, type PrimitiveSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { generatedName, retryUniqueKey } from "../../../src/engine/local/ids.js";
import { encodeMsgpack, MsgpackFloat } from "../../../src/engine/local/msgpack-value.js";
import { checkpointPrefix, inputsPath, outputDir, rawOutputPrefix, taskTemplatePath, topNodeDataDir, workflowDir } from "../../../src/engine/local/paths.js";
import { literalArgText, RenderError, renderArgs, usesTaskTemplatePath, type RenderValues } from "../../../src/engine/local/render.js";
import { loadFlytekitPackage } from "../../fixtures/flytekit.js";

const lit = (init: MessageInitShape<typeof LiteralSchema>): Literal => create(LiteralSchema, init);
const prim = (value: MessageInitShape<typeof PrimitiveSchema>["value"]): Literal =>
  lit({ value: { case: "scalar", value: { value: { case: "primitive", value: { value } } } } });
const int = (v: bigint) => prim({ case: "integer", value: v });
const str = (v: string) => prim({ case: "stringValue", value: v });
const float = (v: number) => prim({ case: "floatValue", value: v });
const bool = (v: boolean) => prim({ case: "boolean", value: v });
const msgpack = (v: unknown, tag = "msgpack") => lit({ value: { case: "scalar", value: { value: { case: "binary", value: { value: encodeMsgpack(v), tag } } } } });
const collection = (...literals: Literal[]) => lit({ value: { case: "collection", value: { literals } } });

/** The worked example of engine-spec §2.7: node n0 of flytesnacks/development/abc123, attempt 0. */
function workedExample(attempt = 0): RenderValues {
  const w = workflowDir("file:///data/blobs/metadata/propeller", { project: "flytesnacks", domain: "development", name: "abc123" });
  const d = topNodeDataDir(w, "n0");
  const name = generatedName("abc123", "n0", attempt);
  const raw = rawOutputPrefix("file:///data/blobs/data", name);
  const prev = attempt > 0 ? checkpointPrefix(rawOutputPrefix("file:///data/blobs/data", generatedName("abc123", "n0", attempt - 1))) : "";
  return {
    input: inputsPath(d),
    inputPrefix: d,
    outputPrefix: outputDir(d, attempt),
    rawOutputDataPrefix: raw,
    checkpointOutputPrefix: checkpointPrefix(raw),
    prevCheckpointPrefix: prev,
    perRetryUniqueKey: retryUniqueKey(name),
    namespace: "flytesnacks-development",
  };
}

const M = "file:///data/blobs/metadata/propeller/flytesnacks-development-abc123";
const UNIT_FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "resolve_units");

describe("renderArgs with the argv flytekit serialises", () => {
  it("renders a python-task registered by pyflyte (hello/say_hello)", () => {
    const pkg = loadFlytekitPackage("hello", "flytesnacks", "development", "v1");
    const container = pkg.tasks[0]!.spec.template!.target;
    expect(container.case).toBe("container");
    if (container.case !== "container") return;
    expect(renderArgs(container.value.args, workedExample())).toEqual([
      "pyflyte-execute",
      "--inputs", `${M}/n0/data/inputs.pb`,
      "--output-prefix", `${M}/n0/data/0`,
      "--raw-output-data-prefix", "file:///data/blobs/data/0l/abc123-n0-0",
      "--checkpoint-path", "file:///data/blobs/data/0l/abc123-n0-0/_flytecheckpoints",
      "--prev-checkpoint", '""',
      "--resolver", "flytekit.core.python_auto_container.default_task_resolver",
      "--", "task-module", "cfx.hello.wf", "task-name", "say_hello",
    ]);
    expect(renderArgs(container.value.command, workedExample())).toEqual([]);
  });

  it("renders every task of the typed DAG and leaves no template behind", () => {
    const pkg = loadFlytekitPackage("typed_dag", "flytesnacks", "development", "v1");
    expect(pkg.tasks.length).toBe(4);
    for (const t of pkg.tasks) {
      const target = t.spec.template!.target;
      if (target.case !== "container") throw new Error("expected a container task");
      const rendered = renderArgs(target.value.args, workedExample(1));
      expect(rendered.join(" ")).not.toMatch(/\{\{/);
      expect(rendered[rendered.indexOf("--prev-checkpoint") + 1]).toMatch(/_flytecheckpoints$/);
      expect(rendered[rendered.indexOf("--output-prefix") + 1]).toBe(`${M}/n0/data/1`);
    }
  });

  it("renders map tasks (pyflyte-map-execute), keeping empty entries and the fast-register placeholder", () => {
    for (const file of ["map_plus_one_1.pb", "map_plus_one_fast_1.pb"]) {
      const target = fromBinary(TaskSpecSchema, readFileSync(join(UNIT_FIXTURES, file))).template!.target;
      if (target.case !== "container") throw new Error("expected a container task");
      const args = target.value.args;
      const out = renderArgs(args, workedExample());
      expect(out).toHaveLength(args.length);
      const at = out.indexOf("pyflyte-map-execute");
      expect(out.slice(at)).toEqual([
        "pyflyte-map-execute",
        "--inputs", `${M}/n0/data/inputs.pb`,
        "--output-prefix", `${M}/n0/data/0`,
        "--raw-output-data-prefix", "file:///data/blobs/data/0l/abc123-n0-0",
        "--checkpoint-path", "file:///data/blobs/data/0l/abc123-n0-0/_flytecheckpoints",
        "--prev-checkpoint", '""',
        "--resolver", "flytekit.core.array_node_map_task.ArrayNodeMapTaskResolver",
        "--", "vars", "", "resolver", "flytekit.core.python_auto_container.default_task_resolver",
        "task-module", "resolve_units.wf", "task-name", "plus_one",
      ]);
      // fast registration: everything before the map command is kept as is, placeholder included
      expect(out.slice(0, at)).toEqual(args.slice(0, at));
      if (file.includes("fast")) expect(out.slice(0, at)).toContain("{{ .remote_package_path }}");
    }
  });
});

describe("template patterns", () => {
  const values: RenderValues = {
    input: "I",
    inputPrefix: "IP",
    outputPrefix: "OP",
    rawOutputDataPrefix: "RAW",
    checkpointOutputPrefix: "CK",
    prevCheckpointPrefix: "PREV",
    perRetryUniqueKey: "KEY",
    namespace: "p-d",
  };
  it("are case-insensitive, allow spaces and `.` or `$`", () => {
    expect(renderArgs(["{{ .Input }}", "{{$input}}", "{{.INPUT}}", "{{\t.input\n}}"], values)).toEqual(["I", "I", "I", "I"]);
    expect(renderArgs(["{{$outputPrefix}}/x", "{{ .inputprefix }}", "{{.RawOutputDataPrefix}}"], values)).toEqual(["OP/x", "IP", "RAW"]);
    expect(renderArgs(["{{.checkpointOutputPrefix}}", "{{.prevCheckpointPrefix}}", "{{.perRetryUniqueKey}}", "{{.namespace}}"], values)).toEqual([
      "CK", "PREV", "KEY", "p-d",
    ]);
  });
  it("render several patterns in one entry and leave others alone", () => {
    expect(renderArgs(["--in={{.input}},out={{.outputPrefix}}"], values)).toEqual(["--in=I,out=OP"]);
    expect(renderArgs(["{{ .remote_package_path }}", "{{ .dest_dir }}", "{{input}}", "{{.input", "{{.unknown}}"], values)).toEqual([
      "{{ .remote_package_path }}", "{{ .dest_dir }}", "{{input}}", "{{.input", "{{.unknown}}",
    ]);
  });
  it("write the two characters \"\" for a missing previous checkpoint", () => {
    expect(renderArgs(["{{.prevCheckpointPrefix}}"], { ...values, prevCheckpointPrefix: "" })).toEqual(['""']);
  });
  it("substitute the task template path only when given", () => {
    expect(usesTaskTemplatePath(["a", "{{ .TaskTemplatePath }}"])).toBe(true);
    expect(usesTaskTemplatePath(["{{.input}}"])).toBe(false);
    expect(renderArgs(["{{.taskTemplatePath}}"], values)).toEqual(["{{.taskTemplatePath}}"]);
    expect(renderArgs(["{{.taskTemplatePath}}"], { ...values, taskTemplatePath: taskTemplatePath("D") })).toEqual(["D/task.pb"]);
  });
  it("never read `$` in values as a back-reference", () => {
    expect(renderArgs(["{{.input}}"], { ...values, input: "s3://b/$1/$&/x" })).toEqual(["s3://b/$1/$&/x"]);
  });
  it("substitute in propeller's order (a value containing a later pattern is expanded again)", () => {
    expect(renderArgs(["{{.input}}"], { ...values, input: "{{.namespace}}" })).toEqual(["p-d"]);
    expect(renderArgs(["{{.namespace}}"], { ...values, namespace: "{{.input}}" })).toEqual(["{{.input}}"]);
  });
});

describe("{{.inputs.<name>}}", () => {
  const base = workedExample();
  const inputs = create(LiteralMapSchema, {
    literals: {
      n: int(42n),
      f: float(1234567),
      s: str("hello world"),
      b: bool(false),
      l: collection(int(1n), collection(str("a"), str("b"))),
      dc: msgpack({ b: 2, a: new MsgpackFloat(1.5) }),
    },
  });
  it("serialises literals like propeller", () => {
    expect(renderArgs(["{{.inputs.n}}", "{{ .Inputs.f }}", "--s={{$inputs.s}}", "{{.inputs.b}}", "{{.inputs.l}}", "{{.inputs.dc}}"], { ...base, inputs })).toEqual([
      "42", "1.234567e+06", "--s=hello world", "false", "[1,[a,b]]", "map[a:1.5 b:2]",
    ]);
  });
  it("variable names are case-sensitive; a missing one is a RenderError", () => {
    expect(() => renderArgs(["{{.inputs.N}}"], { ...base, inputs })).toThrow(RenderError);
    expect(() => renderArgs(["{{.inputs.missing}}"], { ...base, inputs })).toThrow(/requested input is not found \[missing\]/);
  });
  it("are left alone when there are no inputs, as propeller does", () => {
    expect(renderArgs(["{{.inputs.x}}"], base)).toEqual(["{{.inputs.x}}"]);
    expect(renderArgs(["{{.inputs.x}}"], { ...base, inputs: create(LiteralMapSchema, {}) })).toEqual(["{{.inputs.x}}"]);
  });
  it("report every failing input of an entry", () => {
    const err = (() => {
      try {
        renderArgs(["{{.inputs.x}}-{{.inputs.y}}"], { ...base, inputs });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(RenderError);
    expect(err!.message).toMatch(/\[x\].*\[y\]/);
  });
});

describe("literalArgText", () => {
  it("prints primitives", () => {
    expect(literalArgText(int(-7n))).toBe("-7");
    expect(literalArgText(int(9223372036854775807n))).toBe("9223372036854775807");
    expect(literalArgText(bool(true))).toBe("true");
    expect(literalArgText(float(0.5))).toBe("0.5");
    expect(literalArgText(float(2))).toBe("2");
    expect(literalArgText(float(0.00001))).toBe("1e-05");
    expect(literalArgText(str(""))).toBe("");
    expect(literalArgText(prim({ case: "datetime", value: timestampFromDate(new Date("2024-01-02T03:04:05.500Z")) }))).toBe("2024-01-02T03:04:05.5Z");
    expect(literalArgText(prim({ case: "datetime", value: { seconds: 1704164645n, nanos: 0 } }))).toBe("2024-01-02T03:04:05Z");
    expect(literalArgText(prim({ case: "duration", value: { seconds: 90n, nanos: 0 } }))).toBe("1m30s");
    expect(literalArgText(prim({ case: "duration", value: { seconds: 10n, nanos: 0 } }))).toBe("10s");
  });
  it("prints blob and schema uris", () => {
    expect(literalArgText(lit({ value: { case: "scalar", value: { value: { case: "blob", value: { uri: "s3://b/f.txt" } } } } }))).toBe("s3://b/f.txt");
    expect(literalArgText(lit({ value: { case: "scalar", value: { value: { case: "schema", value: { uri: "s3://b/schema" } } } } }))).toBe("s3://b/schema");
  });
  it("prints msgpack values as Go's %v", () => {
    // the dataclass flytekit 1.16.24 wrote for make_conf(a=5) (test/engine/unit/py/resolve_units)
    const real = Buffer.from("86a16105a162a374776fa163cb4008000000000000a16493010203a16581a16bcb3ff8000000000000a5696e6e657282a178c3a47461677392a161a162", "hex");
    const dataclass = lit({ value: { case: "scalar", value: { value: { case: "binary", value: { value: real, tag: "msgpack" } } } } });
    expect(literalArgText(dataclass)).toBe("map[a:5 b:two c:3 d:[1 2 3] e:map[k:1.5] inner:map[tags:[a b] x:true]]");
    expect(literalArgText(msgpack([1, "x", null]))).toBe("[1 x <nil>]");
    expect(literalArgText(msgpack("plain"))).toBe("plain");
    expect(literalArgText(collection(msgpack({ k: [true] }), float(1e21)))).toBe("[map[k:[true]],1e+21]");
  });
  it("refuses what propeller cannot print", () => {
    const refused: Literal[] = [
      lit({ value: { case: "map", value: { literals: { a: int(1n) } } } }),
      lit({ value: { case: "scalar", value: { value: { case: "noneType", value: {} } } } }),
      lit({ value: { case: "scalar", value: { value: { case: "union", value: { value: int(1n) } } } } }),
      lit({ value: { case: "scalar", value: { value: { case: "generic", value: { a: 1 } } } } }),
      lit({ value: { case: "scalar", value: { value: { case: "error", value: { message: "boom" } } } } }),
      lit({ value: { case: "scalar", value: { value: { case: "structuredDataset", value: { uri: "s3://x" } } } } }),
      lit({ value: { case: "offloadedMetadata", value: { uri: "s3://x" } } }),
      lit({}),
      prim({ case: undefined }),
      msgpack({ a: 1 }, "json"),
      lit({ value: { case: "scalar", value: { value: { case: "binary", value: { value: Uint8Array.from([0xc1]), tag: "msgpack" } } } } }),
      prim({ case: "datetime", value: { seconds: 253402300800n, nanos: 0 } }),
      collection(int(1n), lit({ value: { case: "map", value: { literals: {} } } })),
    ];
    for (const l of refused) expect(() => literalArgText(l)).toThrow(RenderError);
  });
});
