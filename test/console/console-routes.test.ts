import { matchPath, matchRoutes } from "react-router";
import { describe, expect, it } from "vitest";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { absolute, entityKindOfPath, paths, patterns } from "../../console/src/app/routes.js";

/** The console's paths are the Flyte console's: what one builds, the router matches, and links from flytekit land. */
describe("console routes", () => {
  const P = "flytesnacks";
  const D = "development";

  it("builds the Flyte console's paths", () => {
    expect(paths.executions(P, D)).toBe("/projects/flytesnacks/domains/development/executions");
    expect(paths.workflow(P, D, "wf.hello_wf")).toBe("/projects/flytesnacks/domains/development/workflows/wf.hello_wf");
    expect(paths.task(P, D, "wf.say_hello")).toBe("/projects/flytesnacks/domains/development/tasks/wf.say_hello");
    expect(paths.launchPlan(P, D, "wf.hello_wf")).toBe("/projects/flytesnacks/domains/development/launchPlans/wf.hello_wf");
    expect(paths.workflowVersion(P, D, "wf", "v1")).toBe("/projects/flytesnacks/domains/development/workflow/wf/version/v1");
    expect(paths.taskVersion(P, D, "t", "v1")).toBe("/projects/flytesnacks/domains/development/task/t/version/v1");
    expect(paths.launchPlanVersion(P, D, "lp", "v1")).toBe("/projects/flytesnacks/domains/development/launch_plan/lp/version/v1");
    expect(paths.execution({ project: P, domain: D, name: "abc123" })).toBe("/projects/flytesnacks/domains/development/executions/abc123");
    expect(absolute(paths.execution({ project: P, domain: D, name: "abc123" }))).toBe("/console/projects/flytesnacks/domains/development/executions/abc123");
    expect(absolute(paths.home())).toBe("/console/");
    expect(paths.selectProject()).toBe("/select-project");
  });

  it("encodes what would break a path segment, and the router decodes it back", () => {
    const version = "v1/with space?#";
    const path = paths.workflowVersion(P, D, "wf", version);
    expect(path).toBe("/projects/flytesnacks/domains/development/workflow/wf/version/v1%2Fwith%20space%3F%23");
    // matchRoutes is what the router runs on a location: it decodes the segments.
    expect(matchRoutes([{ path: patterns.workflowVersion }], path)?.[0]?.params).toMatchObject({ project: P, domain: D, name: "wf", version });
  });

  it("matches every built path with its own pattern", () => {
    const id = { project: P, domain: D, name: "abc" };
    const cases: [string, string, Record<string, string>][] = [
      [patterns.executions, paths.executions(P, D), { project: P, domain: D }],
      [patterns.workflows, paths.workflows(P, D), {}],
      [patterns.tasks, paths.tasks(P, D), {}],
      [patterns.launchPlans, paths.launchPlans(P, D), {}],
      [patterns.execution, paths.execution(id), { name: "abc" }],
      [patterns.executionTask, paths.executionTask(id, "n0", "t.x", 1, "logs"), { nodeId: "n0", taskId: "t.x", attempt: "1", view: "logs" }],
      [patterns.executionMappedTask, paths.executionTask(id, "n0", "t.x", 0, "io", { index: 3, attempt: 1 }), { mappedIndex: "3", mappedAttempt: "1", view: "io" }],
      [patterns.taskVersion, paths.taskVersion(P, D, "t", "v2"), { name: "t", version: "v2" }],
      [patterns.launchPlanVersion, paths.launchPlanVersion(P, D, "lp", "v2"), { name: "lp", version: "v2" }],
    ];
    for (const [pattern, path, params] of cases) expect(matchPath(pattern, path)?.params, path).toMatchObject(params);
  });

  it("builds entity paths from identifiers and knows no page for other resource types", () => {
    const id = { resourceType: ResourceType.LAUNCH_PLAN, project: P, domain: D, name: "lp", version: "v3" };
    expect(paths.entityVersionOf(id)).toBe("/projects/flytesnacks/domains/development/launch_plan/lp/version/v3");
    expect(paths.entityVersionOf({ ...id, version: "" })).toBe("/projects/flytesnacks/domains/development/launchPlans/lp");
    expect(paths.entityOf({ ...id, resourceType: ResourceType.TASK })).toBe("/projects/flytesnacks/domains/development/tasks/lp");
    expect(paths.entityOf({ ...id, resourceType: ResourceType.DATASET })).toBeUndefined();
  });

  it("reads the entity kind from list, detail and version paths", () => {
    expect(entityKindOfPath(paths.workflows(P, D))).toBe("workflow");
    expect(entityKindOfPath(paths.workflowVersion(P, D, "w", "v"))).toBe("workflow");
    expect(entityKindOfPath(paths.task(P, D, "t"))).toBe("task");
    expect(entityKindOfPath(paths.launchPlanVersion(P, D, "l", "v"))).toBe("launchPlan");
    expect(entityKindOfPath(paths.executions(P, D))).toBeUndefined();
  });
});
