import { create } from "@bufbuild/protobuf";
import { failure } from "../helpers/rpc-failure.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MatchableResource, MatchingAttributesSchema, WorkflowExecutionConfigSchema } from "../../gen/flyteidl/admin/matchable_resource_pb.js";
import { InactiveProjectSchema, Project_ProjectState } from "../../gen/flyteidl/admin/project_pb.js";
import type { App } from "../../src/app.js";
import { inMemoryAdmin } from "../helpers/app.js";
import { ALL_RESOURCE_TYPES, sampleAttributes } from "../fixtures/attributes.js";

type Admin = Awaited<ReturnType<typeof inMemoryAdmin>>["admin"];


const P = "flytesnacks";
const D = "development";
const W = "wf.hello";

let app: App;
let admin: Admin;
beforeEach(async () => {
  ({ app, admin } = await inMemoryAdmin());
  await admin.registerProject({ project: { id: P, name: P } });
});
afterEach(() => app.close());

const setProject = (type: MatchableResource, tag = "project") =>
  admin.updateProjectAttributes({ attributes: { project: P, matchingAttributes: sampleAttributes(type, tag) } });
const setDomain = (type: MatchableResource, tag = "project-domain") =>
  admin.updateProjectDomainAttributes({ attributes: { project: P, domain: D, matchingAttributes: sampleAttributes(type, tag) } });
const setWorkflow = (type: MatchableResource, tag = "workflow", workflow = W) =>
  admin.updateWorkflowAttributes({ attributes: { project: P, domain: D, workflow, matchingAttributes: sampleAttributes(type, tag) } });

describe.each(ALL_RESOURCE_TYPES.map((t) => ({ type: t, name: MatchableResource[t] })))("$name attributes", ({ type }) => {
  it("are set, read and deleted at each level", async () => {
    await setProject(type);
    await setDomain(type);
    await setWorkflow(type);
    const project = await admin.getProjectAttributes({ project: P, resourceType: type });
    if (type !== MatchableResource.WORKFLOW_EXECUTION_CONFIG) {
      expect(project.attributes?.matchingAttributes).toEqual(sampleAttributes(type, "project"));
    }
    const domain = await admin.getProjectDomainAttributes({ project: P, domain: D, resourceType: type });
    expect(domain.attributes).toMatchObject({ project: P, domain: D, matchingAttributes: sampleAttributes(type, "project-domain") });
    const workflow = await admin.getWorkflowAttributes({ project: P, domain: D, workflow: W, resourceType: type });
    expect(workflow.attributes).toMatchObject({ project: P, domain: D, workflow: W, matchingAttributes: sampleAttributes(type, "workflow") });

    const listed = await admin.listMatchableAttributes({ resourceType: type });
    expect(listed.configurations.map((c) => [c.project, c.domain, c.workflow, c.launchPlan])).toEqual([
      [P, D, W, ""],
      [P, D, "", ""],
      [P, "", "", ""],
    ]);

    await admin.deleteWorkflowAttributes({ project: P, domain: D, workflow: W, resourceType: type });
    await admin.deleteProjectDomainAttributes({ project: P, domain: D, resourceType: type });
    await admin.deleteProjectAttributes({ project: P, resourceType: type });
    expect((await admin.listMatchableAttributes({ resourceType: type })).configurations).toEqual([]);
  });

  it("fall back from workflow to project-domain to project, reporting the scope found", async () => {
    await setProject(type);
    const fromProject = await admin.getWorkflowAttributes({ project: P, domain: D, workflow: W, resourceType: type });
    expect(fromProject.attributes).toMatchObject({ project: P, domain: "", workflow: "", matchingAttributes: sampleAttributes(type, "project") });
    const domainFromProject = await admin.getProjectDomainAttributes({ project: P, domain: D, resourceType: type });
    expect(domainFromProject.attributes).toMatchObject({ domain: "", matchingAttributes: sampleAttributes(type, "project") });
    await setDomain(type);
    const fromDomain = await admin.getWorkflowAttributes({ project: P, domain: D, workflow: "other", resourceType: type });
    expect(fromDomain.attributes).toMatchObject({ domain: D, workflow: "", matchingAttributes: sampleAttributes(type, "project-domain") });
  });

  it("delete exactly the level named", async () => {
    await setProject(type);
    await setDomain(type);
    await setWorkflow(type);
    // FlyteAdmin's project delete also removes the domain and workflow rows; here it does not.
    await admin.deleteProjectAttributes({ project: P, resourceType: type });
    await admin.deleteProjectDomainAttributes({ project: P, domain: D, resourceType: type });
    const left = await admin.listMatchableAttributes({ resourceType: type });
    expect(left.configurations.map((c) => [c.domain, c.workflow])).toEqual([[D, W]]);
  });

  it("answer NOT_FOUND with FlyteAdmin's message when nothing applies", async () => {
    const name = MatchableResource[type];
    expect(await failure(admin.getWorkflowAttributes({ project: P, domain: D, workflow: W, resourceType: type }))).toMatchObject({
      code: "NotFound",
      message: `Resource [{Project:${P} Domain:${D} Workflow:${W} LaunchPlan: ResourceType:${name}}] not found`,
    });
    expect(await failure(admin.getProjectDomainAttributes({ project: P, domain: D, resourceType: type }))).toMatchObject({
      code: "NotFound",
      message: `Resource [{Project:${P} Domain:${D} Workflow: LaunchPlan: ResourceType:${name}}] not found`,
    });
    if (type !== MatchableResource.WORKFLOW_EXECUTION_CONFIG) {
      expect(await failure(admin.getProjectAttributes({ project: P, resourceType: type }))).toMatchObject({
        code: "NotFound",
        message: `Resource [{Project:${P} Domain: Workflow: LaunchPlan: ResourceType:${name}}] not found`,
      });
    }
    // Deleting what is not there succeeds, as in FlyteAdmin.
    await admin.deleteWorkflowAttributes({ project: P, domain: D, workflow: W, resourceType: type });
  });

  it("replace what the level held on update", async () => {
    await setDomain(type, "first");
    await setDomain(type, "second");
    const got = await admin.getProjectDomainAttributes({ project: P, domain: D, resourceType: type });
    // For plugin overrides both samples share a task type, so the merge also keeps only the new one.
    expect(got.attributes?.matchingAttributes).toEqual(sampleAttributes(type, "second"));
    expect((await admin.listMatchableAttributes({ resourceType: type })).configurations).toHaveLength(1);
  });
});

