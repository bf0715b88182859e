import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { fromBinary } from "@bufbuild/protobuf";
import { join } from "node:path";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WorkflowClosureSchema } from "../../../gen/flyteidl/admin/workflow_pb.js";
import { WorkflowExecution_Phase as Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import { ResourceType } from "../../../gen/flyteidl/core/identifier_pb.js";
import type { AdminService } from "../../../gen/flyteidl/service/admin_pb.js";
import type { App } from "../../../src/app.js";
import { ConfigError } from "../../../src/config.js";
import { loadKubeConfig } from "../../../src/engine/k8s/kube-config.js";
import { loadFlytekitPackage, registerPackage, type FlytekitPackage } from "../../fixtures/flytekit.js";
import { type KubeApiServer, startKubeApiServer } from "../../fixtures/kube-api-server.js";
import { inMemoryAdmin, testConfig } from "../../helpers/app.js";

const P = "flytesnacks";
const D = "development";
const NS = `${P}-${D}`;
const WF_PATH = `/apis/flyte.lyft.com/v1alpha1/namespaces/${NS}/flyteworkflows`;

let kube: KubeApiServer;
let app: App;
let admin: Client<typeof AdminService>;
let pkg: FlytekitPackage;

beforeAll(async () => {
  kube = await startKubeApiServer();
  ({ app, admin } = await inMemoryAdmin({ engine: "k8s", k8sKubeconfig: kube.kubeconfigPath, k8sRequestTimeoutMs: "300" }));
  await admin.registerProject({ project: { id: P, name: P } });
  pkg = loadFlytekitPackage("hello", P, D, "v1");
  await registerPackage(admin, pkg);
});
afterAll(async () => {
  await app?.close();
  await kube?.close();
});
afterEach(() => {
  kube.mode = "ok";
});

const launch = (name: string) => admin.createExecution({ project: P, domain: D, name, spec: { launchPlan: pkg.launchPlans[0]!.id }, inputs: {} });
const get = (name: string) => admin.getExecution({ id: { project: P, domain: D, name } });
const posts = (path: string) => kube.requests.filter((r) => r.method === "POST" && r.path === path);

describe("--engine k8s", () => {
  it("creates the namespace and a FlyteWorkflow named after the execution in <project>-<domain>", async () => {
    await launch("k1");
    expect(posts("/api/v1/namespaces").map((r) => (r.body as { metadata: { name: string } }).metadata.name)).toEqual([NS]);
    const [create] = posts(WF_PATH);
    expect(create?.contentType).toMatch(/^application\/json/);
    const body = create!.body as Record<string, any>;
    expect(body).toMatchObject({
      apiVersion: "flyte.lyft.com/v1alpha1",
      kind: "FlyteWorkflow",
      metadata: { name: "k1", namespace: NS, labels: { "execution-id": "k1", project: P, domain: D }, finalizers: ["flyte.org/finalizer"] },
      executionId: { project: P, domain: D, name: "k1" },
      workflowMeta: { eventVersion: 2 },
      inputs: { literals: { name: { scalar: { primitive: { stringValue: "world" } } } } },
    });
    expect(body.metadata.labels["shard-key"]).toMatch(/^\d+$/);
    // The platform's task resources (here the configured defaults) travel with the object, as FlyteAdmin sends them.
    expect(body.executionConfig.TaskResources).toMatchObject({ Requests: { CPU: "2", Memory: "200Mi" }, Limits: { CPU: "2", Memory: "1Gi" } });
    expect(Object.keys(body.spec.nodes)).toContain("n0");
    expect(Object.keys(body.tasks)).toHaveLength(1);
    expect(kube.get("flyte.lyft.com/v1alpha1", "flyteworkflows", NS, "k1")).toBeDefined();
    const exec = await get("k1");
    expect(exec.closure?.phase).toBe(Phase.UNDEFINED);
    expect(exec.spec?.metadata?.systemMetadata?.namespace).toBe(NS);
  });

  it("creates a namespace once", async () => {
    await launch("k2");
    expect(posts("/api/v1/namespaces")).toHaveLength(1);
    expect(posts(WF_PATH).map((r) => (r.body as { metadata: { name: string } }).metadata.name)).toContain("k2");
  });

  it("takes an object that exists already (409) as handed off", async () => {
    kube.objects.set(`flyte.lyft.com/v1alpha1/flyteworkflows/${NS}/k3`, { apiVersion: "flyte.lyft.com/v1alpha1", kind: "FlyteWorkflow", metadata: { name: "k3", namespace: NS } });
    await launch("k3");
    expect((await get("k3")).closure?.phase).toBe(Phase.UNDEFINED);
  });

  it("terminates by deleting the object in the background; a missing object is no error", async () => {
    await launch("k4");
    await admin.terminateExecution({ id: { project: P, domain: D, name: "k4" }, cause: "stop" });
    const del = kube.requests.find((r) => r.method === "DELETE" && r.path === `${WF_PATH}/k4`);
    expect(del).toBeDefined();
    expect(del!.query.get("propagationPolicy") ?? (del!.body as { propagationPolicy?: string } | undefined)?.propagationPolicy).toBe("Background");
    // Propeller's finalizer keeps the object, marked for deletion, until it has aborted the run.
    expect(kube.get("flyte.lyft.com/v1alpha1", "flyteworkflows", NS, "k4")?.metadata.deletionTimestamp).toBeDefined();
    expect((await get("k4")).closure?.phase).toBe(Phase.ABORTING);

    await launch("k5");
    kube.objects.delete(`flyte.lyft.com/v1alpha1/flyteworkflows/${NS}/k5`);
    await admin.terminateExecution({ id: { project: P, domain: D, name: "k5" }, cause: "stop" });
    expect(kube.requests.filter((r) => r.method === "DELETE" && r.path === `${WF_PATH}/k5`)).toHaveLength(1);
    expect((await get("k5")).closure?.phase).toBe(Phase.ABORTING);
  });

  it("answers INTERNAL when the delete cannot be made, and a later terminate retries it", async () => {
    await launch("k6");
    kube.mode = "down";
    const err = await admin.terminateExecution({ id: { project: P, domain: D, name: "k6" }, cause: "stop" }).catch((e: unknown) => e);
    expect((err as ConnectError).code).toBe(Code.Internal);
    expect((err as ConnectError).rawMessage).toMatch(/^failed to terminate execution: k6 with err kubernetes API unreachable to delete flyteworkflows\.flyte\.lyft\.com flytesnacks-development\/k6/);
    kube.mode = "ok";
    await admin.terminateExecution({ id: { project: P, domain: D, name: "k6" }, cause: "stop" });
    expect(kube.get("flyte.lyft.com/v1alpha1", "flyteworkflows", NS, "k6")?.metadata.deletionTimestamp).toBeDefined();
  });

  it("records a launch plan's execution FAILED with FlyteAdmin's message when the API is down", async () => {
    kube.mode = "down";
    await launch("down1");
    const exec = await get("down1");
    expect(exec.closure?.phase).toBe(Phase.FAILED);
    const error = exec.closure?.outputResult.case === "error" ? exec.closure.outputResult.value : undefined;
    expect(error?.code).toBe("Internal");
    expect(error?.message).toMatch(/^failed to create workflow in propeller kubernetes API unreachable to create flyteworkflows\.flyte\.lyft\.com flytesnacks-development\/down1/);
  });

  it("surfaces an RBAC refusal (403) in the execution's error", async () => {
    kube.mode = "forbidden";
    await launch("denied1");
    const exec = await get("denied1");
    expect(exec.closure?.phase).toBe(Phase.FAILED);
    const error = exec.closure?.outputResult.case === "error" ? exec.closure.outputResult.value : undefined;
    expect(error?.message).toContain("failed to create workflow in propeller kubernetes API refused to create flyteworkflows.flyte.lyft.com flytesnacks-development/denied1: 403 Forbidden");
    expect(error?.message).toContain('cannot create resource "flyteworkflows" in API group "flyte.lyft.com" in the namespace "flytesnacks-development"');
  });

  it("bounds a call that gets no answer by the request timeout", async () => {
    kube.mode = "slow";
    await launch("slow1");
    const exec = await get("slow1");
    const error = exec.closure?.outputResult.case === "error" ? exec.closure.outputResult.value : undefined;
    expect(exec.closure?.phase).toBe(Phase.FAILED);
    expect(error?.message).toContain("did not answer to create flyteworkflows.flyte.lyft.com flytesnacks-development/slow1 within 300 ms");
  });

  it("answers a single-task launch's failure to the caller and keeps nothing", async () => {
    kube.mode = "down";
    const task = { ...pkg.tasks[0]!.id, resourceType: ResourceType.TASK };
    const err = await admin.createExecution({ project: P, domain: D, name: "task1", spec: { launchPlan: task }, inputs: { literals: { name: { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value: "x" } } } } } } } } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.Internal);
    expect((err as ConnectError).rawMessage).toMatch(/^failed to create workflow in propeller /);
    const missing = await get("task1").catch((e: unknown) => e);
    expect((missing as ConnectError).code).toBe(Code.NotFound);
  });
});

