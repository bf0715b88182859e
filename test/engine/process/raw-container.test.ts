// Raw-container tasks through the local-process plugin in host mode: inputs written to
// files before the start, the declared paths pointed at the attempt's folders, output
// files uploaded after the exit.
import { mkdir, writeFile } from "node:fs/promises";
import { create } from "@bufbuild/protobuf";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExecutionError_ErrorKind } from "../../../gen/flyteidl/core/execution_pb.js";
import { LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { DataLoadingConfig_LiteralMapFormat, type TaskTemplate, TaskTemplateSchema } from "../../../gen/flyteidl/core/tasks_pb.js";
import { outputsPath } from "../../../src/engine/local/paths.js";
import { T, iface, taskId } from "../../fixtures/flyte-builders.js";
import type { BlobStore } from "../../../src/blob/blob-store.js";
import { type Sandbox, attemptOf, controlFile, handleUntil, sandbox } from "./harness.js";

let s: Sandbox;
beforeEach(async () => {
  s = await sandbox();
});
afterEach(async () => {
  await s.dispose();
});

/** What flytekit's ContainerTask registers. */
function containerTask(script: string): TaskTemplate {
  return create(TaskTemplateSchema, {
    id: taskId("echo_container"),
    type: "raw-container",
    interface: iface({ msg: T.str() }, { out: T.str() }),
    target: {
      case: "container",
      value: {
        image: "alpine:3",
        command: ["/bin/sh", "-c"],
        args: [script],
        dataConfig: { enabled: true, inputPath: "/var/inputs", outputPath: "/var/outputs", format: DataLoadingConfig_LiteralMapFormat.JSON },
      },
    },
  });
}

const msg = (v: string) =>
  create(LiteralMapSchema, {
    literals: { msg: { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value: v } } } } } } },
  });

describe("local-process plugin: raw containers (host mode)", () => {
  it("echo {{.inputs.msg}} > /var/outputs/out produces out = the message", async () => {
    const plugin = s.plugin();
    const a = attemptOf(s, containerTask("echo {{.inputs.msg}} > /var/outputs/out && cat /var/inputs/msg > /var/outputs/copy"));
    await s.blobs.putMessage(s.blobs.keyOf(a.paths.inputPath)!, LiteralMapSchema, msg("hi"));
    const p = await handleUntil(plugin, a, ["Success", "RetryableFailure", "PermanentFailure"]);
    expect(p.phase, p.error?.message).toBe("Success");
    const out = await s.blobs.getMessage(s.blobs.keyOf(outputsPath(a.paths.outputPrefix))!, LiteralMapSchema);
    const lit = out?.literals.out?.value;
    expect(lit?.case === "scalar" && lit.value.value.case === "primitive" ? lit.value.value.value.value.value : undefined).toBe("hi");
  });

  it("an _ERROR file fails the attempt with the user's message", async () => {
    const plugin = s.plugin();
    const a = attemptOf(s, containerTask("echo 'it broke' > /var/outputs/_ERROR"));
    await s.blobs.putMessage(s.blobs.keyOf(a.paths.inputPath)!, LiteralMapSchema, msg("hi"));
    const p = await handleUntil(plugin, a, ["Success", "RetryableFailure", "PermanentFailure"]);
    expect(p.phase).toBe("PermanentFailure");
    expect(p.error?.kind).toBe(ExecutionError_ErrorKind.USER);
    expect(p.error?.message).toContain("it broke");
  });

  it("inputs that cannot be read fail the attempt as a SYSTEM retryable failure, before any process starts", async () => {
    const plugin = s.plugin();
    const a = attemptOf(s, containerTask("true"));
    await s.blobs.put(s.blobs.keyOf(a.paths.inputPath)!, new Uint8Array([0xff, 0xff]));
    const p = await handleUntil(plugin, a, ["Success", "RetryableFailure", "PermanentFailure"]);
    expect(p.phase).toBe("RetryableFailure");
    expect(p.error?.kind).toBe(ExecutionError_ErrorKind.SYSTEM);
  });

  it("a start that fails after the inputs were downloaded is a SYSTEM LocalLaunchFailed, not a failed download", async () => {
    // The download (the inputs' second read; the first renders the command) waits until the
    // test has put a file where the shim's launch file goes, so the start fails.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let reads = 0;
    const blobs = new Proxy(s.blobs, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== "function") return v;
        if (prop !== "getMessage") return v.bind(target);
        return async (...args: unknown[]) => {
          if (++reads > 1) await gate;
          return (v as (...x: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as BlobStore;
    const plugin = s.plugin({ blobs });
    const a = attemptOf(s, containerTask("echo {{.inputs.msg}} > /var/outputs/out"));
    await s.blobs.putMessage(s.blobs.keyOf(a.paths.inputPath)!, LiteralMapSchema, msg("hi"));
    expect((await plugin.handle(a)).phase).toBe("Queued");
    await mkdir(controlFile(s, a, ""), { recursive: true });
    await writeFile(controlFile(s, a, "launch.json"), "{}");
    release();
    const p = await handleUntil(plugin, a, ["Success", "RetryableFailure", "PermanentFailure"]);
    expect(p.phase).toBe("RetryableFailure");
    expect(p.error).toMatchObject({ code: "LocalLaunchFailed", kind: ExecutionError_ErrorKind.SYSTEM });
  });
});