describe("plugin overrides", () => {
  it("accumulate across task types and work at project level too", async () => {
    const overrides = (taskType: string, plugin: string) =>
      create(MatchingAttributesSchema, { target: { case: "pluginOverrides", value: { overrides: [{ taskType, pluginId: [plugin] }] } } });
    await admin.updateProjectAttributes({ attributes: { project: P, matchingAttributes: overrides("spark", "a") } });
    await admin.updateProjectAttributes({ attributes: { project: P, matchingAttributes: overrides("python", "b") } });
    await admin.updateProjectAttributes({ attributes: { project: P, matchingAttributes: overrides("spark", "c") } });
    const got = await admin.getProjectAttributes({ project: P, resourceType: MatchableResource.PLUGIN_OVERRIDE });
    const value = got.attributes?.matchingAttributes?.target;
    expect(value?.case).toBe("pluginOverrides");
    const list = value?.case === "pluginOverrides" ? value.value.overrides : [];
    expect(list.map((o) => [o.taskType, o.pluginId])).toEqual([
      ["spark", ["c"]],
      ["python", ["b"]],
    ]);
  });
});

describe("workflow execution config at project level", () => {
  it("answers the server defaults when nothing is stored", async () => {
    const got = await admin.getProjectAttributes({ project: P, resourceType: MatchableResource.WORKFLOW_EXECUTION_CONFIG });
    expect(got.attributes?.project).toBe(P);
    expect(got.attributes?.matchingAttributes?.target).toEqual({
      case: "workflowExecutionConfig",
      value: create(WorkflowExecutionConfigSchema, { maxParallelism: 25 }),
    });
  });

  it("completes a stored config from the server defaults", async () => {
    await admin.updateProjectAttributes({
      attributes: { project: P, matchingAttributes: { target: { case: "workflowExecutionConfig", value: { labels: { values: { a: "b" } } } } } },
    });
    const got = await admin.getProjectAttributes({ project: P, resourceType: MatchableResource.WORKFLOW_EXECUTION_CONFIG });
    const target = got.attributes?.matchingAttributes?.target;
    expect(target?.case === "workflowExecutionConfig" && target.value).toMatchObject({ maxParallelism: 25, labels: { values: { a: "b" } } });
  });

  it("uses configured server defaults", async () => {
    const custom = await inMemoryAdmin({ workflowExecutionConfig: '{"maxParallelism": 3, "interruptible": true, "labels": {"values": {"team": "ml"}}}' });
    await custom.admin.registerProject({ project: { id: P, name: P } });
    const got = await custom.admin.getProjectAttributes({ project: P, resourceType: MatchableResource.WORKFLOW_EXECUTION_CONFIG });
    const target = got.attributes?.matchingAttributes?.target;
    expect(target?.case === "workflowExecutionConfig" && target.value).toMatchObject({ maxParallelism: 3, interruptible: true, labels: { values: { team: "ml" } } });
    await custom.app.close();
  });
});

