import { describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { refusalReason, withEventCounts, type EventMetrics } from "../../src/api/event-counts.js";
import { AdminError, alreadyExists, invalidArgument, notFound } from "../../src/core/errors.js";
import { alreadyInTerminalState, incompatibleCluster } from "../../src/core/workflow-event-rules.js";

describe("refusalReason", () => {
  it("names the event failure reason FlyteAdmin attaches, else the kind of error", () => {
    expect(refusalReason(alreadyInTerminalState("late", "SUCCEEDED"))).toBe("already_terminal");
    expect(refusalReason(incompatibleCluster("other cluster", "c3"))).toBe("incompatible_cluster");
    expect(refusalReason(alreadyExists("again"))).toBe("already_exists");
    expect(refusalReason(new AdminError("FailedPrecondition", "backwards"))).toBe("invalid_transition");
    expect(refusalReason(invalidArgument("missing occurred_at"))).toBe("invalid");
    expect(refusalReason(notFound("no execution"))).toBe("not_found");
    expect(refusalReason(new AdminError("ResourceExhausted", "outputs too large"))).toBe("too_large");
    expect(refusalReason(new Error("bug"))).toBe("error");
    expect(refusalReason(new ConnectError("deadline", Code.DeadlineExceeded))).toBe("error");
  });
});

describe("withEventCounts", () => {
  it("counts each call once, leaving other handlers alone", async () => {
    const seen: string[] = [];
    const metrics: EventMetrics = { accepted: (k) => seen.push(`${k} ok`), refused: (k, r) => seen.push(`${k} ${r}`) };
    const getVersion = async () => ({});
    const handlers = withEventCounts(
      {
        createWorkflowEvent: async () => ({}),
        createTaskEvent: async () => {
          throw notFound("no node execution");
        },
        getVersion,
      },
      metrics,
    );
    expect(handlers.getVersion).toBe(getVersion);
    expect("createNodeEvent" in handlers).toBe(false);
    const call = (f: unknown) => (f as (req: unknown, ctx: unknown) => Promise<unknown>)({}, {});
    await call(handlers.createWorkflowEvent);
    await expect(call(handlers.createTaskEvent)).rejects.toThrow("no node execution");
    expect(seen).toEqual(["workflow ok", "task not_found"]);
  });
});
