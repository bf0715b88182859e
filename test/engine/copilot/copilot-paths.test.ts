import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { TaskTemplateSchema } from "../../../gen/flyteidl/core/tasks_pb.js";
import { declaredPaths, isCopilotTask, rewriteCopilotPaths } from "../../../src/engine/local/process/copilot.js";
import { pythonTask } from "../../fixtures/flyte-builders.js";
import { fixtureTemplate, rawTemplate } from "./helpers.js";

const IN = "/srv/runs/p/d/e/n0/0/in";
const OUT = "/srv/runs/p/d/e/n0/0/out";

describe("which tasks use copilot", () => {
  it("raw-container templates from flytekit do; python tasks and disabled configs do not", () => {
    expect(isCopilotTask(fixtureTemplate("0_echo_msg_1.pb"))).toBe(true);
    expect(isCopilotTask(pythonTask("wf.t", {}, {}))).toBe(false);
    const disabled = rawTemplate({});
    if (disabled.target.case === "container") disabled.target.value.dataConfig!.enabled = false;
    expect(isCopilotTask(disabled)).toBe(false);
    const pod = create(TaskTemplateSchema, { target: { case: "k8sPod", value: { dataConfig: { enabled: true, inputPath: "/in" } } } });
    expect(isCopilotTask(pod)).toBe(true);
    expect(declaredPaths(pod)).toEqual({ inputPath: "/in", outputPath: "/var/flyte/outputs" });
  });
});

describe("host-mode path rewrite", () => {
  const t = rawTemplate({});
  const rw = (...argv: string[]) => rewriteCopilotPaths(argv, t, IN, OUT);

  it("replaces declared paths followed by '/', a quote, whitespace or the end", () => {
    expect(rw("sh", "-c", "echo hi > /var/outputs/out")).toEqual(["sh", "-c", `echo hi > ${OUT}/out`]);
    expect(rw("cat", "/var/inputs/x", "/var/inputs")).toEqual(["cat", `${IN}/x`, IN]);
    expect(rw("sh", "-c", 'cp "/var/inputs" \'/var/outputs\'\t/var/outputs\n')).toEqual(["sh", "-c", `cp "${IN}" '${OUT}'\t${OUT}\n`]);
    expect(rw("--out=/var/outputs/o", "file:///var/outputs/x")).toEqual([`--out=${OUT}/o`, `file://${OUT}/x`]);
  });

  it("leaves look-alikes alone", () => {
    const same = ["/var/outputsx", "/var/outputs.bak", "/mnt/var/outputs/x", "a/var/inputs", "/var/inputs-old/y", "~/var/inputs", "{{.inputs.x}}"];
    expect(rw(...same)).toEqual(same);
  });

  it("uses propeller's defaults when flytekit leaves the paths empty, and ignores trailing slashes", () => {
    const defaults = rawTemplate({ inputPath: "", outputPath: "" });
    expect(rewriteCopilotPaths(["ls /var/flyte/inputs/a /var/flyte/outputs"], defaults, IN, OUT)).toEqual([`ls ${IN}/a ${OUT}`]);
    const slashed = rawTemplate({ inputPath: "/data/in/", outputPath: "/data/out///" });
    expect(rewriteCopilotPaths(["/data/in/x", "/data/out/"], slashed, IN, OUT)).toEqual([`${IN}/x`, `${OUT}/`]);
  });

  it("prefers the longer path when one contains the other, never replaces '/', keeps '$' in directories literal", () => {
    const nested = rawTemplate({ inputPath: "/data", outputPath: "/data/out" });
    expect(rewriteCopilotPaths(["/data/out/o", "/data/x"], nested, IN, OUT)).toEqual([`${OUT}/o`, `${IN}/x`]);
    const root = rawTemplate({ inputPath: "/", outputPath: "/var/outputs" });
    expect(rewriteCopilotPaths(["/ /x /var/outputs"], root, IN, OUT)).toEqual([`/ /x ${OUT}`]);
    expect(rewriteCopilotPaths(["/var/outputs/o"], t, IN, "/tmp/$&$1")).toEqual(["/tmp/$&$1/o"]);
  });

  it("keeps empty arguments and does not touch the input array", () => {
    const argv = ["", "/var/inputs", ""];
    expect(rewriteCopilotPaths(argv, t, IN, OUT)).toEqual(["", IN, ""]);
    expect(argv).toEqual(["", "/var/inputs", ""]);
  });
});
