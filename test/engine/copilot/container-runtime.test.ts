import { spawnSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { containerRuntimeKind, containerStopArgs, dockerRunArgs, findContainerRuntime } from "../../../src/engine/local/process/container-runtime.js";
import { declaredPaths, prepareCopilotInputs, uploadCopilotOutputs } from "../../../src/engine/local/process/copilot.js";
import { renderArgs } from "../../../src/engine/local/render.js";
import { L, fixtureTemplate, literalMap, primitiveOf, sandbox } from "./helpers.js";

const base = {
  runtime: "docker" as const,
  name: "abc123-n0-0",
  image: "alpine:3.19",
  blobRoot: "/var/lib/fa/blobs",
  attemptDir: "/var/lib/fa/engine/runs/p/d/abc123/n0/0",
  env: { FLYTE_INTERNAL_EXECUTION_ID: "abc123", _FSEC_DB_PASSWORD: "s3cret", PATH: "/host/bin", HOME: "/home/me", A_FIRST: "1" },
  argv: ["sh", "-c", "echo hi > /var/outputs/out"],
};

describe("docker/podman run arguments", () => {
  it("mounts the blob root and attempt dir at their own paths and passes env by name only", () => {
    expect(dockerRunArgs(base)).toEqual([
      "run",
      "--rm",
      "--name=abc123-n0-0",
      "--security-opt=label=disable",
      "--volume=/var/lib/fa/blobs:/var/lib/fa/blobs",
      "--volume=/var/lib/fa/engine/runs/p/d/abc123/n0/0:/var/lib/fa/engine/runs/p/d/abc123/n0/0",
      "--workdir=/var/lib/fa/engine/runs/p/d/abc123/n0/0",
      "--env=A_FIRST",
      "--env=FLYTE_INTERNAL_EXECUTION_ID",
      "--env=_FSEC_DB_PASSWORD",
      "--entrypoint=sh",
      "alpine:3.19",
      "-c",
      "echo hi > /var/outputs/out",
    ]);
    expect(dockerRunArgs(base).join(" ")).not.toContain("s3cret");
  });

  it("adds the copilot mounts at the declared paths; no blob mount for S3; empty argv keeps the image's entrypoint", () => {
    const args = dockerRunArgs({
      ...base,
      runtime: "podman",
      blobRoot: "",
      env: {},
      argv: [],
      copilot: { inDir: `${base.attemptDir}/in`, outDir: `${base.attemptDir}/out`, inputPath: "/var/inputs", outputPath: "/var/outputs" },
    });
    expect(args).toEqual([
      "run",
      "--rm",
      "--name=abc123-n0-0",
      "--security-opt=label=disable",
      `--volume=${base.attemptDir}:${base.attemptDir}`,
      `--volume=${base.attemptDir}/in:/var/inputs`,
      `--volume=${base.attemptDir}/out:/var/outputs`,
      `--workdir=${base.attemptDir}`,
      "alpine:3.19",
    ]);
  });

  it("keeps arguments that look like flags after the image, and empty ones", () => {
    const args = dockerRunArgs({ ...base, argv: ["-weird-entry", "--rm", "", "-v"] });
    expect(args.slice(-5)).toEqual(["--entrypoint=-weird-entry", "alpine:3.19", "--rm", "", "-v"]);
  });

  it("refuses what cannot be expressed safely", () => {
    expect(() => dockerRunArgs({ ...base, name: "-x" })).toThrow("invalid container name");
    expect(() => dockerRunArgs({ ...base, name: "a b" })).toThrow("invalid container name");
    expect(() => dockerRunArgs({ ...base, image: "--privileged" })).toThrow("invalid container image");
    expect(() => dockerRunArgs({ ...base, image: "" })).toThrow("invalid container image");
    expect(() => dockerRunArgs({ ...base, blobRoot: "/a:b" })).toThrow("cannot be bind-mounted");
    expect(() => dockerRunArgs({ ...base, attemptDir: "relative/dir" })).toThrow("must be an absolute path");
    expect(() => dockerRunArgs({ ...base, env: { "A=B": "x" } })).toThrow("invalid environment variable name");
    expect(() =>
      dockerRunArgs({ ...base, copilot: { inDir: "/in", outDir: "/out", inputPath: "var/inputs", outputPath: "/var/outputs" } }),
    ).toThrow("must be an absolute path");
    expect(() => dockerRunArgs({ ...base, runtime: "lxc" as "docker" })).toThrow("unknown container runtime");
  });

  it("stops a container with a grace period", () => {
    expect(containerStopArgs("abc123-n0-0", 30)).toEqual(["stop", "-t", "30", "abc123-n0-0"]);
    expect(containerStopArgs("x", -1.5)).toEqual(["stop", "-t", "0", "x"]);
  });
});

describe("finding a container runtime", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "runtime-"));
    for (const [sub, name, code] of [
      ["both", "docker", 0],
      ["both", "podman", 0],
      ["broken-docker", "docker", 1],
      ["broken-docker", "podman", 0],
      ["none-answer", "docker", 1],
    ] as const) {
      await mkdir(join(dir, sub), { recursive: true });
      // Answers `version` with the given status, like a client whose daemon is (not) reachable.
      await writeFile(join(dir, sub, name), `#!/bin/sh\n[ "$1" = version ] && exit ${code}\nexit 3\n`);
      await chmod(join(dir, sub, name), 0o755);
    }
    await mkdir(join(dir, "not-executable"));
    await writeFile(join(dir, "not-executable", "docker"), "#!/bin/sh\nexit 0\n");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const find = (preferred: "docker" | "podman", ...dirs: string[]) => findContainerRuntime(preferred, { PATH: dirs.map((d) => join(dir, d)).join(":") });

  it("takes the preferred runtime, else the other one that answers", () => {
    expect(find("docker", "both")).toBe(join(dir, "both", "docker"));
    expect(find("podman", "both")).toBe(join(dir, "both", "podman"));
    expect(find("docker", "broken-docker")).toBe(join(dir, "broken-docker", "podman"));
    expect(find("docker", "none-answer")).toBeUndefined();
    expect(find("docker", "not-executable")).toBeUndefined();
    expect(find("docker")).toBeUndefined();
    expect(findContainerRuntime("docker", { PATH: "relative:" })).toBeUndefined();
  });

  it("names the kind of a runtime path", () => {
    expect(containerRuntimeKind("/usr/bin/podman")).toBe("podman");
    expect(containerRuntimeKind("/usr/local/bin/docker")).toBe("docker");
  });
});

