import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { engineTaskSlots, hostTaskResources, loadConfig } from "../../../src/config.js";

const file = (text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), "flyteadmin-engine-config-")), "config.yaml");
  writeFileSync(path, text);
  return path;
};
const host = { cpus: 6, memoryBytes: 16 * 2 ** 30 + 5 * 2 ** 20 + 123_456 };

describe("engine options", () => {
  it("default to the local engine with folders under the data folder", () => {
    const c = loadConfig({ flags: { dataDir: "/srv/flyte" }, host });
    expect(c).toMatchObject({
      engine: "local",
      enginePython: "",
      engineCodePaths: [],
      engineRunRoot: "/srv/flyte/engine",
      engineTaskSlots: 0,
      engineWorkers: 8,
      engineGracePeriodMs: 30000,
      engineEnv: {},
      engineSecretsDir: "/srv/flyte/secrets",
      engineContainerRuntime: "",
    });
    expect(engineTaskSlots(c, host)).toBe(6);
    expect(engineTaskSlots(loadConfig({ flags: { engineTaskSlots: "3" } }), host)).toBe(3);
  });

  it("are read from flags, the environment and the config file", () => {
    const path = file(
      [
        "engine: none",
        "enginePython: /opt/venv",
        "engineCodePaths: [/src/a, /src/b]",
        "engineEnv: { FOO: bar, N: 1 }",
        "engineWorkers: 2",
      ].join("\n"),
    );
    const fromFile = loadConfig({ file: path });
    expect(fromFile).toMatchObject({
      engine: "none",
      enginePython: "/opt/venv",
      engineCodePaths: ["/src/a", "/src/b"],
      engineEnv: { FOO: "bar", N: "1" },
      engineWorkers: 2,
    });
    const fromEnv = loadConfig({ file: path, env: { FLYTEADMIN_ENGINE: "local", FLYTEADMIN_ENGINE_ENV: "A=1,B=x=y", FLYTEADMIN_ENGINE_CODE_PATHS: "/c" } });
    expect(fromEnv).toMatchObject({ engine: "local", engineEnv: { A: "1", B: "x=y" }, engineCodePaths: ["/c"] });
    const fromFlags = loadConfig({ file: path, flags: { engineRunRoot: "/runs", engineSecretsDir: "/sec", engineGracePeriodMs: "5" } });
    expect(fromFlags).toMatchObject({ engineRunRoot: "/runs", engineSecretsDir: "/sec", engineGracePeriodMs: 5 });
  });

  it("are absolute paths even when the data dir, run root, secrets dir or code paths are given relative", () => {
    const derived = loadConfig({ flags: { dataDir: "./rel-data" } });
    expect(derived).toMatchObject({ engineRunRoot: resolve("rel-data", "engine"), engineSecretsDir: resolve("rel-data", "secrets") });
    const given = loadConfig({ flags: { engineRunRoot: "runs", engineSecretsDir: "../sec", engineCodePaths: "src/a,/abs/b" } });
    expect(given).toMatchObject({ engineRunRoot: resolve("runs"), engineSecretsDir: resolve("..", "sec"), engineCodePaths: [resolve("src/a"), "/abs/b"] });
    // The database and blob folders keep their meaning (resolved where they are opened, against the same folder).
    expect(derived).toMatchObject({ database: join("./rel-data", "flyteadmin.db"), storage: join("./rel-data", "blobs") });
  });

  it("take the k8s engine and its options from flags and files", () => {
    const flags = loadConfig({ flags: { engine: "k8s", k8sKubeconfig: "/etc/kube/config", k8sClusterId: "east", k8sOffloadInputs: "true" } });
    expect(flags).toMatchObject({ engine: "k8s", k8sKubeconfig: "/etc/kube/config", k8sClusterId: "east", k8sOffloadInputs: true, k8sOffloadClosure: false, k8sCreateNamespaces: true });
    expect(flags.k8sNamespaceTemplate).toBe("{{ project }}-{{ domain }}");
    const fromFile = loadConfig({ file: file("engine: k8s\nclusterResources: true\nclusterResourcesCustomData:\n  production: {projectQuotaCpu: 16, gpu: true}\n") });
    expect(fromFile).toMatchObject({ engine: "k8s", clusterResources: true, clusterResourcesCustomData: { production: { projectQuotaCpu: "16", gpu: "true" } } });
  });

  it("refuse what cannot work, naming the source", () => {
    expect(() => loadConfig({ env: { FLYTEADMIN_ENGINE: "propeller" } })).toThrow(/FLYTEADMIN_ENGINE: expected one of local, none, k8s, got "propeller"/);
    expect(() => loadConfig({ flags: { k8sNamespaceTemplate: "{{ project }}-{{ cluster }}" } })).toThrow(
      "--k8s-namespace-template: unknown template variable {{ cluster }}; it may use {{ project }} and {{ domain }}",
    );
    expect(() => loadConfig({ flags: { k8sRequestTimeoutMs: "10" } })).toThrow(/--k8s-request-timeout-ms: expected an integer of at least 100/);
    expect(() => loadConfig({ flags: { clusterResourcesCustomData: '{"production":{"quota":{}}}' } })).toThrow(/--cluster-resources-custom-data: expected a mapping of domains/);
    expect(() => loadConfig({ flags: { engineWorkers: "0" } })).toThrow(/--engine-workers: expected an integer of at least 1/);
    expect(() => loadConfig({ flags: { engineTaskSlots: "-1" } })).toThrow(/--engine-task-slots: expected a non-negative integer/);
    expect(() => loadConfig({ flags: { engineGracePeriodMs: String(2 ** 31) } })).toThrow(/--engine-grace-period-ms: expected an integer of at most 86400000/);
    expect(loadConfig({ flags: { engineGracePeriodMs: "86400000" } }).engineGracePeriodMs).toBe(86_400_000);
    expect(() => loadConfig({ flags: { engineEnv: "NOVALUE" } })).toThrow(/--engine-env: expected KEY=VALUE pairs/);
    expect(() => loadConfig({ flags: { engineEnv: "1X=a" } })).toThrow(/"1X" is not an environment variable name/);
    expect(() => loadConfig({ file: file("engineEnv: { A: [1] }\n") })).toThrow(/expected a text value for A/);
    expect(() => loadConfig({ flags: { engineContainerRuntime: "lxc" } })).toThrow(/expected one of "", docker, podman/);
    expect(loadConfig({ flags: { engineContainerRuntime: "docker" } }).engineContainerRuntime).toBe("docker");
  });

  it("keep a variable named __proto__ as a variable", () => {
    const env = loadConfig({ flags: { engineEnv: "__proto__=x,A=b" } }).engineEnv;
    expect(Object.entries(env)).toEqual([
      ["__proto__", "x"],
      ["A", "b"],
    ]);
    expect(Object.getPrototypeOf(env)).toBe(Object.prototype);
  });
});

