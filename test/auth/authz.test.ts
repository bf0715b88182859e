import { create, type DescMessage } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { Code, ConnectError, createClient, createRouterTransport, type Interceptor, type Transport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { DataProxyService } from "../../gen/flyteidl/service/dataproxy_pb.js";
import { SignalService } from "../../gen/flyteidl/service/signal_pb.js";
import { type App, buildApp } from "../../src/app.js";
import { createAuthorization } from "../../src/auth/authz.js";
import { type Identity, identityKey } from "../../src/auth/identity.js";
import { defaultRbacConfig, type RbacConfig } from "../../src/auth/rbac-config.js";
import { ruleOf } from "../../src/core/rbac-rules.js";
import { createLogger } from "../../src/logger.js";
import type { RoleBinding } from "../../src/storage/access-store.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";
import { testConfig } from "../helpers/app.js";
import { failure } from "../helpers/rpc-failure.js";

const P = "p";
const Q = "q";
const DEV = "development";
const PROD = "production";

const identity = (kind: Identity["kind"], subject: string, extra: Partial<Identity> = {}): Identity => ({
  kind,
  subject,
  appId: kind === "app" ? subject : "",
  scopes: new Set(["all"]),
  claims: {},
  ...extra,
});
const user = (subject: string, extra: Partial<Identity> = {}) => identity("user", subject, extra);
const binding = (subject: string, role: string, project: string, domain = "*", subjectKind: RoleBinding["subjectKind"] = "user"): RoleBinding => ({
  subjectKind,
  subject,
  project,
  domain,
  role,
  createdAt: new Date(),
  createdBy: "test",
});

let app: App;
let pkg: ReturnType<typeof loadFlytekitPackage>;

/**
 * The app's router and interceptors, then a stand-in for authentication that
 * sets the caller's identity, then authorization: the order the server runs them.
 */
function callerTransport(caller: Identity | undefined, rbac: Partial<RbacConfig> = {}, options: { now?: () => number } = {}) {
  const authz = createAuthorization({ store: app.store, config: { ...defaultRbacConfig(), enabled: true, ...rbac }, ...options });
  const authenticated: Interceptor = (next) => (req) => {
    if (caller) req.contextValues.set(identityKey, caller);
    return next(req);
  };
  const transport = createRouterTransport(app.routes, { router: { interceptors: [...app.interceptors, authenticated, authz.interceptor] } });
  return { authz, transport, admin: createClient(AdminService, transport), signals: createClient(SignalService, transport), data: createClient(DataProxyService, transport) };
}
const as = (caller: Identity | undefined, rbac: Partial<RbacConfig> = {}) => callerTransport(caller, rbac).admin;
const system = () => as(identity("system", "flyteadmin-ts"));
const executionId = (project: string, domain: string, name = "e1") => ({ project, domain, name });

beforeAll(async () => {
  app = await buildApp(testConfig(), createLogger("silent"));
  const admin = system();
  for (const id of [P, Q, "r"]) await admin.registerProject({ project: { id, name: id } });
  for (const project of [P, Q]) {
    pkg = loadFlytekitPackage("hello", project, DEV, "v1");
    await registerPackage(admin, pkg);
    await admin.createExecution({ project, domain: DEV, name: "e1", spec: { launchPlan: pkg.launchPlans[0]!.id }, inputs: {} });
  }
  pkg = loadFlytekitPackage("hello", P, DEV, "v1");
  await app.store.roleBindings.grant(binding("viewer@x", "viewer", P, DEV));
  await app.store.roleBindings.grant(binding("contrib@x", "contributor", P));
  await app.store.roleBindings.grant(binding("padmin@x", "admin", P));
  await app.store.roleBindings.grant(binding("propeller", "system", "*", "*", "app"));
});
afterAll(() => app?.close());

describe("roles on every call (scenario 13)", () => {
  it("lets a viewer of p/development read there and nowhere else, and create nothing", async () => {
    const admin = as(user("viewer@x"));
    expect((await admin.listExecutions({ id: { project: P, domain: DEV }, limit: 10 })).executions).toHaveLength(1);
    expect((await admin.getExecution({ id: executionId(P, DEV) })).id?.name).toBe("e1");
    expect((await admin.listTasks({ id: { project: P, domain: DEV }, limit: 10 })).tasks.length).toBeGreaterThan(0);
    expect(await failure(admin.createExecution({ project: P, domain: DEV, name: "e2", spec: { launchPlan: pkg.launchPlans[0]!.id }, inputs: {} }))).toEqual({
      code: "PermissionDenied",
      message: "principal viewer@x lacks create_executions on p/development",
    });
    expect(await failure(admin.listExecutions({ id: { project: Q, domain: DEV }, limit: 10 }))).toEqual({
      code: "PermissionDenied",
      message: "principal viewer@x lacks view_executions on q/development",
    });
    expect((await failure(admin.getExecution({ id: executionId(Q, DEV) }))).code).toBe("PermissionDenied");
    expect((await failure(admin.listExecutions({ id: { project: P, domain: PROD }, limit: 10 }))).code).toBe("PermissionDenied");
    // Its record is viewable from a foot in it; another project's is not.
    expect((await admin.getProject({ id: P })).id).toBe(P);
    expect(await failure(admin.getProject({ id: Q }))).toEqual({ code: "PermissionDenied", message: "principal viewer@x lacks view_inventory on q/*" });
    expect((await failure(admin.createTask(pkg.tasks[0]!))).code).toBe("PermissionDenied");
  });

  it("lets a contributor register and run but not administer the project", async () => {
    const admin = as(user("contrib@x"));
    const v2 = loadFlytekitPackage("hello", P, DEV, "v2");
    await registerPackage(admin, v2);
    const created = await admin.createExecution({ project: P, domain: DEV, name: "by-contrib", spec: { launchPlan: v2.launchPlans[0]!.id }, inputs: {} });
    expect(created.id?.name).toBe("by-contrib");
    await admin.terminateExecution({ id: created.id!, cause: "done" });
    const attributes = { matchingAttributes: { target: { case: "executionQueueAttributes" as const, value: { tags: ["x"] } } } };
    expect(await failure(admin.updateProjectAttributes({ attributes: { project: P, ...attributes } }))).toEqual({
      code: "PermissionDenied",
      message: "principal contrib@x lacks administer_project on p/*",
    });
    expect((await failure(admin.updateProjectDomainAttributes({ attributes: { project: P, domain: DEV, ...attributes } }))).code).toBe("PermissionDenied");
    expect((await failure(admin.createTask(loadFlytekitPackage("hello", Q, DEV, "v2").tasks[0]!))).code).toBe("PermissionDenied");
    // A project admin may.
    await as(user("padmin@x")).updateProjectAttributes({ attributes: { project: P, ...attributes } });
  });

  it("keeps event writing to the system role: an admin, a super-admin or a contributor is refused", async () => {
    const event = { requestId: "r1", event: { executionId: executionId(P, DEV), producerId: "propeller", phase: 2, occurredAt: { seconds: 1n } } };
    for (const [caller, rbac] of [
      [user("padmin@x"), {}],
      [user("contrib@x"), {}],
      [user("root@x"), { superAdmins: ["root@x"] }],
    ] as const) {
      expect(await failure(as(caller, rbac).createWorkflowEvent(event))).toEqual({
        code: "PermissionDenied",
        message: `principal ${caller.subject} lacks write_events on p/development`,
      });
    }
    const nodeEvent = { event: { id: { nodeId: "n0", executionId: executionId(P, DEV) } } };
    expect((await failure(as(user("padmin@x")).createNodeEvent(nodeEvent))).code).toBe("PermissionDenied");
    const signal = { id: { signalId: "s", executionId: executionId(P, DEV) }, type: { type: { case: "simple" as const, value: 4 } } };
    expect((await failure(callerTransport(user("padmin@x")).signals.getOrCreateSignal(signal))).code).toBe("PermissionDenied");
    // An app bound to the system role, and the server's own components, get through to the handler.
    const bound = callerTransport(identity("app", "propeller"));
    await bound.admin.createWorkflowEvent(event);
    await bound.signals.getOrCreateSignal(signal);
    await system().createWorkflowEvent({ ...event, requestId: "r2", event: { ...event.event, phase: 3 } });
  });

  it("lists only the projects the caller may view", async () => {
    const names = async (caller: Identity, rbac: Partial<RbacConfig> = {}, req = {}) => (await as(caller, rbac).listProjects(req)).projects.map((p) => p.id).sort();
    expect(await names(user("viewer@x"))).toEqual([P]);
    expect(await names(user("nobody@x"))).toEqual([]);
    expect(await names(user("nobody@x"), { defaultRole: "viewer" })).toEqual([P, Q, "r"]);
    expect(await names(user("root@x"), { superAdmins: ["root@x"] })).toEqual([P, Q, "r"]);
    expect(await names(identity("app", "propeller"))).toEqual([P, Q, "r"]);
    // The request's own filters and page still apply within what is visible.
    await app.store.roleBindings.grant(binding("two@x", "viewer", Q, PROD));
    await app.store.roleBindings.grant(binding("two@x", "viewer", "r"));
    expect(await names(user("two@x"))).toEqual([Q, "r"]);
    expect(await names(user("two@x"), {}, { filters: "eq(name,r)" })).toEqual(["r"]);
    const page = await as(user("two@x")).listProjects({ limit: 1 });
    expect(page.projects.map((p) => p.id)).toHaveLength(1);
    expect(page.token).toBe("1");
    expect(await failure(as(user("nobody@x")).listProjects({ filters: "eq(bogus,1)" }))).toMatchObject({ code: "InvalidArgument" });
  });

  it("leaves a request without a project to the handler's validation", async () => {
    expect(await failure(as(user("nobody@x")).createExecution({ project: "", domain: DEV, name: "x", spec: { launchPlan: pkg.launchPlans[0]!.id } }))).toEqual({
      code: "InvalidArgument",
      message: "missing project",
    });
  });

  it("never lets a caller without bindings through a request that names no project", async () => {
    const { transport } = callerTransport(user("nobody@x"));
    const outcomes: Record<string, string> = {};
    for (const service of [AdminService, SignalService, DataProxyService] as GenService<GenServiceMethods>[]) {
      for (const m of service.methods) {
        if (ruleOf(service.typeName, m.localName)?.kind !== "project") continue;
        outcomes[m.name] = await codeOf(transport, service, m.localName, create(m.input as DescMessage));
      }
    }
    expect(Object.keys(outcomes)).toHaveLength(57);
    expect(Object.entries(outcomes).filter(([, code]) => code !== "InvalidArgument")).toEqual([]);
  });

  it("applies data proxy and signal rules to the execution they name", async () => {
    const viewer = callerTransport(user("viewer@x"));
    expect(await failure(viewer.data.getData({ flyteUrl: "flyte://v1/q/development/e1/n0/i" }))).toEqual({
      code: "PermissionDenied",
      message: "principal viewer@x lacks view_executions on q/development",
    });
    expect((await failure(viewer.data.createUploadLocation({ project: P, domain: DEV, filename: "f", contentMd5: new Uint8Array(16) }))).code).toBe("PermissionDenied");
    expect(await failure(viewer.signals.setSignal({ id: { signalId: "s", executionId: executionId(P, DEV) }, value: {} }))).toEqual({
      code: "PermissionDenied",
      message: "principal viewer@x lacks create_executions on p/development",
    });
    await viewer.signals.listSignals({ workflowExecutionId: executionId(P, DEV), limit: 10 });
    expect((await failure(viewer.data.createDownloadLocation({ nativeUrl: "file:///x" }))).code).toBe("PermissionDenied");
  });
});

describe("who is allowed without bindings", () => {
  it("lets an anonymous call through (authentication off, or not enforced on its protocol)", async () => {
    expect((await as(undefined).listExecutions({ id: { project: Q, domain: DEV }, limit: 10 })).executions).toHaveLength(1);
  });

  it("changes nothing when roles are off", async () => {
    expect((await as(user("nobody@x"), { enabled: false }).listProjects({})).projects).toHaveLength(3);
  });

  it("answers project-independent calls to any authenticated caller", async () => {
    const admin = as(user("nobody@x"));
    expect((await admin.getDomains({})).domains.length).toBeGreaterThan(0);
    expect(await admin.getVersion({})).toBeDefined();
  });

  it("gives the default role to a caller without bindings only", async () => {
    expect((await as(user("nobody@x"), { defaultRole: "viewer" }).listExecutions({ id: { project: Q, domain: DEV }, limit: 10 })).executions).toHaveLength(1);
    expect((await failure(as(user("nobody@x"), { defaultRole: "viewer" }).terminateExecution({ id: executionId(Q, DEV), cause: "x" }))).code).toBe("PermissionDenied");
    expect((await failure(as(user("viewer@x"), { defaultRole: "contributor" }).listExecutions({ id: { project: Q, domain: DEV }, limit: 10 }))).code).toBe("PermissionDenied");
  });

  it("matches super-admins and bindings by email and by group", async () => {
    await app.store.roleBindings.grant(binding("ml-team", "viewer", Q, "*", "group"));
    await app.store.roleBindings.grant(binding("carol@example.com", "contributor", "r"));
    const carol = user("00u123", { claims: { email: "carol@example.com", groups: ["ml-team", 7] } });
    const names = (await as(carol, { groupsClaim: "groups" }).listProjects({})).projects.map((p) => p.id).sort();
    expect(names).toEqual([Q, "r"]);
    // Groups come from the identity when authentication put them there, and are ignored without a claim.
    expect((await as(user("00u123", { groups: ["ml-team"] })).listProjects({})).projects.map((p) => p.id)).toEqual([Q]);
    expect((await as(user("00u124", { claims: { groups: ["ml-team"] } })).listProjects({})).projects).toEqual([]);
    await as(user("00u999", { userInfo: { email: "root@example.com" } }), { superAdmins: ["root@example.com"] }).updateProjectAttributes({
      attributes: { project: Q, matchingAttributes: { target: { case: "executionQueueAttributes", value: { tags: ["y"] } } } },
    });
  });

  it("acts for an API key's owner, or for its service account", async () => {
    await app.store.roleBindings.grant(binding("ci-bot", "viewer", Q, "*", "app"));
    expect((await as(identity("apikey", "viewer@x")).listProjects({})).projects.map((p) => p.id)).toEqual([P]);
    expect((await as(identity("apikey", "ci-bot", { appId: "ci-bot" })).listProjects({})).projects.map((p) => p.id)).toEqual([Q]);
    expect(await failure(as(identity("apikey", "viewer@x")).getProject({ id: Q }))).toEqual({ code: "PermissionDenied", message: "principal viewer@x lacks view_inventory on q/*" });
  });
});

describe("project creation", () => {
  it("is for platform admins by default", async () => {
    expect(await failure(as(user("nobody@x")).registerProject({ project: { id: "new1", name: "new1" } }))).toEqual({
      code: "PermissionDenied",
      message: "principal nobody@x lacks create_projects on */*",
    });
    await as(user("root@x"), { superAdmins: ["root@x"] }).registerProject({ project: { id: "new1", name: "new1" } });
    await app.store.roleBindings.grant(binding("platform@x", "admin", "*"));
    await as(user("platform@x")).registerProject({ project: { id: "new2", name: "new2" } });
    expect(await app.store.roleBindings.list({ project: "new1", limit: 10 })).toEqual([]);
  });

  it("with projectCreation: authenticated, makes the creator the new project's admin, and nothing else", async () => {
    const rbac = { projectCreation: "authenticated" as const };
    const dana = callerTransport(user("dana@x"), rbac);
    await dana.admin.registerProject({ project: { id: "dana", name: "dana" } });
    expect((await app.store.roleBindings.list({ project: "dana", limit: 10 })).map((b) => [b.subjectKind, b.subject, b.domain, b.role, b.createdBy])).toEqual([
      ["user", "dana@x", "*", "admin", "dana@x"],
    ]);
    await dana.admin.updateProject({ id: "dana", name: "Dana's" });
    // An existing project stays its owners'.
    expect((await failure(as(user("eve@x"), rbac).registerProject({ project: { id: "dana", name: "mine" } }))).code).toBe("AlreadyExists");
    expect((await failure(as(user("eve@x"), rbac).updateProject({ id: "dana", name: "mine" }))).code).toBe("PermissionDenied");
    // An app creating one is recorded as an app.
    await as(identity("app", "bot"), rbac).registerProject({ project: { id: "bots", name: "bots" } });
    expect((await app.store.roleBindings.list({ project: "bots", limit: 10 })).map((b) => b.subjectKind)).toEqual(["app"]);
  });
});

describe("the bindings cache", () => {
  it("applies a grant made through it at once, and one made elsewhere after its time to live", async () => {
    let now = 1_000_000;
    const caller = callerTransport(user("late@x"), { cacheTtlMs: 10_000 }, { now: () => now });
    const list = () => caller.admin.listExecutions({ id: { project: Q, domain: DEV }, limit: 10 });
    expect((await failure(list())).code).toBe("PermissionDenied");
    await caller.authz.grant(binding("late@x", "viewer", Q));
    await list();
    // Revoked by another process (the CLI): still allowed until the cached answer expires.
    await app.store.roleBindings.revoke(binding("late@x", "viewer", Q));
    now += 9_000;
    await list();
    now += 1_001;
    expect((await failure(list())).code).toBe("PermissionDenied");
    // And a grant from elsewhere is picked up the same way.
    await app.store.roleBindings.grant(binding("late@x", "viewer", Q));
    expect((await failure(list())).code).toBe("PermissionDenied");
    now += 10_000;
    await list();
    await caller.authz.revoke(binding("late@x", "viewer", Q));
    expect((await failure(list())).code).toBe("PermissionDenied");
  });
});

/** Calls one method with a message and gives its outcome as a code name ("OK" when it succeeded). */
async function codeOf(transport: Transport, service: GenService<GenServiceMethods>, method: string, message: unknown): Promise<string> {
  const client = createClient(service, transport) as unknown as Record<string, (m: unknown) => Promise<unknown>>;
  try {
    await client[method]!(message);
    return "OK";
  } catch (e) {
    return Code[ConnectError.from(e).code];
  }
}
