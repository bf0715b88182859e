// Compares our FlyteWorkflow builder with the objects flytepropeller's own
// builder wrote for its test closures (flytepropeller/pkg/compiler/test/testdata,
// `compiled/*.json` closure → `k8s/*.json` object). Those files are not ours to
// commit, so the test runs only where a Flyte checkout is present
// (FLYTE_TESTDATA, or the default path below) and is skipped elsewhere.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { create, fromJson, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { WorkflowExecutionConfigSchema } from "../../../gen/flyteidl/admin/matchable_resource_pb.js";
import { CompiledWorkflowClosureSchema } from "../../../gen/flyteidl/core/compiler_pb.js";
import { IdentifierSchema, WorkflowExecutionIdentifierSchema } from "../../../gen/flyteidl/core/identifier_pb.js";
import { LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { buildFlyteWorkflow } from "../../../src/core/crd/flyte-workflow.js";

const ROOT = process.env.FLYTE_TESTDATA ?? "/work/flyte-src/flytepropeller/pkg/compiler/test/testdata";

/**
 * The closure → object pairs: `branch/` and `dynamic/` name both files alike;
 * `snacks-core/` (flytesnacks examples, written by the v1.16 test) pairs
 * `compiled/X_wf.json` with `k8s/X_wf_crd.json`.
 */
function goldenPairs(): { name: string; closure: string; object: string }[] {
  const pairs: { name: string; closure: string; object: string }[] = [];
  for (const dir of ["branch", "dynamic", "snacks-core"]) {
    const compiled = join(ROOT, dir, "compiled");
    const k8s = join(ROOT, dir, "k8s");
    if (!existsSync(compiled) || !existsSync(k8s)) continue;
    for (const file of readdirSync(compiled).filter((f) => f.endsWith(".json")).sort()) {
      const objectFile = existsSync(join(k8s, file)) ? file : file.replace(/_wf\.json$/, "_wf_crd.json");
      if (objectFile.endsWith(".json") && existsSync(join(k8s, objectFile))) {
        pairs.push({ name: `${dir}/${file}`, closure: join(compiled, file), object: join(k8s, objectFile) });
      }
    }
  }
  return pairs;
}

const pairs = existsSync(ROOT) ? goldenPairs() : [];

/** Go's Identifier.String() sometimes doubles a space or ends with one; any stable text is fine as a key. */
const normaliseKey = (key: string) => key.replace(/ +/g, " ").trim();

/**
 * Brings both objects to the fields and spellings propeller actually reads.
 * Ignored differences, each with its reason:
 * - `status`, `metadata.creationTimestamp`: Go writes zero values; propeller owns status, Kubernetes the timestamp.
 * - `kind`: the Go builder writes `flyteworkflow`, the typed client re-stamps `FlyteWorkflow` before sending.
 * - `executionId`, `acceptedAt`, `workflowMeta`, `finalizers`, `annotations`, `executionConfig`, `securityContext`,
 *   `rawOutputDataConfig`: FlyteAdmin fills these after propeller's builder (PrepareFlyteWorkflow); the Go files
 *   hold the builder's zero values. Our own golden files under test/fixtures/crd cover them.
 * - task / sub-workflow keys: Go's proto text form (with stray spaces); only agreement between map and reference matters.
 * - `elseFail.failedNodeId`: these files predate flyteidl's protoc-gen-go, whose struct tag is `failed_node_id`
 *   (what v1.16.8 propeller reads, and what its newer snacks-core files show).
 * - variable `description`s in outputs and task interfaces: v1.16.8 strips them (StripInterfaceTypeMetadata); these
 *   files were written before that.
 * - `retry: {minAttempts: 1}`: older builders wrote it for zero retries; 1 attempt is propeller's default either way.
 */
function normalise(obj: JsonObject): JsonObject {
  const o = structuredClone(obj) as Record<string, JsonValue>;
  for (const k of ["status", "kind", "executionId", "acceptedAt", "workflowMeta", "executionConfig", "securityContext", "rawOutputDataConfig"]) delete o[k];
  const meta = o.metadata as Record<string, JsonValue>;
  delete meta.creationTimestamp;
  delete meta.finalizers;
  delete meta.annotations;
  if (o.tasks) {
    const tasks: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(o.tasks as JsonObject)) tasks[normaliseKey(k)] = v;
    o.tasks = tasks;
  }
  const walk = (v: JsonValue, parentKey: string): JsonValue => {
    if (Array.isArray(v)) return v.map((x) => walk(x, parentKey));
    if (v === null || typeof v !== "object") return v;
    const out: Record<string, JsonValue> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === "description" && (parentKey === "variables" || typeof x === "string")) continue;
      if (k === "retry" && JSON.stringify(x) === '{"minAttempts":1}') continue;
      if ((k === "task" || k === "subWorkflowRef") && typeof x === "string") out[k] = normaliseKey(x);
      else if (k === "failedNodeId") out.failed_node_id = x;
      else out[k] = walk(x, k);
    }
    return out;
  };
  return walk(o, "") as JsonObject;
}

describe.skipIf(pairs.length === 0)("FlyteWorkflow objects match flytepropeller's golden files", () => {
  it.each(pairs)("$name", ({ closure, object }) => {
    const expected = JSON.parse(readFileSync(object, "utf8")) as JsonObject;
    const compiled = fromJson(CompiledWorkflowClosureSchema, JSON.parse(readFileSync(closure, "utf8")), { ignoreUnknownFields: true });
    // The Go test used execution hello/domain/name in namespace "namespace" and a default literal per input;
    // those literals are in the object's `inputs`, so they are read back from there.
    const inputs = fromJson(LiteralMapSchema, (expected.inputs ?? {}) as JsonValue);
    const actual = buildFlyteWorkflow(
      {
        id: create(WorkflowExecutionIdentifierSchema, { project: "hello", domain: "domain", name: "name" }),
        namespace: "namespace",
        workflow: create(IdentifierSchema, compiled.primary?.template?.id),
        launchPlan: create(IdentifierSchema),
        closure: compiled,
        inputs,
        inputsUri: "",
        acceptedAt: new Date(0),
        config: create(WorkflowExecutionConfigSchema),
      },
      { namespace: "namespace" },
    );
    expect(normalise(actual as unknown as JsonObject)).toEqual(normalise(expected));
  });
});
