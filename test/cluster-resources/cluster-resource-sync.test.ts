import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient, createRouterTransport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Project_ProjectState as ProjectState } from "../../gen/flyteidl/admin/project_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { type App, buildApp } from "../../src/app.js";
import { createLogger } from "../../src/logger.js";
import { type KubeApiServer, startKubeApiServer } from "../fixtures/kube-api-server.js";
import { testConfig } from "../helpers/app.js";

const QUOTA = `apiVersion: v1
kind: ResourceQuota
metadata:
  name: project-quota
  namespace: {{ namespace }}
spec:
  hard:
    limits.cpu: "{{ projectQuotaCpu }}"
`;
const ACCOUNT = JSON.stringify({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default-runner", annotations: { "flyte.org/project": "{{ project }}", "flyte.org/domain": "{{domain}}" } } });
const BROKEN = `apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {value: "{{ notConfigured }}"}
`;

let kube: KubeApiServer;
let app: App;
let admin: Client<typeof AdminService>;
let templates: string;
const logs: Record<string, unknown>[] = [];

beforeAll(async () => {
  kube = await startKubeApiServer();
  templates = mkdtempSync(join(tmpdir(), "cluster-templates-"));
  writeFileSync(join(templates, "00-quota.yaml"), QUOTA);
  writeFileSync(join(templates, "10-account.json"), ACCOUNT);
  writeFileSync(join(templates, "20-broken.yaml"), BROKEN);
  writeFileSync(join(templates, "README.md"), "not a template");
  const config = testConfig({
    domains: "development,production",
    clusterResources: "true",
    k8sKubeconfig: kube.kubeconfigPath,
    clusterResourcesTemplatePath: templates,
    clusterResourcesCustomData: JSON.stringify({ development: { projectQuotaCpu: "4" }, production: { projectQuotaCpu: 16 } }),
  });
  app = await buildApp(config, createLogger("info", (line) => logs.push(JSON.parse(line) as Record<string, unknown>)));
  admin = createClient(AdminService, createRouterTransport(app.routes, { router: { interceptors: app.interceptors } }));
});
afterAll(async () => {
  await app?.close();
  await kube?.close();
  rmSync(templates, { recursive: true, force: true });
});

const writes = () => kube.requests.filter((r) => r.method !== "GET");
const quota = (ns: string) => kube.get("v1", "resourcequotas", ns, "project-quota") as { spec: { hard: Record<string, string> } } | undefined;

describe("cluster resources", () => {
  it("gives a new project its namespaces and templated objects, and logs the template it cannot render", async () => {
    await admin.registerProject({ project: { id: "alpha", name: "alpha" } });
    await vi.waitFor(() => expect(quota("alpha-production")).toBeDefined(), { timeout: 10_000 });
    await app.clusterResources!.syncAll();
    expect(kube.namespaces().sort()).toEqual(["alpha-development", "alpha-production"]);
    expect(kube.get("v1", "namespaces", "", "alpha-production")?.metadata.labels).toEqual({ project: "alpha", domain: "production" });
    expect(quota("alpha-development")?.spec.hard["limits.cpu"]).toBe("4");
    expect(quota("alpha-production")?.spec.hard["limits.cpu"]).toBe("16");
    expect(kube.get("v1", "serviceaccounts", "alpha-development", "default-runner")?.metadata.annotations).toEqual({ "flyte.org/project": "alpha", "flyte.org/domain": "development" });
    expect(kube.get("v1", "configmaps", "alpha-development", "settings")).toBeUndefined();
    const refused = logs.filter((l) => l.msg === "cluster resources: cannot render a template");
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(refused[0]).toMatchObject({ level: "error", template: "20-broken.yaml", error: "unknown template variable {{ notConfigured }}" });
  });

  it("changes nothing when run again", async () => {
    const before = writes().length;
    const stats = await app.clusterResources!.syncAll();
    expect(writes().length).toBe(before);
    expect(stats).toMatchObject({ created: 0, updated: 0, unchanged: 4, error: 2 });
  });

  it("updates an object whose CLUSTER_RESOURCE attribute value changed", async () => {
    await admin.updateProjectDomainAttributes({
      attributes: { project: "alpha", domain: "production", matchingAttributes: { target: { case: "clusterResourceAttributes", value: { attributes: { projectQuotaCpu: "32" } } } } },
    });
    const before = writes().length;
    const stats = await app.clusterResources!.syncAll();
    expect(stats).toMatchObject({ created: 0, updated: 1, error: 2 });
    const patches = writes().slice(before);
    // As FlyteAdmin: create, and on AlreadyExists merge the template into the object.
    expect(patches.map((r) => [r.method, r.path])).toEqual([
      ["POST", "/api/v1/namespaces/alpha-production/resourcequotas"],
      ["PATCH", "/api/v1/namespaces/alpha-production/resourcequotas/project-quota"],
    ]);
    expect(patches[1]!.contentType).toMatch(/^application\/merge-patch\+json/);
    expect(quota("alpha-production")?.spec.hard["limits.cpu"]).toBe("32");
    expect(quota("alpha-development")?.spec.hard["limits.cpu"]).toBe("4");
  });

  it("never deletes, skips archived projects, and refuses attributes that set a reserved variable", async () => {
    rmSync(join(templates, "10-account.json"));
    await admin.registerProject({ project: { id: "gone", name: "gone" } });
    await app.clusterResources!.syncAll();
    await admin.updateProject({ id: "gone", name: "gone", state: ProjectState.ARCHIVED });
    await admin.updateProjectDomainAttributes({
      attributes: { project: "alpha", domain: "development", matchingAttributes: { target: { case: "clusterResourceAttributes", value: { attributes: { namespace: "elsewhere" } } } } },
    });
    const before = writes().length;
    const stats = await app.clusterResources!.syncAll();
    expect(writes().length).toBe(before);
    expect(stats.error).toBe(2);
    expect(kube.requests.filter((r) => r.method === "DELETE")).toEqual([]);
    expect(kube.get("v1", "serviceaccounts", "alpha-development", "default-runner")).toBeDefined();
    expect(logs.find((l) => l.msg === "cluster resources: cannot get the template values")).toMatchObject({
      namespace: "alpha-development",
      error: "CLUSTER_RESOURCE attributes of alpha/development may not set the reserved template variable {{ namespace }}",
    });
  });

  it("logs and counts a cluster that refuses, and applies it on a later pass", async () => {
    await admin.registerProject({ project: { id: "beta", name: "beta" } });
    await app.clusterResources!.syncAll();
    writeFileSync(join(templates, "30-limits.yaml"), "apiVersion: v1\nkind: LimitRange\nmetadata: {name: limits}\nspec: {limits: []}\n");
    kube.mode = "forbidden";
    const refused = await app.clusterResources!.syncAll();
    expect(refused.error).toBeGreaterThanOrEqual(4);
    expect(logs.find((l) => l.msg === "cluster resources: cannot apply a template")?.error).toMatch(/^kubernetes API refused to .* 403 Forbidden: /);
    kube.mode = "ok";
    await app.clusterResources!.syncAll();
    expect(kube.get("v1", "limitranges", "beta-production", "limits")).toBeDefined();
  });

  it("reports a kind the cluster does not serve, and applies the rest", async () => {
    writeFileSync(join(templates, "40-widget.yaml"), "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n");
    writeFileSync(join(templates, "50-config.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: after-widget}\ndata: {project: '{{ project }}'}\n");
    await app.clusterResources!.syncAll();
    const failed = logs.find((l) => l.msg === "cluster resources: cannot apply a template" && l.kind === "Widget");
    expect(failed).toMatchObject({ level: "error", template: "40-widget.yaml", namespace: "alpha-production" });
    expect(String(failed?.error)).toMatch(/^kubernetes API refused to create Widget alpha-production\/w: 404/);
    expect(kube.get("v1", "configmaps", "beta-production", "after-widget")).toMatchObject({ data: { project: "beta" } });
  });
});
