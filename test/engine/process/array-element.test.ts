import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { attemptOf, handleUntil, type Sandbox, sandbox, shellTask } from "./harness.js";

/**
 * A map task's element (engine-spec §5.3, §4.2, §4.3): its process reads the
 * array node's inputs (`{{.input}}`, `{{.inputPrefix}}`) and finds its index
 * where flytekit looks for it; a plain task sees neither.
 */
let s: Sandbox;
beforeEach(async () => {
  s = await sandbox();
});
afterEach(() => s.dispose());

const script = (out: string) => `printf '%s|%s|%s|%s' "$FLYTE_K8S_ARRAY_INDEX" "$BATCH_JOB_ARRAY_INDEX_VAR_NAME" "{{.input}}" "{{.inputPrefix}}" > ${out}`;

describe("an array element's process", () => {
  it("gets the array node's inputs and its index in FLYTE_K8S_ARRAY_INDEX", async () => {
    const out = join(s.root, "element.txt");
    const a = attemptOf(s, shellTask(script(out)), { nodeId: "n0-0-n2", envs: { FLYTE_K8S_ARRAY_INDEX: "99" } });
    const arrayDir = s.blobs.uri("metadata/propeller/array/n0/data");
    a.array = { index: 2, inputPath: `${arrayDir}/inputs.pb`, inputPrefix: arrayDir };
    const p = await handleUntil(s.plugin(), a, ["Success", "PermanentFailure", "RetryableFailure"]);
    expect(p.phase).toBe("Success");
    // The index wins over an execution env of the same name: propeller sets it on the element's envs.
    expect(readFileSync(out, "utf8")).toBe(`2|FLYTE_K8S_ARRAY_INDEX|${arrayDir}/inputs.pb|${arrayDir}`);
  });

  it("is a plain task's process otherwise: its own inputs, no index", async () => {
    const out = join(s.root, "plain.txt");
    const a = attemptOf(s, shellTask(script(out)));
    const p = await handleUntil(s.plugin(), a, ["Success", "PermanentFailure", "RetryableFailure"]);
    expect(p.phase).toBe("Success");
    expect(readFileSync(out, "utf8")).toBe(`||${a.paths.inputPath}|${a.paths.inputPrefix}`);
  });
});
