import { create, type DescMessage } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { describe, expect, it } from "vitest";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { AuthMetadataService } from "../../gen/flyteidl/service/auth_pb.js";
import { DataProxyService } from "../../gen/flyteidl/service/dataproxy_pb.js";
import { IdentityService } from "../../gen/flyteidl/service/identity_pb.js";
import { SignalService } from "../../gen/flyteidl/service/signal_pb.js";
import { allows, allowsGlobal, grantsOf, type ProjectAction, type ScopedRole, visibleProjects } from "../../src/core/rbac.js";
import { PUBLIC_SERVICES, RPC_RULES, ruleOf } from "../../src/core/rbac-rules.js";
import { DataCatalog } from "../../gen/flyteidl/datacatalog/datacatalog_pb.js";

const SERVICES: GenService<GenServiceMethods>[] = [AdminService, DataProxyService, SignalService, IdentityService, AuthMetadataService];
// What the server serves besides the specification's services: flytepropeller's DataCatalog (its task cache).
const SERVED: GenService<GenServiceMethods>[] = [...SERVICES, DataCatalog];

describe("RPC rules", () => {
  it("has a rule for every method of every served flyteidl and datacatalog service, and none for a method that does not exist", () => {
    for (const service of SERVED) {
      const names = service.methods.map((m) => m.localName).sort();
      expect(Object.keys(RPC_RULES[service.typeName] ?? {}).sort(), service.typeName).toEqual(names);
      for (const m of service.methods) expect(ruleOf(service.typeName, m.localName), `${service.typeName}/${m.name}`).toBeDefined();
    }
    expect(Object.keys(RPC_RULES).sort()).toEqual(SERVED.map((s) => s.typeName).sort());
    expect(AdminService.methods).toHaveLength(56);
  });

  it("finds no rule for an unknown method or an inherited property name", () => {
    expect(ruleOf("flyteidl.service.AdminService", "dropEverything")).toBeUndefined();
    expect(ruleOf("flyteidl.service.AdminService", "constructor")).toBeUndefined();
    expect(ruleOf("flyteidl.service.AdminService", "toString")).toBeUndefined();
    expect(ruleOf("__proto__", "createTask")).toBeUndefined();
    expect(PUBLIC_SERVICES.has("grpc.health.v1.Health")).toBe(true);
  });

  // The RPC → action table of the specification, as written there.
  const SPEC: Record<string, string[]> = {
    view_inventory:
      "GetTask ListTaskIds ListTasks GetWorkflow ListWorkflowIds ListWorkflows GetLaunchPlan GetActiveLaunchPlan ListActiveLaunchPlans ListLaunchPlanIds ListLaunchPlans GetNamedEntity ListNamedEntities GetDescriptionEntity ListDescriptionEntities GetProject GetProjectAttributes GetProjectDomainAttributes GetWorkflowAttributes".split(" "),
    view_executions:
      "GetExecution GetExecutionData ListExecutions GetExecutionMetrics GetNodeExecution GetDynamicNodeWorkflow GetNodeExecutionData ListNodeExecutions ListNodeExecutionsForTask GetTaskExecution GetTaskExecutionData ListTaskExecutions ListSignals CreateDownloadLink GetData".split(" "),
    register_inventory: "CreateTask CreateWorkflow CreateLaunchPlan UpdateLaunchPlan UpdateNamedEntity CreateUploadLocation".split(" "),
    create_executions: "CreateExecution RelaunchExecution RecoverExecution TerminateExecution UpdateExecution SetSignal".split(" "),
    administer_project:
      "UpdateProject UpdateProjectAttributes DeleteProjectAttributes UpdateProjectDomainAttributes DeleteProjectDomainAttributes UpdateWorkflowAttributes DeleteWorkflowAttributes".split(" "),
    write_events: "CreateWorkflowEvent CreateNodeEvent CreateTaskEvent GetOrCreateSignal".split(" "),
    global: "RegisterProject ListMatchableAttributes CreateDownloadLocation".split(" "),
    authenticated: "ListProjects GetDomains GetVersion UserInfo".split(" "),
    public: "GetOAuth2Metadata GetPublicClientConfig".split(" "),
  };

  it("gives each RPC the action the specification's table names", () => {
    const actual: Record<string, string[]> = {};
    for (const service of SERVICES) {
      for (const m of service.methods) {
        const rule = ruleOf(service.typeName, m.localName)!;
        const group = rule.kind === "project" ? rule.action : rule.kind;
        (actual[group] ??= []).push(m.name);
      }
    }
    for (const names of [...Object.values(actual), ...Object.values(SPEC)]) names.sort();
    expect(actual).toEqual(SPEC);
  });

  /** The target one RPC's rule reads from a request given as its JSON-less init shape. */
  const targetOf = (service: GenService<GenServiceMethods>, method: string, init: Record<string, unknown>) => {
    const m = service.methods.find((x) => x.name === method)!;
    const rule = ruleOf(service.typeName, m.localName)!;
    if (rule.kind !== "project") throw new Error(`${method} has no project rule`);
    return rule.target(create(m.input as DescMessage, init as never));
  };

  it("reads the project and domain from where each request keeps them", () => {
    const ex = { project: "p", domain: "d", name: "n" };
    const node = { nodeId: "n0", executionId: ex };
    const task = { nodeExecutionId: node, taskId: { project: "t", domain: "x", name: "t", version: "v" } };
    const pd = { project: "p", domain: "d" };
    const cases: [GenService<GenServiceMethods>, string, Record<string, unknown>][] = [
      [AdminService, "CreateTask", { id: { ...pd, name: "t", version: "v" } }],
      [AdminService, "ListTaskIds", pd],
      [AdminService, "ListTasks", { id: pd }],
      [AdminService, "ListActiveLaunchPlans", pd],
      [AdminService, "CreateExecution", { ...pd, name: "n" }],
      [AdminService, "RelaunchExecution", { id: ex, name: "again" }],
      [AdminService, "GetNodeExecution", { id: node }],
      [AdminService, "ListNodeExecutions", { workflowExecutionId: ex }],
      [AdminService, "ListNodeExecutionsForTask", { taskExecutionId: task }],
      [AdminService, "GetTaskExecution", { id: task }],
      [AdminService, "ListTaskExecutions", { nodeExecutionId: node }],
      [AdminService, "CreateWorkflowEvent", { event: { executionId: ex } }],
      [AdminService, "CreateNodeEvent", { event: { id: node } }],
      [AdminService, "CreateTaskEvent", { event: { parentNodeExecutionId: node, taskId: task.taskId } }],
      [AdminService, "UpdateProjectDomainAttributes", { attributes: pd }],
      [AdminService, "GetWorkflowAttributes", { ...pd, workflow: "w" }],
      [AdminService, "UpdateWorkflowAttributes", { attributes: { ...pd, workflow: "w" } }],
      [AdminService, "ListNamedEntities", { ...pd, resourceType: 1 }],
      [AdminService, "ListDescriptionEntities", { id: pd }],
      [DataProxyService, "CreateUploadLocation", pd],
      [DataProxyService, "CreateDownloadLink", { source: { case: "nodeExecutionId", value: node } }],
      [DataProxyService, "GetData", { flyteUrl: "flyte://v1/p/d/n/n0/i" }],
      [SignalService, "GetOrCreateSignal", { id: { signalId: "s", executionId: ex } }],
      [SignalService, "ListSignals", { workflowExecutionId: ex }],
      [SignalService, "SetSignal", { id: { signalId: "s", executionId: ex } }],
    ];
    for (const [service, method, init] of cases) expect(targetOf(service, method, init), method).toEqual({ project: "p", domain: "d" });
  });

  it("treats project records and project attributes as the project as a whole", () => {
    expect(targetOf(AdminService, "GetProject", { id: "p" })).toEqual({ project: "p", domain: null });
    expect(targetOf(AdminService, "UpdateProject", { id: "p" })).toEqual({ project: "p", domain: null });
    expect(targetOf(AdminService, "UpdateProjectAttributes", { attributes: { project: "p" } })).toEqual({ project: "p", domain: null });
    expect(targetOf(AdminService, "DeleteProjectAttributes", { project: "p" })).toEqual({ project: "p", domain: null });
  });

  it("names an empty project when the request does not say one (the handler refuses it)", () => {
    expect(targetOf(AdminService, "GetExecution", {})).toEqual({ project: "", domain: "" });
    expect(targetOf(AdminService, "CreateTaskEvent", { event: {} })).toEqual({ project: "", domain: "" });
    expect(targetOf(DataProxyService, "GetData", { flyteUrl: "s3://bucket/key" })).toEqual({ project: "", domain: "" });
    expect(targetOf(DataProxyService, "CreateDownloadLink", {})).toEqual({ project: "", domain: "" });
  });
});

