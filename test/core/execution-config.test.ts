import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { WorkflowExecutionConfigSchema } from "../../gen/flyteidl/admin/matchable_resource_pb.js";
import { mergeExecutionConfig, mergeIntoExecConfig, serverExecutionDefaults } from "../../src/core/execution-config.js";

const wec = (init: Parameters<typeof create<typeof WorkflowExecutionConfigSchema>>[1] = {}) => create(WorkflowExecutionConfigSchema, init);

describe("execution config merge: each field's unset rule", () => {
  it("max_parallelism: the first value above 0", () => {
    expect(mergeExecutionConfig([{ maxParallelism: 0 }, { maxParallelism: 4 }, { maxParallelism: 9 }]).maxParallelism).toBe(4);
    expect(mergeExecutionConfig([{}, {}]).maxParallelism).toBe(0);
  });

  it("security_context: the first that names a service account, IAM role or execution identity", () => {
    const empty = { runAs: {} };
    const sa = { runAs: { k8sServiceAccount: "sa" } };
    const role = { runAs: { iamRole: "role" } };
    const identity = { runAs: { executionIdentity: "me" } };
    // An empty context (what the console sends) does not hide a lower layer's.
    expect(mergeExecutionConfig([wec({ securityContext: empty }), wec({ securityContext: sa })]).securityContext?.runAs?.k8sServiceAccount).toBe("sa");
    expect(mergeExecutionConfig([wec({ securityContext: sa }), wec({ securityContext: role })]).securityContext?.runAs).toMatchObject({ k8sServiceAccount: "sa", iamRole: "" });
    // A context already in the target is never replaced.
    expect(mergeIntoExecConfig(wec({ securityContext: empty }), wec({ securityContext: sa })).securityContext?.runAs?.k8sServiceAccount).toBe("");
    expect(mergeExecutionConfig([{}, wec({ securityContext: empty }), wec({ securityContext: role })]).securityContext?.runAs?.iamRole).toBe("role");
    expect(mergeExecutionConfig([{}, wec({ securityContext: identity })]).securityContext?.runAs?.executionIdentity).toBe("me");
  });

  it("raw_output_data_config: the first with an output location prefix", () => {
    const merged = mergeExecutionConfig([wec({ rawOutputDataConfig: {} }), wec({ rawOutputDataConfig: { outputLocationPrefix: "s3://b/p" } })]);
    expect(merged.rawOutputDataConfig?.outputLocationPrefix).toBe("s3://b/p");
  });

  it("labels, annotations and envs: the first non-empty one, never mixed", () => {
    const merged = mergeExecutionConfig([
      wec({ labels: { values: {} }, annotations: { values: { a: "1" } } }),
      wec({ labels: { values: { l: "2" } }, annotations: { values: { b: "2" } }, envs: { values: [] } }),
      wec({ envs: { values: [{ key: "K", value: "V" }] } }),
    ]);
    expect(merged.labels?.values).toEqual({ l: "2" });
    expect(merged.annotations?.values).toEqual({ a: "1" });
    expect(merged.envs?.values.map((e) => [e.key, e.value])).toEqual([["K", "V"]]);
  });

  it("interruptible: the first layer that says anything, false included", () => {
    expect(mergeExecutionConfig([{}, { interruptible: false }, { interruptible: true }]).interruptible).toBe(false);
    expect(mergeExecutionConfig([{}, {}]).interruptible).toBeUndefined();
  });

  it("overwrite_cache: true anywhere wins (a request's false cannot undo a launch plan's true)", () => {
    expect(mergeExecutionConfig([{ overwriteCache: false }, { overwriteCache: true }]).overwriteCache).toBe(true);
    expect(mergeExecutionConfig([{ overwriteCache: false }, {}]).overwriteCache).toBe(false);
  });

  it("never changes its inputs", () => {
    const target = wec();
    mergeIntoExecConfig(target, { maxParallelism: 3 });
    expect(target.maxParallelism).toBe(0);
  });
});

describe("server defaults as an execution config layer", () => {
  it("always carry max_parallelism and overwrite_cache, the rest only when set", () => {
    const d = serverExecutionDefaults(wec({ maxParallelism: 25, interruptible: false, securityContext: { runAs: {} }, labels: { values: {} } }));
    expect(d).toEqual(wec({ maxParallelism: 25 }));
    const full = serverExecutionDefaults(
      wec({ maxParallelism: 5, interruptible: true, securityContext: { runAs: { iamRole: "r" } }, rawOutputDataConfig: { outputLocationPrefix: "s3://x" } }),
    );
    expect(full).toMatchObject({ maxParallelism: 5, interruptible: true, securityContext: { runAs: { iamRole: "r" } } });
    expect(full.rawOutputDataConfig?.outputLocationPrefix).toBe("s3://x");
  });
});
