// Tasks run through a stand-in flytekit (shell scripts named pyflyte-execute and
// pyflyte-fast-execute in a kit laid out as <root>/bin + <root>/site/flytekit): what reaches
// their environment, without needing Python.
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TaskTemplateSchema } from "../../../gen/flyteidl/core/tasks_pb.js";
import { taskId } from "../../fixtures/flyte-builders.js";
import { type Sandbox, attemptDir, attemptOf, handleUntil, sandbox } from "./harness.js";

let s: Sandbox;
let kitRoot: string;
beforeEach(async () => {
  s = await sandbox();
  kitRoot = join(s.root, "kit");
  await mkdir(join(kitRoot, "bin"), { recursive: true });
  await mkdir(join(kitRoot, "site", "flytekit"), { recursive: true });
  for (const name of ["pyflyte-execute", "pyflyte-fast-execute"]) {
    const script = join(kitRoot, "bin", name);
    await writeFile(script, `#!/bin/sh\necho "$PYTHONPATH" > pythonpath.out\n`);
    await chmod(script, 0o755);
  }
});
afterEach(async () => {
  await s.dispose();
});

const pythonTask = (argv: string[]) =>
  create(TaskTemplateSchema, { id: taskId("py"), type: "python-task", target: { case: "container", value: { image: "x", args: argv } } });

describe("local-process plugin with flytekit", () => {
  it("puts the code paths before the kit's site on PYTHONPATH, except for fast-registered code, which they would shadow", async () => {
    const plugin = s.plugin({ python: kitRoot, codePaths: ["/opt/code"] });
    const plain = attemptOf(s, pythonTask(["pyflyte-execute", "--inputs", "{{.input}}"]));
    const fast = attemptOf(s, pythonTask(["pyflyte-fast-execute", "--additional-distribution", "file:///x.tar.gz", "--dest-dir", "/root", "--", "pyflyte-execute"]));
    for (const a of [plain, fast]) {
      const p = await handleUntil(plugin, a, ["Success", "RetryableFailure", "PermanentFailure"]);
      expect(p.phase, p.error?.message).toBe("Success");
    }
    const pythonPath = async (a: typeof plain) => (await readFile(join(attemptDir(s, a), "pythonpath.out"), "utf8")).trim();
    expect(await pythonPath(plain)).toBe(`/opt/code:${join(kitRoot, "site")}`);
    expect(await pythonPath(fast)).toBe(join(kitRoot, "site"));
  });
});