describe("role evaluation", () => {
  const grants = (roles: ScopedRole[], superAdmin = false) => grantsOf(roles, { superAdmin, defaultRole: "none" });
  const at = (project: string, domain: string | null) => ({ project, domain });

  it("gives each role its actions and no more", () => {
    const all: ProjectAction[] = ["view_inventory", "view_executions", "register_inventory", "create_executions", "administer_project", "write_events"];
    const held = (role: string) => all.filter((a) => allows(grants([{ project: "p", domain: "d", role }]), a, at("p", "d")));
    expect(held("viewer")).toEqual(["view_inventory", "view_executions"]);
    expect(held("contributor")).toEqual(["view_inventory", "view_executions", "register_inventory", "create_executions"]);
    expect(held("admin")).toEqual(all.filter((a) => a !== "write_events"));
    expect(held("system")).toEqual(all);
    expect(held("owner")).toEqual([]); // an unknown role stored by hand grants nothing
  });

  it("matches a binding's project and domain exactly or through *", () => {
    const viewerOnPd = grants([{ project: "p", domain: "development", role: "viewer" }]);
    expect(allows(viewerOnPd, "view_executions", at("p", "development"))).toBe(true);
    expect(allows(viewerOnPd, "view_executions", at("p", "production"))).toBe(false);
    expect(allows(viewerOnPd, "view_executions", at("q", "development"))).toBe(false);
    expect(allows(viewerOnPd, "view_executions", at("p", ""))).toBe(false);
    const onDomain = grants([{ project: "*", domain: "development", role: "contributor" }]);
    expect(allows(onDomain, "create_executions", at("any", "development"))).toBe(true);
    expect(allows(onDomain, "create_executions", at("any", "production"))).toBe(false);
    const onProject = grants([{ project: "p", domain: "*", role: "viewer" }]);
    expect(allows(onProject, "view_inventory", at("p", "production"))).toBe(true);
  });

  it("lets a foot in a project view it as a whole, and only a binding on all its domains change it", () => {
    const adminOnPd = grants([{ project: "p", domain: "development", role: "admin" }]);
    expect(allows(adminOnPd, "view_inventory", at("p", null))).toBe(true);
    expect(allows(adminOnPd, "administer_project", at("p", null))).toBe(false);
    expect(allows(adminOnPd, "administer_project", at("p", "development"))).toBe(true);
    expect(allows(grants([{ project: "p", domain: "*", role: "admin" }]), "administer_project", at("p", null))).toBe(true);
  });

  it("takes the union of all bindings", () => {
    const g = grants([
      { project: "p", domain: "*", role: "viewer" },
      { project: "p", domain: "development", role: "contributor" },
    ]);
    expect(allows(g, "create_executions", at("p", "development"))).toBe(true);
    expect(allows(g, "create_executions", at("p", "production"))).toBe(false);
    expect(allows(g, "view_executions", at("p", "production"))).toBe(true);
  });

  it("makes a super-admin admin everywhere, but never an event writer", () => {
    const g = grants([], true);
    expect(allows(g, "administer_project", at("anything", null))).toBe(true);
    expect(allows(g, "write_events", at("p", "d"))).toBe(false);
    expect(allowsGlobal(g, "create_projects")).toBe(true);
    expect(visibleProjects(g)).toBe("all");
  });

  it("keeps platform actions to admin or system on every project and domain", () => {
    expect(allowsGlobal(grants([{ project: "*", domain: "*", role: "admin" }]), "create_projects")).toBe(true);
    expect(allowsGlobal(grants([{ project: "*", domain: "*", role: "system" }]), "administer_platform")).toBe(true);
    expect(allowsGlobal(grants([{ project: "*", domain: "*", role: "contributor" }]), "create_projects")).toBe(false);
    expect(allowsGlobal(grants([{ project: "*", domain: "development", role: "admin" }]), "create_projects")).toBe(false);
    expect(allowsGlobal(grants([{ project: "p", domain: "*", role: "admin" }]), "create_projects")).toBe(false);
  });

  it("gives the default role only to a principal without bindings", () => {
    const none = grantsOf([], { superAdmin: false, defaultRole: "none" });
    expect(allows(none, "view_inventory", at("p", "d"))).toBe(false);
    const viewer = grantsOf([], { superAdmin: false, defaultRole: "viewer" });
    expect(allows(viewer, "view_inventory", at("p", "d"))).toBe(true);
    expect(allows(viewer, "create_executions", at("p", "d"))).toBe(false);
    const contributor = grantsOf([], { superAdmin: false, defaultRole: "contributor" });
    expect(allows(contributor, "create_executions", at("p", "d"))).toBe(true);
    expect(allows(contributor, "administer_project", at("p", null))).toBe(false);
    const bound = grantsOf([{ project: "q", domain: "*", role: "viewer" }], { superAdmin: false, defaultRole: "contributor" });
    expect(allows(bound, "view_inventory", at("p", "d"))).toBe(false);
  });

  it("lists the projects a principal may see", () => {
    expect(visibleProjects(grants([]))).toEqual(new Set());
    expect(
      visibleProjects(
        grants([
          { project: "p", domain: "development", role: "viewer" },
          { project: "q", domain: "*", role: "admin" },
          { project: "r", domain: "*", role: "owner" },
        ]),
      ),
    ).toEqual(new Set(["p", "q"]));
    expect(visibleProjects(grants([{ project: "*", domain: "development", role: "viewer" }]))).toBe("all");
    expect(visibleProjects(grantsOf([], { superAdmin: false, defaultRole: "viewer" }))).toBe("all");
  });
});
