import { clone, create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { TaskResourceAttributesSchema, WorkflowExecutionConfigSchema } from "../../../gen/flyteidl/admin/matchable_resource_pb.js";
import { WorkflowClosureSchema } from "../../../gen/flyteidl/admin/workflow_pb.js";
import { CompiledWorkflowClosureSchema } from "../../../gen/flyteidl/core/compiler_pb.js";
import { IdentifierSchema } from "../../../gen/flyteidl/core/identifier_pb.js";
import { LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { Resources_ResourceName as Name, TaskTemplateSchema } from "../../../gen/flyteidl/core/tasks_pb.js";
import { LiteralTypeSchema, SimpleType } from "../../../gen/flyteidl/core/types_pb.js";
import { buildFlyteWorkflow, FlyteWorkflowBuildError, offloadedWorkflowClosure, sanitizedWorkflowName, sanitizeLabelValue, shardKey } from "../../../src/core/crd/flyte-workflow.js";
import { goDurationJson, goFloat32, goTimeJson } from "../../../src/core/crd/go-json.js";
import { stripTypeMetadata } from "../../../src/core/crd/strip-interface.js";
import { withTaskResourceDefaults } from "../../../src/core/crd/task-resource-defaults.js";
import { fnv32a } from "../../../src/core/crd/workflow-labels.js";
import type { ExecutionLaunch } from "../../../src/engine/workflow-executor.js";
import { crdCases } from "../../fixtures/crd-cases.js";

/** The plain execution of the golden set ("execution-settings" without its settings). */
function baseLaunch(): ExecutionLaunch {
  const c = crdCases().find((x) => x.name === "execution-settings")!;
  return { ...c.launch, config: create(WorkflowExecutionConfigSchema), recoveryExecution: undefined };
}
const NS = { namespace: "flytesnacks-development" };

function buildError(f: () => unknown): FlyteWorkflowBuildError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(FlyteWorkflowBuildError);
    return err as FlyteWorkflowBuildError;
  }
  throw new Error("expected a FlyteWorkflowBuildError");
}

describe("workflow-name label", () => {
  it("takes the name part of <project>:<domain>:<name>, lower-cased, other characters as one '-'", () => {
    expect(sanitizedWorkflowName("flytesnacks:development:core.flyte_basics.Hello_World")).toBe("core-flyte-basics-hello-world");
    expect(sanitizedWorkflowName(create(IdentifierSchema, { project: "p", domain: "d", name: "My  WF!!x" }))).toBe("my-wf-x");
    expect(sanitizedWorkflowName("p:d:a--b")).toBe("a--b");
  });

  it("is empty when the id does not split into exactly three parts", () => {
    expect(sanitizedWorkflowName("p:d:has:colon")).toBe("");
    expect(sanitizedWorkflowName("p:d")).toBe("");
    expect(sanitizedWorkflowName("")).toBe("");
  });

  it("cuts to 63 characters before trimming '-' at both ends", () => {
    expect(sanitizeLabelValue("a".repeat(70))).toBe("a".repeat(63));
    expect(sanitizeLabelValue(`${"a".repeat(62)}_bbbb`)).toBe("a".repeat(62));
    expect(sanitizeLabelValue(`__${"c".repeat(63)}`)).toBe("c".repeat(62));
    expect(sanitizeLabelValue("___")).toBe("");
    expect(sanitizeLabelValue("Ünïcode")).toBe("n-code");
  });
});

describe("shard-key label", () => {
  it("is FNV-1a (32-bit) of the execution name modulo 32", () => {
    expect(fnv32a("")).toBe(0x811c9dc5);
    expect(fnv32a("a")).toBe(0xe40c292c);
    expect(fnv32a("foobar")).toBe(0xbf9cf968);
    // "name" → 6 is what flytepropeller's own golden objects hold.
    expect(shardKey("name")).toBe("6");
    expect(shardKey("a")).toBe(String(0xe40c292c % 32));
    expect(shardKey("")).toBe("5");
  });
});

