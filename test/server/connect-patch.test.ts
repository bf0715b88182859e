import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Code, ConnectError, createHandlerContext } from "@connectrpc/connect";
import { afterAll, describe, expect, it } from "vitest";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { packageRoot } from "../../src/paths.js";

const script = join(packageRoot(), "scripts", "patch-connect.mjs");
const connectRoot = join(dirname(createRequire(import.meta.url).resolve("@connectrpc/connect")), "..", "..");
const context = (init: { timeoutMs?: number; requestSignal?: AbortSignal }) =>
  createHandlerContext({
    service: Health,
    method: Health.method.check,
    protocolName: "grpc",
    requestMethod: "POST",
    url: "http://localhost/grpc.health.v1.Health/Check",
    requestSignal: init.requestSignal ?? new AbortController().signal,
    ...(init.timeoutMs !== undefined ? { timeoutMs: init.timeoutMs } : {}),
  });

describe("the @connectrpc/connect patch (scripts/patch-connect.mjs)", () => {
  const dir = mkdtempSync(join(tmpdir(), "connect-patch-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is applied to the installed package, in both its ES module and CommonJS builds", () => {
    // --check fails (exit 1) unless every file is patched.
    expect(() => execFileSync(process.execPath, [script, "--check"], { stdio: "pipe" })).not.toThrow();
    for (const build of ["esm", "cjs"]) {
      expect(readFileSync(join(connectRoot, "dist", build, "implementation.js"), "utf8")).toContain("function callEndedReason()");
    }
  });

  it("leaves a patched file alone and refuses one whose content it does not know", async () => {
    const { patchFile } = (await import(script)) as { patchFile(file: string, spec: object, write: boolean): string };
    const spec = { edits: [{ from: "const a = 1;", to: "const a = 2;" }] };
    const patched = join(dir, "patched.js");
    writeFileSync(patched, "const a = 2;\nfunction callEndedReason() {}\n");
    expect(patchFile(patched, spec, true)).toBe("patched");
    const original = join(dir, "original.js");
    writeFileSync(original, "const a = 1;\n");
    expect(patchFile(original, spec, true)).toBe("applied");
    expect(patchFile(original, spec, true)).toBe("patched");
    const other = join(dir, "other.js");
    writeFileSync(other, "const b = 1;\n");
    expect(() => patchFile(other, spec, true)).toThrow(/unexpected content/);
    expect(readFileSync(other, "utf8")).toBe("const b = 1;\n");
  });

  it("still aborts a finished call's signal with an AbortError, and keeps a given reason", () => {
    const ended = context({});
    ended.abort();
    expect(ended.signal.aborted).toBe(true);
    expect((ended.signal.reason as Error).name).toBe("AbortError");
    // A second abort keeps the first reason.
    ended.abort(new ConnectError("late", Code.Internal));
    expect((ended.signal.reason as Error).name).toBe("AbortError");

    const failed = context({});
    const reason = new ConnectError("boom", Code.Internal);
    failed.abort(reason);
    expect(failed.signal.reason).toBe(reason);
    // The stack limit is restored after building the reason.
    expect(Error.stackTraceLimit).toBeGreaterThan(0);
  });

  it("still ties the signal to the request's and to a deadline", () => {
    const client = new AbortController();
    const linked = context({ requestSignal: client.signal });
    expect(linked.signal.aborted).toBe(false);
    const cancelled = new ConnectError("cancelled", Code.Canceled);
    client.abort(cancelled);
    expect(linked.signal.reason).toBe(cancelled);

    // A deadline already past aborts at once with DEADLINE_EXCEEDED; none means no deadline.
    const late = context({ timeoutMs: 0 });
    expect(ConnectError.from(late.signal.reason).code).toBe(Code.DeadlineExceeded);
    expect(context({}).timeoutMs()).toBeUndefined();
  });
});
