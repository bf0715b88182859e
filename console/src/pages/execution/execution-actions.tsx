import { useMutation } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useNavigate } from "react-router";
import { type Execution, ExecutionState } from "../../../../gen/flyteidl/admin/execution_pb.js";
import { AdminService } from "../../../../gen/flyteidl/service/admin_pb.js";
import { ErrorNotice } from "../../components/status.js";
import { executionPhase } from "../../lib/phases.js";
import { paths } from "../../app/routes.js";
import { RelaunchWithChanges } from "./relaunch-with-changes.js";

/**
 * Relaunch (as it was, or with changes through the launch form), recover,
 * terminate (with a cause) and archive: each a call the CLIs make too, after
 * which the page reads the execution again.
 */
export function ExecutionActions({ execution }: { execution: Execution }) {
  const id = execution.id!;
  const navigate = useNavigate();
  const queries = useQueryClient();
  const phase = executionPhase(execution.closure?.phase ?? 0);
  const archived = execution.closure?.stateChangeDetails?.state === ExecutionState.EXECUTION_ARCHIVED;
  const [confirming, setConfirming] = useState(false);
  const [cause, setCause] = useState("");
  const causeId = useId();
  // Answers already on their way are kept (not cut off), then everything on the page is read again.
  const refresh = () => queries.invalidateQueries(undefined, { cancelRefetch: false });

  const relaunch = useMutation(AdminService.method.relaunchExecution, {
    onSuccess: (r) => r.id && navigate(paths.execution(r.id)),
  });
  const recover = useMutation(AdminService.method.recoverExecution, {
    onSuccess: (r) => r.id && navigate(paths.execution(r.id)),
  });
  const terminate = useMutation(AdminService.method.terminateExecution, {
    onSuccess: () => {
      setConfirming(false);
      void refresh();
    },
  });
  const update = useMutation(AdminService.method.updateExecution, { onSuccess: () => void refresh() });
  const pending = relaunch.isPending || recover.isPending || terminate.isPending || update.isPending;
  const error = relaunch.error ?? recover.error ?? terminate.error ?? update.error;
  const failed = phase.tone === "failed" || phase.label === "Aborted";

  return (
    <section className="exec-actions" aria-label="Actions">
      <div className="button-row">
        <button type="button" disabled={pending} onClick={() => relaunch.mutate({ id })}>
          Relaunch
        </button>
        <RelaunchWithChanges execution={execution} disabled={pending} />
        {phase.terminal && failed ? (
          <button type="button" className="secondary" disabled={pending} onClick={() => recover.mutate({ id })}>
            Recover
          </button>
        ) : null}
        {!phase.terminal ? (
          <button type="button" className="danger" disabled={pending} aria-expanded={confirming} onClick={() => setConfirming(!confirming)}>
            Terminate…
          </button>
        ) : null}
        {phase.terminal ? (
          <button
            type="button"
            className="secondary"
            disabled={pending}
            onClick={() => update.mutate({ id, state: archived ? ExecutionState.EXECUTION_ACTIVE : ExecutionState.EXECUTION_ARCHIVED })}
          >
            {archived ? "Unarchive" : "Archive"}
          </button>
        ) : null}
      </div>
      {confirming && !phase.terminal ? (
        <form
          className="terminate-form"
          onSubmit={(e) => {
            e.preventDefault();
            terminate.mutate({ id, cause: cause.trim() || "terminated from the console" });
          }}
        >
          <label htmlFor={causeId}>Cause</label>
          <input id={causeId} value={cause} maxLength={1000} onChange={(e) => setCause(e.target.value)} placeholder="why this execution is stopped" autoFocus />
          <button type="submit" className="danger" disabled={pending}>
            Terminate execution
          </button>
          <button type="button" className="secondary" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </form>
      ) : null}
      {error ? <ErrorNotice error={error} /> : null}
    </section>
  );
}
