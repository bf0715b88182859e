import { createHook } from "node:async_hooks";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";
import { TaskSpecSchema } from "../../../gen/flyteidl/admin/task_pb.js";
import { WorkflowExecution_Phase as Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import { ResourcesSchema, Resources_ResourceName as R } from "../../../gen/flyteidl/core/tasks_pb.js";
import { AdminService } from "../../../gen/flyteidl/service/admin_pb.js";
import type { WorkflowExecutor } from "../../../src/engine/workflow-executor.js";
import { pythonTask, T, taskId } from "../../fixtures/flyte-builders.js";
import { inMemoryAdmin, realServer } from "../../helpers/app.js";
import { DOMAIN, launchEcho, PROJECT, registerEchoWorkflow, registerTaskWorkflow, shellTask, waitForPhase } from "./helpers.js";

const readProc = (dir: string): { pid?: number; pgid?: number; endedAt?: string } | undefined => {
  try {
    return JSON.parse(readFileSync(join(dir, ".engine", "proc.json"), "utf8")) as { pid?: number; pgid?: number; endedAt?: string };
  } catch {
    return undefined;
  }
};
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Timers (unref'd ones too) created while it is on and neither fired nor cleared yet. */
function trackTimers() {
  const live = new Map<number, string>();
  const hook = createHook({
    init(id, type) {
      // The poll below makes its own; they are not the app's.
      const stack = new Error().stack ?? "";
      if (type === "Timeout" && !stack.includes("at until (")) live.set(id, stack);
    },
    destroy(id) {
      live.delete(id);
    },
  }).enable();
  return { live, stop: () => hook.disable() };
}

/** Polls `check` until it holds; fails after the deadline. */
async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("engine none", () => {
  it("leaves executions UNDEFINED for an outside engine, which moves them with its events", async () => {
    const server = await realServer();
    try {
      const admin = createClient(AdminService, createGrpcTransport({ baseUrl: server.url }));
      await registerEchoWorkflow(admin);
      const id = await launchEcho(admin, "waits");
      expect((await admin.getExecution({ id })).closure?.phase).toBe(Phase.UNDEFINED);
      expect(await server.app.store.engine.get({ project: PROJECT, domain: DOMAIN, name: "waits" })).toBeUndefined();
      expect((await admin.getVersion({})).controlPlaneVersion?.Build).toBe("unknown");
      expect(server.app.engine).toEqual({ kind: "none" });
      // What flytepropeller reports is what moves it.
      await admin.createWorkflowEvent({ event: { executionId: id, phase: Phase.RUNNING, producerId: "propeller", occurredAt: { seconds: 1n, nanos: 0 } } });
      expect((await admin.getExecution({ id })).closure?.phase).toBe(Phase.RUNNING);
      // No engine, no task logs route.
      expect((await fetch(`${server.url}/engine/logs/${PROJECT}/${DOMAIN}/waits/n0/0`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe("engine local in an app", () => {
  it("accepts launches before it is started and runs them once it is; close leaves no timers behind", async () => {
    const timers = trackTimers();
    let procDir: string | undefined;
    const { app, admin } = await inMemoryAdmin({ engine: "local" });
    try {
      await registerEchoWorkflow(admin);
      const id = await launchEcho(admin, "early", "x");
      // Accepted durably, not run: nothing advances before start().
      expect(await app.store.engine.get({ project: PROJECT, domain: DOMAIN, name: "early" })).toMatchObject({ active: true });
      expect((await admin.getExecution({ id })).closure?.phase).toBe(Phase.UNDEFINED);
      await app.start();
      expect(await waitForPhase(admin, id, [Phase.SUCCEEDED, Phase.FAILED])).toBe(Phase.SUCCEEDED);
      const later = await launchEcho(admin, "later", "y");
      expect(await waitForPhase(admin, later, [Phase.SUCCEEDED, Phase.FAILED])).toBe(Phase.SUCCEEDED);
      // Closed while a task process runs: the engine's and the plugin's timers go, the process stays
      // (tasks outlive a restart and are re-attached), so the test ends it itself.
      const lp = await registerTaskWorkflow(admin, shellTask("wiring.sleeper", "sleep 30"));
      const { id: slow } = await admin.createExecution({ project: PROJECT, domain: DOMAIN, name: "slow", spec: { launchPlan: lp }, inputs: {} });
      await waitForPhase(admin, slow!, [Phase.RUNNING]);
      procDir = join(app.engine.runRoot!, PROJECT, DOMAIN, "slow", "n0", "0");
      await until("the task process to start", () => readProc(procDir!)?.pgid !== undefined);
    } finally {
      await app.close();
    }
    const proc = readProc(procDir!);
    try {
      expect(proc?.endedAt).toBeUndefined();
      expect(alive(proc!.pid!)).toBe(true);
    } finally {
      if (proc?.pgid) process.kill(-proc.pgid, "SIGKILL");
    }
    // Its end, recorded by the shim, wakes no round of the closed engine.
    await until("the shim to record the end", () => readProc(procDir!)?.endedAt !== undefined);
    try {
      await until("the app's timers to be gone", () => timers.live.size === 0).catch((e) => {
        throw new Error(`${(e as Error).message}: ${[...timers.live.values()].join("\n---\n")}`);
      });
    } finally {
      timers.stop();
    }
  });

  it("lets a test's executor replace the configured engine", async () => {
    const launched: string[] = [];
    const executor: WorkflowExecutor = {
      kind: "test",
      async execute(l) {
        launched.push(l.id.name);
        return { cluster: "" };
      },
      async abort() {},
    };
    const { app, admin } = await inMemoryAdmin({ engine: "local" }, { executor });
    try {
      await registerEchoWorkflow(admin);
      await launchEcho(admin, "handed");
      expect(launched).toEqual(["handed"]);
      expect(app.engine).toEqual({ kind: "test" });
      expect((await admin.getVersion({})).controlPlaneVersion?.Build).toBe("unknown engine=test");
    } finally {
      await app.close();
    }
  });
});

describe("platform task resources", () => {
  const bigTask = (version: string) => {
    const t = pythonTask("wiring.big", { x: T.int() }, { o: T.int() });
    t.id = taskId("wiring.big", version);
    if (t.target.case === "container") {
      // What flytekit's own integration suite registers: @task(requests=Resources(mem="1100Mi"), limits=...).
      t.target.value.resources = create(ResourcesSchema, { requests: [{ name: R.MEMORY, value: "1100Mi" }], limits: [{ name: R.MEMORY, value: "1100Mi" }] });
    }
    return { id: t.id, spec: create(TaskSpecSchema, { template: t }) };
  };

  it("follow the host with the local engine: a 1100Mi task registers", async () => {
    const { app, admin } = await inMemoryAdmin({ engine: "local" });
    try {
      await admin.registerProject({ project: { id: PROJECT, name: PROJECT } });
      await admin.createTask(bigTask("v1"));
      expect((await admin.getTask({ id: taskId("wiring.big", "v1") })).id?.version).toBe("v1");
    } finally {
      await app.close();
    }
  });

  it("keep FlyteAdmin's 1Gi limit with no engine", async () => {
    const { app, admin } = await inMemoryAdmin();
    try {
      await admin.registerProject({ project: { id: PROJECT, name: PROJECT } });
      await expect(admin.createTask(bigTask("v1"))).rejects.toThrow(
        "Requested MEMORY limit [1100Mi] is greater than current limit set in the platform configuration [1Gi]",
      );
    } finally {
      await app.close();
    }
  });
});