// A real run needs a runtime that answers and the image already pulled (tests never pull).
const runtime = findContainerRuntime("docker");
const imagePresent = runtime !== undefined && spawnSync(runtime, ["image", "inspect", "alpine:3.19"], { stdio: "ignore" }).status === 0;
if (!imagePresent) console.warn("skipping the docker-mode copilot run: no docker/podman answering or alpine:3.19 not pulled");

describe.skipIf(!imagePresent)("docker mode with a real runtime", () => {
  it("runs flytekit's echo_msg with bind mounts and collects out = hi", async () => {
    const sb = await sandbox();
    try {
      const template = fixtureTemplate("0_echo_msg_1.pb");
      await sb.putInputs(literalMap({ msg: L.str("hi") }));
      const { inputPath, outputPath } = declaredPaths(template);
      await prepareCopilotInputs({ template, inputPath: sb.inputPath, blobs: sb.blobs, inDir: sb.inDir, visibleInDir: inputPath });
      await mkdir(sb.outDir, { recursive: true });
      await chmod(sb.outDir, 0o777); // the image's user may differ from ours
      const inputs = fromBinary(LiteralMapSchema, await readFile(join(sb.inDir, "inputs.pb")));
      const c = template.target.case === "container" ? template.target.value : undefined;
      const argv = renderArgs(c?.command ?? [], {
        input: sb.inputPath, inputPrefix: "", outputPrefix: sb.outputPrefix, rawOutputDataPrefix: sb.rawOutputPrefix,
        checkpointOutputPrefix: "", prevCheckpointPrefix: "", perRetryUniqueKey: "k", namespace: "p-d", inputs,
      });
      const attemptDir = join(sb.outDir, "..");
      const name = `copilot-test-${process.pid}`;
      const args = dockerRunArgs({
        runtime: containerRuntimeKind(runtime!), name, image: "alpine:3.19", blobRoot: join(sb.root, "blobs"),
        attemptDir, env: { MSG_ENV: "x" }, argv, copilot: { inDir: sb.inDir, outDir: sb.outDir, inputPath, outputPath },
      });
      const r = spawnSync(runtime!, args, { env: { ...process.env, MSG_ENV: "x" }, stdio: "ignore", timeout: 120_000 });
      expect(r.status).toBe(0);
      await uploadCopilotOutputs({ template, outDir: sb.outDir, outputPrefix: sb.outputPrefix, rawOutputPrefix: sb.rawOutputPrefix, blobs: sb.blobs });
      expect(primitiveOf((await sb.outputs())?.literals.out)).toBe("hi");
    } finally {
      await sb.close();
    }
  });
});
