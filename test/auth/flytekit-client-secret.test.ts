import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkflowExecution_Phase as WfPhase } from "../../gen/flyteidl/core/execution_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { copyEngineSources } from "../fixtures/engine/engine-package.js";
import { DOMAIN, type EngineServer, PROJECT, startEngineServer } from "../fixtures/engine/engine-server.js";
import { execId, outputsOf, primitive, uniqueName, waitForTerminal, waitUntil } from "../fixtures/engine/executions.js";
import { findFlytekit, type FlytekitKit, pyflyteEnv, SKIP_MESSAGE } from "../fixtures/engine/flytekit-kit.js";
import { killLeftoverTasks } from "../fixtures/engine/invariants.js";
import { CLIENT_ID, CLIENT_SECRET, selfAuth, withHeaders } from "../helpers/auth-server.js";
import { freePort } from "../helpers/free-port.js";

/**
 * The real flytekit against the self-hosted authorization server, with
 * `authType: ClientSecret` as a user configures it: `pyflyte register`
 * (fast registration: DataProxy, then the signed upload URL, which needs no
 * token) and `pyflyte run --remote`, each getting its token from
 * /oauth2/token after its first call is refused. The embedded engine runs
 * the execution in-process without a token.
 */
const kit = findFlytekit();
let h: EngineServer;
let work: string;
let src: string;
let pyflyte: (args: readonly string[]) => Promise<{ stdout: string; stderr: string }>;
let admin: ReturnType<typeof createClient<typeof AdminService>>;

describe.skipIf(!kit)(`flytekit with ClientSecret authentication ${kit ? "" : SKIP_MESSAGE}`, () => {
  beforeAll(async () => {
    // The URL flytekit is told to fetch tokens from must be where the server listens: its port is chosen first.
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    h = await startEngineServer(kit!, { flags: { engineCodePaths: "", listen: `127.0.0.1:${port}`, auth: JSON.stringify(selfAuth({ authorizedUris: [url] })) } });
    work = mkdtempSync(join(tmpdir(), "flyteadmin-auth-flytekit-"));
    src = copyEngineSources(join(work, "src"), ["marks.py", "hello.py"]);
    pyflyte = clientSecretCli(kit!, work, h.server.port);
    const token = await clientCredentialsToken(h.server.url);
    admin = createClient(AdminService, createGrpcTransport({ baseUrl: h.server.url, interceptors: [withHeaders({ "flyte-authorization": `Bearer ${token}` })] }));
    await admin.registerProject({ project: { id: PROJECT, name: PROJECT } });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    if (h) killLeftoverTasks(h);
    if (h && !process.env.E2E_KEEP) h.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("pyflyte register and pyflyte run --remote authenticate; the execution records the client as its principal", async () => {
    const version = "auth-v1";
    await pyflyte(["register", "--project", PROJECT, "--domain", DOMAIN, "--version", version, "engine_e2e"]);
    const task = await admin.getTask({ id: { resourceType: 1, project: PROJECT, domain: DOMAIN, name: "engine_e2e.hello.say_hello", version } });
    expect(task.id?.version).toBe(version);

    const name = uniqueName("authrun");
    const { stdout } = await pyflyte(["run", "--remote", "--project", PROJECT, "--domain", DOMAIN, "--name", name, "--env", `E2E_MARK_DIR=${h.markDir}`, "engine_e2e/hello.py", "hello_wf", "--name", "world"]);
    expect(stdout).toContain(name);
    const id = execId(name);
    await waitUntil("the execution pyflyte created", () => admin.getExecution({ id }).then(() => true), 10_000);
    const exec = await waitForTerminal(admin, id);
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(primitive((await outputsOf(admin, id)).o0)).toBe("hello world");
    expect(exec.spec?.metadata?.principal).toBe(CLIENT_ID);
  }, 180_000);

  it("pyflyte with a wrong secret is refused and creates nothing", async () => {
    const wrong = clientSecretCli(kit!, join(work, "wrong"), h.server.port, "not-the-secret");
    await expect(wrong(["register", "--project", PROJECT, "--domain", DOMAIN, "--version", "auth-wrong", "engine_e2e"])).rejects.toThrow(/invalid_client/);
    const tasks = await admin.listTasks({ id: { project: PROJECT, domain: DOMAIN, name: "engine_e2e.hello.say_hello" }, limit: 100 });
    expect(tasks.tasks.map((t) => t.id?.version)).not.toContain("auth-wrong");
  }, 120_000);
});

/** `pyflyte --config <file>` with `authType: ClientSecret`, the secret in a file, as flytekit's docs configure it. */
function clientSecretCli(kit: FlytekitKit, dir: string, port: number, secret = CLIENT_SECRET) {
  const home = join(dir, "home");
  mkdirSync(home, { recursive: true });
  const secretFile = join(home, "client_secret");
  writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
  const configFile = join(home, "config.yaml");
  writeFileSync(
    configFile,
    [
      "admin:",
      `  endpoint: dns:///127.0.0.1:${port}`,
      "  insecure: true",
      "  authType: ClientSecret",
      `  clientId: ${CLIENT_ID}`,
      `  clientSecretLocation: ${secretFile}`,
      "logger:",
      "  level: 0",
      "",
    ].join("\n"),
  );
  return (args: readonly string[]) =>
    new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile(join(kit.binDir, "pyflyte"), ["--config", configFile, ...args], { cwd: src, env: pyflyteEnv(kit, home), timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`pyflyte ${args.join(" ")} failed: ${err.message}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
        else resolve({ stdout, stderr });
      });
    });
}

async function clientCredentialsToken(url: string): Promise<string> {
  const res = await fetch(`${url}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: CLIENT_ID, client_secret: CLIENT_SECRET }).toString(),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}