describe("validation", () => {
  const wec = sampleAttributes(MatchableResource.WORKFLOW_EXECUTION_CONFIG, "x");

  it("requires the attributes and a known attribute kind", async () => {
    expect(await failure(admin.updateProjectDomainAttributes({}))).toMatchObject({ code: "InvalidArgument", message: "missing attributes" });
    expect(await failure(admin.updateProjectAttributes({}))).toMatchObject({ message: "missing attributes" });
    expect(await failure(admin.updateWorkflowAttributes({}))).toMatchObject({ message: "missing attributes" });
    expect(await failure(admin.updateProjectDomainAttributes({ attributes: { project: P, domain: D } }))).toMatchObject({
      code: "InvalidArgument",
      message: "missing matching_attributes",
    });
    expect(await failure(admin.updateProjectDomainAttributes({ attributes: { project: P, domain: D, matchingAttributes: {} } }))).toMatchObject({
      code: "InvalidArgument",
      message: `Unrecognized matching attributes type for request ${P}-${D}`,
    });
    expect(await failure(admin.updateProjectAttributes({ attributes: { project: P, matchingAttributes: {} } }))).toMatchObject({
      message: `Unrecognized matching attributes type for request ${P}`,
    });
    expect(await failure(admin.updateWorkflowAttributes({ attributes: { project: P, domain: D, workflow: W, matchingAttributes: {} } }))).toMatchObject({
      message: `Unrecognized matching attributes type for request ${P}-${D}-${W}`,
    });
  });

  it("requires a workflow name at workflow level", async () => {
    expect(await failure(admin.updateWorkflowAttributes({ attributes: { project: P, domain: D, matchingAttributes: wec } }))).toMatchObject({
      code: "InvalidArgument",
      message: "missing name",
    });
    expect(await failure(admin.getWorkflowAttributes({ project: P, domain: D }))).toMatchObject({ message: "missing name" });
    expect(await failure(admin.deleteWorkflowAttributes({ project: P, domain: D }))).toMatchObject({ message: "missing name" });
  });

  it("checks the project and domain as FlyteAdmin does", async () => {
    expect(await failure(admin.updateProjectDomainAttributes({ attributes: { project: "nope", domain: D, matchingAttributes: wec } }))).toMatchObject({
      code: "InvalidArgument",
      message: `failed to validate that project [nope] and domain [${D}] are registered, err: [project [nope] not found]`,
    });
    expect(await failure(admin.getWorkflowAttributes({ project: P, domain: "qa", workflow: W }))).toMatchObject({
      code: "InvalidArgument",
      message: "domain [qa] is unrecognized by system",
    });
    expect(await failure(admin.updateProjectAttributes({ attributes: { project: "nope", matchingAttributes: wec } }))).toMatchObject({
      message: "failed to validate that project [nope] is registered, err: [project [nope] not found]",
    });
    expect(await failure(admin.getProjectAttributes({ project: "nope" }))).toMatchObject({
      message: "failed to validate that project [nope] exists, err: [project [nope] not found]",
    });
  });

  it("refuses archived projects for updates, with the InactiveProject detail where FlyteAdmin gives it", async () => {
    await admin.updateProject({ id: P, name: P, state: Project_ProjectState.ARCHIVED });
    const domainLevel = await failure(admin.updateProjectDomainAttributes({ attributes: { project: P, domain: D, matchingAttributes: wec } }));
    expect(domainLevel).toMatchObject({ code: "InvalidArgument", message: `project [${P}] is not active` });
    expect(domainLevel.err.findDetails(InactiveProjectSchema)[0]?.id).toBe(P);
    const projectLevel = await failure(admin.updateProjectAttributes({ attributes: { project: P, matchingAttributes: wec } }));
    expect(projectLevel).toMatchObject({ message: `project [${P}] is not active` });
    expect(projectLevel.err.findDetails(InactiveProjectSchema)).toEqual([]);
    // Reading project attributes of an archived project is allowed.
    expect((await admin.getProjectAttributes({ project: P, resourceType: MatchableResource.WORKFLOW_EXECUTION_CONFIG })).attributes?.project).toBe(P);
  });

  it("refuses undefined resource types", async () => {
    expect(await failure(admin.listMatchableAttributes({ resourceType: 42 as MatchableResource }))).toMatchObject({
      code: "InvalidArgument",
      message: "invalid value for resource_type",
    });
    expect(await failure(admin.getProjectDomainAttributes({ project: P, domain: D, resourceType: 42 as MatchableResource }))).toMatchObject({
      message: "invalid value for resource_type",
    });
  });
});