describe("metadata", () => {
  it("lets the execution's labels override the builder's, and always adds the finalizer", () => {
    const launch = baseLaunch();
    launch.config = create(WorkflowExecutionConfigSchema, { labels: { values: { project: "other", "shard-key": "31", extra: "x" } } });
    const obj = buildFlyteWorkflow(launch, NS);
    expect(obj.metadata.labels).toEqual({
      "execution-id": "asettings01",
      project: "other",
      domain: "development",
      "workflow-name": "my-project-workflows-daily--report",
      "shard-key": "31",
      extra: "x",
    });
    expect(obj.metadata.finalizers).toEqual(["flyte.org/finalizer"]);
    expect(obj.metadata.annotations).toBeUndefined();
  });

  it("writes the IAM role under the role key, lets annotations override it, and needs a key to write it", () => {
    const launch = baseLaunch();
    launch.config = create(WorkflowExecutionConfigSchema, { securityContext: { runAs: { iamRole: "arn:role" } } });
    expect(buildFlyteWorkflow(launch, { ...NS, roleNameKey: "eks.amazonaws.com/role-arn" }).metadata.annotations).toEqual({
      "eks.amazonaws.com/role-arn": "arn:role",
    });
    expect(buildFlyteWorkflow(launch, NS).metadata.annotations).toBeUndefined();
    launch.config.annotations = create(WorkflowExecutionConfigSchema).annotations ?? { $typeName: "flyteidl.admin.Annotations", values: {} };
    launch.config.annotations.values = { "eks.amazonaws.com/role-arn": "mine", note: "n" };
    expect(buildFlyteWorkflow(launch, { ...NS, roleNameKey: "eks.amazonaws.com/role-arn" }).metadata.annotations).toEqual({
      "eks.amazonaws.com/role-arn": "mine",
      note: "n",
    });
  });

  it("writes the security context only when it names who to run as", () => {
    const launch = baseLaunch();
    launch.config = create(WorkflowExecutionConfigSchema, { securityContext: { secrets: [{ group: "g", key: "k" }] } });
    const obj = buildFlyteWorkflow(launch, NS);
    expect(obj.securityContext).toEqual({});
    expect(obj.serviceAccountName).toBeUndefined();
  });
});

describe("top-level fields", () => {
  it("stamps acceptedAt in whole seconds and the default event version", () => {
    const obj = buildFlyteWorkflow(baseLaunch(), NS);
    expect(obj.acceptedAt).toBe("2026-01-02T03:04:05Z");
    expect(obj.workflowMeta).toEqual({ eventVersion: 2 });
    expect(buildFlyteWorkflow(baseLaunch(), { ...NS, eventVersion: 0 }).workflowMeta).toEqual({});
  });

  it("leaves spec, subWorkflows and tasks out when the closure is offloaded, inputs when the inputs are", () => {
    const obj = buildFlyteWorkflow(baseLaunch(), { ...NS, offloadedClosureUri: "s3://b/closure.pb" });
    expect(obj.spec).toBeUndefined();
    expect(obj.tasks).toBeUndefined();
    expect(obj.subWorkflows).toBeUndefined();
    expect(obj.workflowClosureReference).toBe("s3://b/closure.pb");
    expect(obj.inputs).toBeDefined();
    const both = buildFlyteWorkflow(baseLaunch(), { ...NS, offloadedInputsUri: "s3://b/inputs.pb" });
    expect(both.inputs).toBeUndefined();
    expect(both.offloadedInputs).toBe("s3://b/inputs.pb");
    expect(both.spec).toBeDefined();
  });

  it("writes unset task resources as quantity \"0\" and canonical quantities otherwise", () => {
    const unset = buildFlyteWorkflow(baseLaunch(), NS).executionConfig.TaskResources;
    const zero = { CPU: "0", Memory: "0", EphemeralStorage: "0", Storage: "0", GPU: "0" };
    expect(unset).toEqual({ Requests: zero, Limits: zero });
    const set = buildFlyteWorkflow(baseLaunch(), { ...NS, taskResources: { defaults: { cpu: "0.25", memory: "0", gpu: "" }, limits: { ephemeralStorage: "2048Mi" } } });
    expect(set.executionConfig.TaskResources).toEqual({ Requests: { ...zero, CPU: "250m" }, Limits: { ...zero, EphemeralStorage: "2Gi" } });
    const err = buildError(() => buildFlyteWorkflow(baseLaunch(), { ...NS, taskResources: { limits: { memory: "lots" } } }));
    expect(err.kind).toBe("InvalidArgument");
  });

  it("writes Interruptible as null unless the execution sets it, and either boolean when it does", () => {
    expect(buildFlyteWorkflow(baseLaunch(), NS).executionConfig.Interruptible).toBeNull();
    for (const value of [true, false]) {
      const launch = baseLaunch();
      launch.config = create(WorkflowExecutionConfigSchema, { interruptible: value });
      expect(buildFlyteWorkflow(launch, NS).executionConfig.Interruptible).toBe(value);
    }
  });

  it("writes EnvironmentVariables as null without envs and as a map with them (even empty)", () => {
    expect(buildFlyteWorkflow(baseLaunch(), NS).executionConfig.EnvironmentVariables).toBeNull();
    const launch = baseLaunch();
    launch.config = create(WorkflowExecutionConfigSchema, { envs: { values: [] } });
    expect(buildFlyteWorkflow(launch, NS).executionConfig.EnvironmentVariables).toEqual({});
  });
});

