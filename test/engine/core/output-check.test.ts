import { describe, expect, it } from "vitest";
import type { BlobStore } from "../../../src/blob/blob-store.js";
import { checkTaskOutputs, MAX_ERROR_FILE_BYTES, MAX_OUTPUTS_BYTES } from "../../../src/engine/local/output-check.js";
import { T } from "../../fixtures/flyte-builders.js";
import { taskOfType } from "./harness.js";

/** A blob store that only answers stat (with the given sizes) and fails every read. */
function sized(sizes: Record<string, number>): BlobStore {
  return {
    base: "file:///b",
    uri: (k: string) => `file:///b/${k}`,
    keyOf: (u: string) => (u.startsWith("file:///b/") ? u.slice("file:///b/".length) : undefined),
    stat: async (k: string) => (sizes[k] !== undefined ? { size: sizes[k] } : undefined),
    getMessage: async () => {
      throw new Error("read a file that is too large");
    },
  } as unknown as BlobStore;
}

describe("output checks read bounded files", () => {
  const t = taskOfType("scripted", "wf.t", {}, { o0: T.int() });
  it("fails an attempt whose outputs.pb is over the limit, without reading it", async () => {
    const p = await checkTaskOutputs(sized({ "out/outputs.pb": MAX_OUTPUTS_BYTES + 1 }), t, "file:///b/out");
    expect(p).toMatchObject({ recoverable: false, error: { code: "OutputSizeExceeded" } });
  });
  it("fails an attempt whose error.pb is over 10 MiB, without reading it", async () => {
    const p = await checkTaskOutputs(sized({ "out/error.pb": MAX_ERROR_FILE_BYTES + 1 }), t, "file:///b/out");
    expect(p).toMatchObject({ recoverable: false, error: { code: "ErrorFileTooLarge" } });
  });
});