describe("--engine k8s with offloading", () => {
  it("sends the closure and inputs by location, the closure stored as the admin.WorkflowClosure propeller reads", async () => {
    const off = await inMemoryAdmin({ engine: "k8s", k8sKubeconfig: kube.kubeconfigPath, k8sOffloadClosure: "true", k8sOffloadInputs: "true", k8sConsoleUrl: "https://flyte.example.com/console" });
    try {
      await off.admin.registerProject({ project: { id: "offp", name: "offp" } });
      const offPkg = loadFlytekitPackage("hello", "offp", D, "v1");
      await registerPackage(off.admin, offPkg);
      await off.admin.createExecution({ project: "offp", domain: D, name: "off1", spec: { launchPlan: offPkg.launchPlans[0]!.id }, inputs: {} });
      const body = kube.get("flyte.lyft.com/v1alpha1", "flyteworkflows", `offp-${D}`, "off1") as Record<string, any>;
      expect(body).toBeDefined();
      expect(body.spec).toBeUndefined();
      expect(body.tasks).toBeUndefined();
      expect(body.inputs).toBeUndefined();
      expect(body.consoleUrl).toBe("https://flyte.example.com/console");
      expect(body.offloadedInputs).toMatch(/^file:\/\/.*\/metadata\/offp\/development\/off1\/inputs$/);
      expect(body.workflowClosureReference).toMatch(/^file:\/\/.*\/metadata\/offp\/development\/off1\/workflow_closure$/);
      const stored = fromBinary(WorkflowClosureSchema, readFileSync(fileURLToPath(body.workflowClosureReference)));
      expect(stored.compiledWorkflow?.primary?.template?.id?.name).toBe(offPkg.workflows[0]!.id.name);
      expect(stored.compiledWorkflow?.tasks).toHaveLength(1);

      // A hand-off that fails keeps no offloaded closure behind.
      kube.mode = "down";
      await off.admin.createExecution({ project: "offp", domain: D, name: "off2", spec: { launchPlan: offPkg.launchPlans[0]!.id }, inputs: {} });
      expect((await off.admin.getExecution({ id: { project: "offp", domain: D, name: "off2" } })).closure?.phase).toBe(Phase.FAILED);
      expect(existsSync(fileURLToPath(body.workflowClosureReference.replace("/off1/", "/off2/")))).toBe(false);
    } finally {
      await off.app.close();
    }
  });
});