describe("refusals", () => {
  it("refuses inputs that do not match the workflow interface", () => {
    const missing = baseLaunch();
    missing.inputs = create(LiteralMapSchema, { literals: { x: missing.inputs.literals.x! } });
    expect(buildError(() => buildFlyteWorkflow(missing, NS)).message).toBe("workflow input [who] is not bound");
    const extra = baseLaunch();
    extra.inputs = clone(LiteralMapSchema, extra.inputs);
    extra.inputs.literals.zzz = extra.inputs.literals.x!;
    const err = buildError(() => buildFlyteWorkflow(extra, NS));
    expect([err.kind, err.message]).toEqual(["InvalidArgument", "input [zzz] is not an input of the workflow"]);
  });

  it("refuses a task node whose task is not in the closure, even when the closure is offloaded", () => {
    const launch = baseLaunch();
    launch.closure = clone(CompiledWorkflowClosureSchema, launch.closure);
    launch.closure.tasks = [];
    for (const opts of [NS, { ...NS, offloadedClosureUri: "s3://b/c.pb" }]) {
      expect(buildError(() => buildFlyteWorkflow(launch, opts)).message).toMatch(/^node \[n0\]: referenced task \[resource_type:TASK .*wf\.ops\.double.*\] not found$/);
    }
  });

  it("refuses a timeout Go cannot hold, a workflow without entry node, and an unparsable resource override", () => {
    const timeout = baseLaunch();
    timeout.closure = clone(CompiledWorkflowClosureSchema, timeout.closure);
    timeout.closure.primary!.template!.nodes.find((n) => n.id === "n0")!.metadata!.timeout = {
      $typeName: "google.protobuf.Duration",
      seconds: 200_000_000_000n,
      nanos: 0,
    };
    expect(buildError(() => buildFlyteWorkflow(timeout, NS)).message).toBe("node [n0]: invalid node:metadata:timeout");

    const noEntry = baseLaunch();
    noEntry.closure = clone(CompiledWorkflowClosureSchema, noEntry.closure);
    delete noEntry.closure.primary!.connections!.downstream["start-node"];
    expect(buildError(() => buildFlyteWorkflow(noEntry, NS)).message).toMatch(/has no entry node$/);

    const quantity = baseLaunch();
    quantity.closure = clone(CompiledWorkflowClosureSchema, quantity.closure);
    const target = quantity.closure.primary!.template!.nodes.find((n) => n.id === "n0")!.target;
    if (target.case !== "taskNode") throw new Error("fixture changed");
    target.value.overrides = { $typeName: "flyteidl.core.TaskNodeOverrides", containerImage: "", resources: { $typeName: "flyteidl.core.Resources", requests: [{ $typeName: "flyteidl.core.Resources.ResourceEntry", name: 1, value: "1x" }], limits: [] } };
    expect(buildError(() => buildFlyteWorkflow(quantity, NS)).message).toMatch(/^node \[n0\]: invalid resource quantity "1x"/);
  });

  it("refuses a pod template override unless the closure is offloaded", () => {
    const launch = baseLaunch();
    launch.closure = clone(CompiledWorkflowClosureSchema, launch.closure);
    const target = launch.closure.primary!.template!.nodes.find((n) => n.id === "n0")!.target;
    if (target.case !== "taskNode") throw new Error("fixture changed");
    target.value.overrides = { $typeName: "flyteidl.core.TaskNodeOverrides", containerImage: "", podTemplate: { $typeName: "flyteidl.core.K8sPod", primaryContainerName: "main" } };
    expect(buildError(() => buildFlyteWorkflow(launch, NS)).message).toBe("node [n0]: a pod template override needs the workflow closure offloaded");
    expect(buildFlyteWorkflow(launch, { ...NS, offloadedClosureUri: "s3://b/c.pb" }).workflowClosureReference).toBe("s3://b/c.pb");
  });
});

