import { createHash } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { CompiledWorkflowClosureSchema } from "../../gen/flyteidl/core/compiler_pb.js";
import { LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.js";
import { chainTasks, workflowRequest } from "../../bench/payloads.js";
import { TaskCreateRequestSchema } from "../../gen/flyteidl/admin/task_pb.js";
import { WorkflowCreateRequestSchema } from "../../gen/flyteidl/admin/workflow_pb.js";
import { compileWorkflow } from "../../src/core/compiler/index.js";
import { canonicalJson, structureDigest } from "../../src/core/digest.js";

/** How digests were made when they were first stored: SHA-256 of the sorted JSON's text. */
const storedWay = (json: unknown) => createHash("sha256").update(JSON.stringify(json)).digest();

describe("structure digests", () => {
  it("are the digests already stored: SHA-256 of the canonical JSON text", () => {
    const request = create(WorkflowCreateRequestSchema, workflowRequest("wf", "v1", "v1"));
    const tasks = chainTasks("v1").map((t) => create(TaskCreateRequestSchema, t).spec!.template!);
    const compiled = compileWorkflow({ primary: request.spec!.template!, subWorkflows: [], tasks, launchPlans: [] });
    if (!("closure" in compiled)) throw new Error("the workflow should compile");
    expect(structureDigest(CompiledWorkflowClosureSchema, compiled.closure)).toEqual(storedWay(canonicalJson(CompiledWorkflowClosureSchema, compiled.closure)));

    // Map order, escapes, numbers and empty containers all reach the text.
    const scalar = (value: unknown) => ({ value: { case: "scalar", value: { value: { case: "primitive", value: { value } } } } }) as never;
    const literals = create(LiteralMapSchema, {
      literals: {
        z: scalar({ case: "floatValue", value: -0.5e-7 }),
        a: scalar({ case: "stringValue", value: 'quote " \\ \n é \u0001' }),
        m: scalar({ case: "integer", value: 9007199254740993n }),
        "key with space": { value: { case: "collection", value: { literals: [] } } } as never,
      },
    });
    expect(structureDigest(LiteralMapSchema, literals)).toEqual(storedWay(canonicalJson(LiteralMapSchema, literals)));
    const reordered = create(LiteralMapSchema, { literals: Object.fromEntries(Object.entries(literals.literals).reverse()) });
    expect(structureDigest(LiteralMapSchema, reordered)).toEqual(structureDigest(LiteralMapSchema, literals));
  });

  it("list map keys that are array indices as the sorted object did: first, in numeric order", () => {
    const scalar = (value: string) => ({ value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value } } } } } }) as never;
    const keys = ["b", "10", "2", "0", "01", "-1", "4294967294", "4294967295", "1e3", "a"];
    const literals = create(LiteralMapSchema, { literals: Object.fromEntries(keys.map((k) => [k, scalar(k)])) });
    expect(structureDigest(LiteralMapSchema, literals)).toEqual(storedWay(canonicalJson(LiteralMapSchema, literals)));
    expect(JSON.stringify(canonicalJson(LiteralMapSchema, literals)).match(/"[^"]+":\{"scalar"/g)!.map((k) => k.slice(1, k.indexOf('"', 1)))).toEqual([
      "0", "2", "10", "4294967294", "-1", "01", "1e3", "4294967295", "a", "b",
    ]);
  });
});