describe("kubeconfig at start-up", () => {
  it("refuses a missing, malformed or context-less kubeconfig in one line", async () => {
    const dir = testConfig().dataDir;
    expect(() => loadKubeConfig({ kubeconfig: join(dir, "nope"), context: "" })).toThrow(new ConfigError(`--k8s-kubeconfig: no such file ${join(dir, "nope")}`));
    const bad = join(dir, "bad");
    writeFileSync(bad, "clusters: [\n  - {name: x");
    expect(() => loadKubeConfig({ kubeconfig: bad, context: "" })).toThrow(ConfigError);
    expect(() => loadKubeConfig({ kubeconfig: bad, context: "" })).toThrow(/^--k8s-kubeconfig: cannot load .*bad: [^\n]+$/);
    expect(() => loadKubeConfig({ kubeconfig: kube.kubeconfigPath, context: "elsewhere" })).toThrow(`has no context "elsewhere"`);
    const empty = join(dir, "empty");
    writeFileSync(empty, "apiVersion: v1\nkind: Config\n");
    expect(() => loadKubeConfig({ kubeconfig: empty, context: "" })).toThrow(/names no cluster/);
    expect(() => loadKubeConfig({ kubeconfig: "", context: "", env: { HOME: dir, KUBECONFIG: "" } })).toThrow(/not running in a cluster and no kubeconfig found/);
  });

  it("stops building the app when the kubeconfig cannot be loaded", async () => {
    const err = await inMemoryAdmin({ engine: "k8s", k8sKubeconfig: "/nonexistent/kubeconfig" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe("--k8s-kubeconfig: no such file /nonexistent/kubeconfig");
  });
});