describe("purity", () => {
  it("leaves the closure and inputs as they were", () => {
    for (const { launch, options } of crdCases()) {
      const before = toBinary(CompiledWorkflowClosureSchema, launch.closure);
      const inputs = toBinary(LiteralMapSchema, launch.inputs);
      buildFlyteWorkflow(launch, options);
      expect(toBinary(CompiledWorkflowClosureSchema, launch.closure)).toEqual(before);
      expect(toBinary(LiteralMapSchema, launch.inputs)).toEqual(inputs);
    }
  });
});

describe("Go spellings", () => {
  it("writes durations as Go prints them, doubled for the active deadline", () => {
    const d = (seconds: bigint, nanos = 0) => ({ $typeName: "google.protobuf.Duration" as const, seconds, nanos });
    expect(goDurationJson(d(90n))).toBe("1m30s");
    expect(goDurationJson(d(0n, 500_000_000), 2n)).toBe("1s");
    expect(goDurationJson(d(0n))).toBe("0s");
    expect(goDurationJson(d(5_000_000_000n), 2n)).toBeUndefined();
  });

  it("writes a float32 with the fewest digits that read back as the same float32", () => {
    expect(goFloat32(Math.fround(0.8))).toBe(0.8);
    expect(goFloat32(Math.fround(1 / 3))).toBe(0.33333334);
    expect(goFloat32(1)).toBe(1);
  });

  it("writes times in UTC without fractional seconds", () => {
    expect(goTimeJson(new Date("2026-05-06T07:08:09.999Z"))).toBe("2026-05-06T07:08:09Z");
  });

  it("strips type metadata and annotations, except cache-key metadata, at every depth", () => {
    const inner = create(LiteralTypeSchema, {
      type: { case: "simple", value: SimpleType.INTEGER },
      metadata: { a: 1 },
      annotation: { annotations: { doc: "x" } },
    });
    const keep = create(LiteralTypeSchema, { type: { case: "collectionType", value: inner }, annotation: { annotations: { "cache-key-metadata": { v: 1 } } } });
    const out = stripTypeMetadata(keep)!;
    expect(out.annotation?.annotations).toEqual({ "cache-key-metadata": { v: 1 } });
    expect(out.type.case === "collectionType" && out.type.value.metadata).toBeUndefined();
    expect(out.type.case === "collectionType" && out.type.value.annotation).toBeUndefined();
    expect(inner.metadata).toEqual({ a: 1 });
  });
});

