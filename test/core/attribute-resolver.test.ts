import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClusterAssignmentSchema } from "../../gen/flyteidl/admin/cluster_assignment_pb.js";
import {
  MatchableResource,
  MatchingAttributesSchema,
  TaskResourceAttributesSchema,
  WorkflowExecutionConfigSchema,
} from "../../gen/flyteidl/admin/matchable_resource_pb.js";
import { createAttributeResolver, type AttributeResolver } from "../../src/core/attribute-resolver.js";
import { scope } from "../../src/core/matchable.js";
import { createSqlStore } from "../../src/storage/sql-store.js";
import { openSqlite } from "../../src/storage/sqlite.js";
import type { Store } from "../../src/storage/store.js";
import { sampleAttributes } from "../fixtures/attributes.js";

const T = MatchableResource.EXECUTION_QUEUE;
const tagsOf = (a: Awaited<ReturnType<AttributeResolver["resolve"]>>) => (a?.target.case === "executionQueueAttributes" ? a.target.value.tags : undefined);

let store: Store;
let resolver: AttributeResolver;
beforeEach(() => {
  store = createSqlStore(openSqlite(":memory:"));
  resolver = createAttributeResolver(store.attributes, {
    workflowExecutionConfig: create(WorkflowExecutionConfigSchema, { maxParallelism: 25, labels: { values: { from: "server" } } }),
    taskResources: create(TaskResourceAttributesSchema, { defaults: { cpu: "2" } }),
    clusterPools: { production: "prod-pool" },
  });
});
afterEach(() => store.close());

const put = (s: ReturnType<typeof scope>, type: MatchableResource, tag: string) => store.attributes.put({ ...s, resourceType: type }, sampleAttributes(type, tag));

describe("attribute resolution", () => {
  it("picks launch plan > workflow > project-domain > project", async () => {
    const at = { project: "p", domain: "d", workflow: "w", launchPlan: "lp" };
    expect(await resolver.resolve(at, T)).toBeUndefined();
    await put(scope("p"), T, "project");
    expect(tagsOf(await resolver.resolve(at, T))).toEqual(["project"]);
    await put(scope("p", "d"), T, "domain");
    expect(tagsOf(await resolver.resolve(at, T))).toEqual(["domain"]);
    await put(scope("p", "d", "w"), T, "workflow");
    expect(tagsOf(await resolver.resolve(at, T))).toEqual(["workflow"]);
    await put(scope("p", "d", "w", "lp"), T, "launch-plan");
    expect(tagsOf(await resolver.resolve(at, T))).toEqual(["launch-plan"]);
  });

  it("never crosses projects, domains, workflows or resource types", async () => {
    await put(scope("other"), T, "other-project");
    await put(scope("p", "prod"), T, "other-domain");
    await put(scope("p", "d", "other-wf"), T, "other-workflow");
    await put(scope("p", "d"), MatchableResource.EXECUTION_CLUSTER_LABEL, "other-type");
    expect(await resolver.resolve({ project: "p", domain: "d", workflow: "w" }, T)).toBeUndefined();
  });

  it("builds the execution config from higher layers, the workflow's attribute, the project's, then the server", async () => {
    const wecAt = (s: ReturnType<typeof scope>, init: MessageInitShape<typeof WorkflowExecutionConfigSchema>) =>
      store.attributes.put(
        { ...s, resourceType: MatchableResource.WORKFLOW_EXECUTION_CONFIG },
        create(MatchingAttributesSchema, {
          target: { case: "workflowExecutionConfig", value: init },
        }),
      );
    expect(await resolver.workflowExecutionConfig({ project: "p", domain: "d", workflow: "w" })).toMatchObject({
      maxParallelism: 25,
      labels: { values: { from: "server" } },
    });
    await wecAt(scope("p"), { maxParallelism: 3, overwriteCache: true, envs: { values: [{ key: "A", value: "project" }] } });
    await wecAt(scope("p", "d", "w"), { maxParallelism: 7, labels: { values: { from: "workflow" } } });
    const merged = await resolver.workflowExecutionConfig({ project: "p", domain: "d", workflow: "w" }, [
      { maxParallelism: 0, annotations: { $typeName: "flyteidl.admin.Annotations", values: { from: "request" } } },
      undefined,
    ]);
    expect(merged).toMatchObject({
      maxParallelism: 7,
      overwriteCache: true,
      labels: { values: { from: "workflow" } },
      annotations: { values: { from: "request" } },
    });
    expect(merged.envs?.values[0]?.value).toBe("project");
  });

  it("takes task resources from a stored attribute as a whole, else the server's", async () => {
    expect((await resolver.taskResources({ project: "p", domain: "d" })).defaults?.cpu).toBe("2");
    await put(scope("p", "d"), MatchableResource.TASK_RESOURCE, "500m");
    const stored = await resolver.taskResources({ project: "p", domain: "d", workflow: "w" });
    expect(stored.defaults?.cpu).toBe("500m");
    expect(stored.limits).toBeUndefined();
  });

  it("assigns cluster pools from attributes, then the domain's pool, and refuses a conflicting request", async () => {
    expect(await resolver.clusterAssignment({ project: "p", domain: "d" })).toBeUndefined();
    const pool = (name: string) => create(ClusterAssignmentSchema, { clusterPoolName: name });
    expect((await resolver.clusterAssignment({ project: "p", domain: "d" }, pool("mine")))?.clusterPoolName).toBe("mine");
    expect((await resolver.clusterAssignment({ project: "p", domain: "production" }))?.clusterPoolName).toBe("prod-pool");
    await put(scope("p", "d"), MatchableResource.CLUSTER_ASSIGNMENT, "gpu");
    expect((await resolver.clusterAssignment({ project: "p", domain: "d" }))?.clusterPoolName).toBe("gpu");
    await expect(resolver.clusterAssignment({ project: "p", domain: "d" }, pool("cpu"))).rejects.toThrow(
      'execution with project "p" and domain "d" cannot run on cluster pool "cpu", because its configured to run on pool "gpu"',
    );
  });
});
