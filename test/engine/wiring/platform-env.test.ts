import { describe, expect, it } from "vitest";
import { platformDefaultEnv, platformEnv } from "../../../src/engine/local/process/platform-env.js";
import { buildProcessEnv } from "../../../src/engine/local/process/process-env.js";

describe("where tasks reach the server (FLYTE_PLATFORM_*)", () => {
  it("is the server's host and port as a gRPC target, insecure over plain HTTP", () => {
    expect(platformEnv("http://127.0.0.1:8089")).toEqual({ FLYTE_PLATFORM_URL: "127.0.0.1:8089", FLYTE_PLATFORM_INSECURE: "true" });
    expect(platformEnv("http://[::1]:30080/")).toEqual({ FLYTE_PLATFORM_URL: "[::1]:30080", FLYTE_PLATFORM_INSECURE: "true" });
  });

  it("is TLS with https, with the scheme's port when the URL leaves it out", () => {
    expect(platformEnv("https://flyte.example.com")).toEqual({ FLYTE_PLATFORM_URL: "flyte.example.com:443", FLYTE_PLATFORM_INSECURE: "false" });
    expect(platformEnv("https://flyte.example.com:8443/prefix")).toEqual({ FLYTE_PLATFORM_URL: "flyte.example.com:8443", FLYTE_PLATFORM_INSECURE: "false" });
    expect(platformEnv("http://flyte.internal")).toEqual({ FLYTE_PLATFORM_URL: "flyte.internal:80", FLYTE_PLATFORM_INSECURE: "true" });
  });

  it("is nothing for what is not an http(s) URL", () => {
    for (const bad of ["", "127.0.0.1:8089", "dns:///127.0.0.1:8089", "ftp://x:1", "not a url"]) expect(platformEnv(bad)).toEqual({});
  });

  it("is under the configured --engine-env, which wins, and keeps a variable named __proto__", () => {
    const configured = Object.assign(Object.create(null) as Record<string, string>, { FLYTE_PLATFORM_INSECURE: "false", A: "1" });
    Object.defineProperty(configured, "__proto__", { value: "x", enumerable: true });
    const env = platformDefaultEnv("http://127.0.0.1:8089", configured);
    expect(Object.entries(env)).toEqual([
      ["FLYTE_PLATFORM_URL", "127.0.0.1:8089"],
      ["FLYTE_PLATFORM_INSECURE", "false"],
      ["A", "1"],
      ["__proto__", "x"],
    ]);
    const refilled = Object.assign(Object.create(null) as Record<string, string>, env);
    expect(Object.keys(refilled)).toContain("__proto__");
  });

  it("comes with the platform defaults: the execution's envs cannot move it, --engine-env can", () => {
    const base = {
      templateEnv: [],
      executionId: { project: "p", domain: "d", name: "e" } as never,
      workflowName: "wf",
      taskId: { project: "p", domain: "d", name: "t", version: "v" } as never,
      attempt: 0,
      blobEnv: {},
      secrets: {},
      hostPath: "/usr/bin",
      tmpDir: "/tmp/x",
      pythonPath: [],
    };
    const platform = platformEnv("http://127.0.0.1:8089");
    const env = buildProcessEnv({ ...base, executionEnvs: { FLYTE_PLATFORM_URL: "elsewhere:1" }, defaultEnv: platform });
    expect(env.FLYTE_PLATFORM_URL).toBe("127.0.0.1:8089");
    expect(env.FLYTE_PLATFORM_INSECURE).toBe("true");
    const overridden = buildProcessEnv({ ...base, executionEnvs: {}, defaultEnv: { ...platform, FLYTE_PLATFORM_URL: "gateway:443", FLYTE_PLATFORM_INSECURE: "false" } });
    expect([overridden.FLYTE_PLATFORM_URL, overridden.FLYTE_PLATFORM_INSECURE]).toEqual(["gateway:443", "false"]);
  });
});
