import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { packageRoot } from "../../../src/paths.js";
import { startKubeApiServer } from "../../fixtures/kube-api-server.js";

/** What `flyteadmin-ts serve` says about its engine when it starts, from the command line. */
const KIT = "/work/shared/flytekit";
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** Starts the CLI, collects its log lines up to "serving", then stops it with SIGTERM. */
async function startupLines(args: string[]): Promise<{ lines: LogLine[]; code: number | null; signal: string | null; stderr: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), "flyteadmin-startup-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const child = spawn(process.execPath, [join(packageRoot(), "bin/flyteadmin-ts.js"), "serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    // No flytekit from the test runner's own PATH unless a test names one.
    env: { ...process.env, PATH: "/usr/bin:/bin" },
  });
  let out = "";
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const served = await new Promise<boolean>((resolve) => {
    child.once("exit", () => resolve(false));
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes('"msg":"serving"')) resolve(true);
    });
  });
  if (served) child.kill("SIGTERM");
  const { code, signal } = await exited;
  const lines = out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as LogLine);
  return { lines, code, signal, stderr };
}

describe("start-up report", () => {
  it("names the local engine, its slots and run root, and warns when no flytekit is found", async () => {
    const { lines, code, signal, stderr } = await startupLines(["--engine", "local", "--engine-python", "/nonexistent/venv", "--engine-task-slots", "3"]);
    expect({ code, signal, stderr: stderr.split("\n").filter((l) => l !== "" && !l.includes("through tsx")) }).toEqual({ code: 0, signal: null, stderr: [] });
    const warning = lines.find((l) => l.msg.startsWith("python tasks will fail"));
    expect(warning).toMatchObject({ level: "warn", where: "/nonexistent/venv" });
    expect(String(warning?.fix)).toContain("--engine-python");
    const serving = lines.find((l) => l.msg === "serving");
    expect(serving).toMatchObject({ engine: "local", python: "not found", taskSlots: 3 });
    expect(String(serving?.runRoot)).toMatch(/flyteadmin-startup-[^/]+\/engine$/);
  });

  it.skipIf(!existsSync(join(KIT, "bin/pyflyte-execute")))("names the Python that provides flytekit", async () => {
    const { lines } = await startupLines(["--engine-python", KIT]);
    expect(lines.find((l) => l.msg.startsWith("python tasks will fail"))).toBeUndefined();
    expect(lines.find((l) => l.msg === "serving")).toMatchObject({ engine: "local", python: join(KIT, "bin") });
  });

  it("says when no engine runs", async () => {
    const { lines } = await startupLines(["--engine", "none"]);
    const serving = lines.find((l) => l.msg === "serving");
    expect(serving?.engine).toBe("none");
    expect(serving).not.toHaveProperty("python");
    expect(lines.find((l) => l.msg.startsWith("python tasks will fail"))).toBeUndefined();
  });

  it("names the k8s engine and the cluster it hands executions to", async () => {
    const kube = await startKubeApiServer();
    try {
      const { lines, code } = await startupLines(["--engine", "k8s", "--k8s-kubeconfig", kube.kubeconfigPath, "--cluster-resources", "true"]);
      expect(code).toBe(0);
      expect(lines.find((l) => l.msg === "serving")).toMatchObject({ engine: "k8s", cluster: kube.url });
    } finally {
      await kube.close();
    }
  });

  it("refuses the k8s engine without a loadable kubeconfig in one line", async () => {
    const { code, stderr } = await startupLines(["--engine", "k8s", "--k8s-kubeconfig", "/nonexistent/kubeconfig"]);
    expect(code).toBe(1);
    const failure = stderr
      .trim()
      .split("\n")
      .filter((l) => !l.includes("running them through tsx"));
    expect(failure).toEqual(["flyteadmin-ts: --k8s-kubeconfig: no such file /nonexistent/kubeconfig"]);
  });
});