describe("platform task resources", () => {
  it("follow the host with the local engine: its CPU count and memory are the limits", () => {
    const c = loadConfig({ host });
    expect(c.taskResources.limits).toMatchObject({ cpu: "6", memory: "16389Mi", gpu: "1" });
    expect(c.taskResources.defaults).toMatchObject({ cpu: "2", memory: "200Mi" });
  });

  it("write whole quantities canonically and keep defaults within the limits", () => {
    const small = hostTaskResources({ cpus: 1, memoryBytes: 150 * 2 ** 20 + 7 });
    expect(small.limits).toMatchObject({ cpu: "1", memory: "150Mi" });
    expect(small.defaults).toMatchObject({ cpu: "1", memory: "150Mi" });
    expect(hostTaskResources({ cpus: 64, memoryBytes: 2 * 2 ** 40 }).limits).toMatchObject({ cpu: "64", memory: "2Ti" });
    expect(hostTaskResources({ cpus: 2, memoryBytes: 3 * 2 ** 30 }).limits).toMatchObject({ memory: "3Gi" });
  });

  it("are today's defaults with no engine, and whatever the user set in any case", () => {
    const none = loadConfig({ flags: { engine: "none" }, host });
    expect(none.taskResources.limits).toMatchObject({ cpu: "2", memory: "1Gi", gpu: "1" });
    const set = '{"defaults":{"cpu":"1","memory":"100Mi"},"limits":{"cpu":"3","memory":"2Gi"}}';
    expect(loadConfig({ flags: { taskResources: set }, host }).taskResources.limits).toMatchObject({ cpu: "3", memory: "2Gi" });
    expect(loadConfig({ env: { FLYTEADMIN_TASK_RESOURCES: set }, host }).taskResources.limits).toMatchObject({ cpu: "3", memory: "2Gi" });
    expect(loadConfig({ file: file("taskResources: { limits: { cpu: '5' } }\n"), host }).taskResources.limits).toMatchObject({ cpu: "5", memory: "" });
  });
});

describe("the blob store settings tasks get", () => {
  it("are the server's S3 endpoint and credentials with S3 storage, nothing with a local folder", async () => {
    const { taskBlobEnv } = await import("../../../src/engine-wiring.js");
    const s3 = loadConfig({ flags: { storage: "s3://bucket/flyte", s3Endpoint: "http://minio:9000", s3AccessKeyId: "AK", s3SecretAccessKey: "SK" } });
    expect(taskBlobEnv(s3, { base: "s3://bucket/flyte" })).toEqual({
      FLYTE_AWS_ENDPOINT: "http://minio:9000",
      FLYTE_AWS_ACCESS_KEY_ID: "AK",
      FLYTE_AWS_SECRET_ACCESS_KEY: "SK",
    });
    // AWS itself with the SDK's own credential chain: nothing to pass on.
    expect(taskBlobEnv(loadConfig({ flags: { storage: "s3://bucket/flyte" } }), { base: "s3://bucket/flyte" })).toEqual({});
    expect(taskBlobEnv(s3, { base: "file:///srv/flyte/blobs" })).toEqual({});
  });
});
