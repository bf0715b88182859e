// The pure parts of the container runtime mode: which tasks run in their image, the client's
// command and environment, names, the blob root to mount, the image of a pod template.
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { DataLoadingConfig_LiteralMapFormat, TaskTemplateSchema } from "../../../gen/flyteidl/core/tasks_pb.js";
import {
  blobRootOf,
  containerCommand,
  containerName,
  isClientVariable,
  runsInContainer,
  runtimeClientEnv,
} from "../../../src/engine/local/process/container-runner.js";
import { taskImage } from "../../../src/engine/local/process/task-command.js";

const dir = "/data/engine/p/d/e1/n0/0";

describe("container runtime mode, pure parts", () => {
  it("runs raw containers and copilot tasks in their image, never python tasks", () => {
    const copilot = { enabled: true, inputPath: "/var/inputs", outputPath: "/var/outputs", format: DataLoadingConfig_LiteralMapFormat.JSON };
    const t = (type: string, dataConfig?: typeof copilot) => create(TaskTemplateSchema, { type, target: { case: "container", value: { image: "x", args: ["a"], ...(dataConfig ? { dataConfig } : {}) } } });
    expect(runsInContainer(t("raw-container", copilot))).toBe(true);
    expect(runsInContainer(t("raw-container"))).toBe(true);
    expect(runsInContainer(t("container", copilot))).toBe(true);
    expect(runsInContainer(t("container"))).toBe(false);
    expect(runsInContainer(t("python-task"))).toBe(false);
    expect(runsInContainer(t("python-task", copilot))).toBe(false);
  });

  it("passes the task's variables by name and runs the client with its own settings on top", () => {
    const cmd = containerCommand({
      runtime: "/usr/bin/podman",
      name: "e1-n0-0",
      image: "alpine:3.19",
      blobRoot: "/data/blobs",
      attemptDir: dir,
      taskEnv: { B: "2", A: "1", PATH: "/task/bin", HOME: "/home/task", DOCKER_HOST: "tcp://task", XDG_RUNTIME_DIR: "/task/run", SECRET: "s3cret" },
      argv: ["python", "-c", "print(1)"],
      copilot: undefined,
      clientEnv: { PATH: "/usr/bin", HOME: "/home/server", DOCKER_HOST: "unix:///server.sock" },
    });
    expect(cmd.argv).toEqual([
      "/usr/bin/podman",
      "run",
      "--rm",
      "--name=e1-n0-0",
      "--security-opt=label=disable",
      "--volume=/data/blobs:/data/blobs",
      `--volume=${dir}:${dir}`,
      `--workdir=${dir}`,
      "--env=A",
      "--env=B",
      "--env=SECRET",
      "--entrypoint=python",
      "alpine:3.19",
      "-c",
      "print(1)",
    ]);
    expect(cmd.argv.join(" ")).not.toContain("s3cret");
    expect(cmd.env).toEqual({ A: "1", B: "2", SECRET: "s3cret", PATH: "/usr/bin", HOME: "/home/server", DOCKER_HOST: "unix:///server.sock" });
  });

  it("knows the client's own variables", () => {
    for (const n of ["PATH", "HOME", "DOCKER_HOST", "DOCKER_CONFIG", "CONTAINER_HOST", "CONTAINERS_CONF", "XDG_RUNTIME_DIR", "REGISTRY_AUTH_FILE"]) {
      expect(isClientVariable(n), n).toBe(true);
    }
    for (const n of ["LANG", "TMPDIR", "FLYTE_INTERNAL_EXECUTION_ID", "MY_DOCKER_HOST"]) expect(isClientVariable(n), n).toBe(false);
    expect(runtimeClientEnv({ PATH: "/bin", DOCKER_CONTEXT: "ctx", SECRET: "x", HOME: undefined })).toEqual({ PATH: "/bin", DOCKER_CONTEXT: "ctx" });
  });

  it("mounts the folder of a file:// store, nothing for S3", () => {
    expect(blobRootOf("file:///var/lib/fa/blobs")).toBe("/var/lib/fa/blobs");
    expect(blobRootOf("file:///a b/blobs")).toBe("/a b/blobs");
    expect(blobRootOf("s3://bucket/prefix")).toBe("");
  });

  it("names the container after the generated name (sanitised only when docker would refuse it) and a hash of project and domain", () => {
    const scope = (p: string, d: string) => containerName("x", p, d).slice(2);
    const dev = scope("proj", "development");
    expect(dev).toMatch(/^[0-9a-f]{8}$/);
    expect(containerName("abc123-n0-0", "proj", "development")).toBe(`abc123-n0-0-${dev}`);
    expect(containerName("fuaa3aji", "proj", "development")).toBe(`fuaa3aji-${dev}`);
    expect(containerName("e1-my node-0", "proj", "development")).toBe(`e1_my_node_0-${dev}`);
    expect(containerName("-x", "proj", "development")).toBe(`ax-${dev}`);
    expect(containerName("_x y", "proj", "development")).toBe(`a_x_y-${dev}`);
    // The same execution and node in another project or domain is another container.
    expect(new Set([dev, scope("proj", "staging"), scope("other", "development"), scope("proj-d", "x"), scope("proj", "d-x")]).size).toBe(5);
    const long = containerName("a".repeat(80), "proj", "development");
    expect(long.length).toBe(63);
    expect(long.endsWith(`-${dev}`)).toBe(true);
  });

  it("takes the image of a pod template's primary container", () => {
    const pod = create(TaskTemplateSchema, {
      type: "sidecar",
      target: {
        case: "k8sPod",
        value: {
          primaryContainerName: "main",
          podSpec: { containers: [{ name: "side", image: "busybox" }, { name: "main", image: "ghcr.io/x/y:1" }] },
        },
      },
    });
    expect(taskImage(pod)).toBe("ghcr.io/x/y:1");
    expect(taskImage(create(TaskTemplateSchema, { target: { case: "container", value: { image: "alpine:3" } } }))).toBe("alpine:3");
    expect(taskImage(create(TaskTemplateSchema, {}))).toBe("");
  });
});
