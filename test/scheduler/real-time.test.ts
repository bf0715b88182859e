import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";
import { ExecutionMetadata_ExecutionMode as Mode } from "../../gen/flyteidl/admin/execution_pb.js";
import { LaunchPlanState } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { realServer } from "../helpers/app.js";
import { createScheduledLaunchPlan, cron, D, P, registerWorkflow } from "./scheduled-launch-plan.js";

/** The one test on real time: the server started as `serve` starts it fires an `@every 1s` schedule by itself. */
describe("the server's scheduler", () => {
  it("fires an activated schedule without being asked, and reports it in /metrics", { timeout: 30_000 }, async () => {
    const server = await realServer({ schedulerMinIntervalMs: "1000" });
    try {
      const admin = createClient(AdminService, createGrpcTransport({ baseUrl: server.url }));
      await admin.registerProject({ project: { id: P, name: P } });
      await registerWorkflow(admin);
      const id = await createScheduledLaunchPlan(admin, "everysecond", "v1", cron("@every 1s"));
      await admin.updateLaunchPlan({ id, state: LaunchPlanState.ACTIVE });
      // A tick is due a second after activation; allow a loaded machine ten times that and more.
      const deadline = Date.now() + 20_000;
      let listed = await admin.listExecutions({ id: { project: P, domain: D }, limit: 10 });
      while (listed.executions.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        listed = await admin.listExecutions({ id: { project: P, domain: D }, limit: 10 });
      }
      expect(listed.executions.length).toBeGreaterThan(0);
      expect(listed.executions[0]!.spec?.metadata?.mode).toBe(Mode.SCHEDULED);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/^flyteadmin_scheduler_fires_total\{result="created"\} [1-9]/m);
      expect(metrics).toMatch(/^flyteadmin_scheduler_is_leader 1$/m);
    } finally {
      await server.close();
    }
  });
});
