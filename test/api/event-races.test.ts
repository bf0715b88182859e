import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { NodeExecution_Phase as NodePhase, WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { inMemoryAdmin } from "../helpers/app.js";
import { createTestDatabase, PG_URL } from "../helpers/backends.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";

/**
 * Two engines reporting the same execution at once: every event is applied
 * against the state the others left, so the end state is one a sequential
 * order could produce. Run on SQLite always and on a real PostgreSQL server
 * when one is configured (READ COMMITTED is where check-then-write breaks).
 */
const P = "flytesnacks";
const D = "development";
const TERMINAL = new Set([Phase.SUCCEEDED, Phase.FAILED, Phase.ABORTED, Phase.TIMED_OUT]);

const databases: [string, () => Promise<{ database: string; drop(): Promise<void> }>][] = [
  ["sqlite", async () => ({ database: ":memory:", drop: async () => undefined })],
  ...(PG_URL ? [["postgres", async () => { const db = await createTestDatabase(); return { database: db.url, drop: db.drop }; }] as [string, () => Promise<{ database: string; drop(): Promise<void> }>]] : []),
];

describe.each(databases)("racing engines on %s", (_name, openDb) => {
  it("never leave two terminal phases or a lost node update", async () => {
    const db = await openDb();
    const { app, admin } = await inMemoryAdmin({ database: db.database });
    try {
      await admin.registerProject({ project: { id: P, name: P } });
      const pkg = loadFlytekitPackage("hello", P, D, "v1");
      await registerPackage(admin, pkg);
      const at = (s: number) => timestampFromDate(new Date(Date.parse("2026-04-01T00:00:00Z") + s * 1000));
      for (let round = 0; round < 5; round++) {
        const exec = { project: P, domain: D, name: `race${round}` };
        await admin.createExecution({ ...exec, spec: { launchPlan: pkg.launchPlans[0]!.id }, inputs: {} });
        const phases = [Phase.RUNNING, Phase.RUNNING, Phase.SUCCEEDING, Phase.SUCCEEDED, Phase.FAILED, Phase.ABORTED, Phase.SUCCEEDED];
        const results = await Promise.allSettled(
          phases.map((phase, i) => admin.createWorkflowEvent({ event: { executionId: exec, phase, occurredAt: at(i), producerId: "propeller" } })),
        );
        const accepted = phases.filter((_, i) => results[i]!.status === "fulfilled");
        const terminalAccepted = accepted.filter((p) => TERMINAL.has(p));
        expect(new Set(terminalAccepted).size).toBeLessThanOrEqual(1);
        const final = (await admin.getExecution({ id: exec })).closure?.phase;
        if (terminalAccepted.length > 0) expect(final).toBe(terminalAccepted[0]);
        // Node events for one node from several writers: exactly one create, the rest updates or conflicts.
        const nodePhases = [NodePhase.QUEUED, NodePhase.RUNNING, NodePhase.SUCCEEDED, NodePhase.RUNNING];
        await Promise.allSettled(
          nodePhases.map((phase, i) => admin.createNodeEvent({ event: { id: { nodeId: "n0", executionId: exec }, phase, occurredAt: at(i), producerId: "propeller" } })),
        );
        const nodes = await admin.listNodeExecutions({ workflowExecutionId: exec, limit: 10 });
        expect(nodes.nodeExecutions).toHaveLength(1);
      }
    } finally {
      await app.close();
      await db.drop();
    }
  });
});