describe("platform task resources (FlyteAdmin's setCompiledTaskDefaults)", () => {
  const task = (requests: [number, string][], limits: [number, string][], target: "container" | "none" = "container") =>
    create(TaskTemplateSchema, {
      type: "python-task",
      target:
        target === "container"
          ? {
              case: "container",
              value: {
                image: "i",
                resources: { requests: requests.map(([name, value]) => ({ name, value })), limits: limits.map(([name, value]) => ({ name, value })) },
              },
            }
          : { case: undefined },
    });
  const entries = (t: ReturnType<typeof task>) => {
    if (t.target.case !== "container") return undefined;
    const r = t.target.value.resources!;
    return { requests: r.requests.map((e) => [Name[e.name], e.value]), limits: r.limits.map((e) => [Name[e.name], e.value]) };
  };

  it("gives CPU and memory a request and a limit always, from the task or the platform default", () => {
    expect(entries(withTaskResourceDefaults(task([], []), {}))).toEqual({ requests: [["CPU", "0"], ["MEMORY", "0"]], limits: [["CPU", "0"], ["MEMORY", "0"]] });
    expect(entries(withTaskResourceDefaults(task([[Name.CPU, "250m"]], []), { defaults: { cpu: "1", memory: "200Mi" } }))).toEqual({
      requests: [["CPU", "250m"], ["MEMORY", "200Mi"]],
      limits: [["CPU", "250m"], ["MEMORY", "200Mi"]],
    });
  });

  it("takes a missing request from the limit, caps the limit at the platform limit and the request at the limit", () => {
    const t = task([[Name.MEMORY, "8Gi"]], [[Name.CPU, "4"]]);
    expect(entries(withTaskResourceDefaults(t, { defaults: { memory: "1Gi" }, limits: { cpu: "2", memory: "4Gi" } }))).toEqual({
      requests: [["CPU", "2"], ["MEMORY", "4Gi"]],
      limits: [["CPU", "2"], ["MEMORY", "4Gi"]],
    });
  });

  it("adds ephemeral storage and GPU only when the task or the platform default names them, and drops other resources", () => {
    const t = task([[Name.STORAGE, "1Gi"]], [[Name.GPU, "1"]]);
    expect(entries(withTaskResourceDefaults(t, { defaults: { ephemeralStorage: "500Mi" } }))).toEqual({
      requests: [["CPU", "0"], ["MEMORY", "0"], ["EPHEMERAL_STORAGE", "500Mi"], ["GPU", "1"]],
      limits: [["CPU", "0"], ["MEMORY", "0"], ["EPHEMERAL_STORAGE", "500Mi"], ["GPU", "1"]],
    });
  });

  it("treats an unparsable task quantity as unset, leaves tasks without a container alone, and never changes its input", () => {
    const t = task([[Name.CPU, "lots"]], []);
    const before = toBinary(TaskTemplateSchema, t);
    expect(entries(withTaskResourceDefaults(t, { defaults: { cpu: "100m" } }))?.requests[0]).toEqual(["CPU", "100m"]);
    expect(toBinary(TaskTemplateSchema, t)).toEqual(before);
    const other = task([], [], "none");
    expect(withTaskResourceDefaults(other, { defaults: { cpu: "1" } })).toBe(other);
  });

  it("is applied from launch.taskResources when the options do not give any", () => {
    const launch = baseLaunch();
    launch.taskResources = create(TaskResourceAttributesSchema, { defaults: { cpu: "300m", memory: "1Gi" } });
    const obj = buildFlyteWorkflow(launch, NS);
    const double = Object.values(obj.tasks!).find((t) => JSON.stringify(t).includes("wf.ops.double")) as { container: { resources: unknown } };
    expect(double.container.resources).toEqual({ requests: [{ name: "CPU", value: "300m" }, { name: "MEMORY", value: "1Gi" }], limits: [{ name: "CPU", value: "300m" }, { name: "MEMORY", value: "1Gi" }] });
    expect(obj.executionConfig.TaskResources.Requests.CPU).toBe("300m");
  });
});

describe("offloaded closure", () => {
  it("is an admin.WorkflowClosure holding the compiled closure, with platform task resources filled in", () => {
    const launch = baseLaunch();
    const plain = offloadedWorkflowClosure(launch);
    expect(toBinary(CompiledWorkflowClosureSchema, plain.compiledWorkflow!)).toEqual(toBinary(CompiledWorkflowClosureSchema, launch.closure));
    const before = toBinary(CompiledWorkflowClosureSchema, launch.closure);
    const sized = offloadedWorkflowClosure(launch, { defaults: { cpu: "1", memory: "1Gi" } });
    const container = sized.compiledWorkflow!.tasks[0]!.template!.target;
    expect(container.case === "container" && container.value.resources?.requests.map((r) => r.value)).toEqual(["1", "1Gi"]);
    const decoded = fromBinary(WorkflowClosureSchema, toBinary(WorkflowClosureSchema, sized));
    expect(decoded.compiledWorkflow?.primary?.template?.id?.name).toBe(launch.closure.primary?.template?.id?.name);
    expect(toBinary(CompiledWorkflowClosureSchema, launch.closure)).toEqual(before);
  });
});
