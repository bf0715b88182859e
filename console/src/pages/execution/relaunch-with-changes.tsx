import { useQuery } from "@connectrpc/connect-query";
import { lazy, Suspense, useState } from "react";
import type { Execution } from "../../../../gen/flyteidl/admin/execution_pb.js";
import { ResourceType } from "../../../../gen/flyteidl/core/identifier_pb.js";
import { AdminService } from "../../../../gen/flyteidl/service/admin_pb.js";
import { ErrorNotice, Loading } from "../../components/status.js";

// The launch form is its own chunk, shared with the entity pages' Launch button.
const LaunchDialog = lazy(() => import("../launch/launch-dialog.js"));

/**
 * "Relaunch with changes": the launch form for the execution's own launch plan version (or task,
 * for a single-task execution), filled with the inputs it ran with and its options, to edit
 * before launching. Plain "Relaunch" (RelaunchExecution) repeats it unchanged.
 */
export function RelaunchWithChanges({ execution, disabled }: { execution: Execution; disabled: boolean }) {
  const [open, setOpen] = useState(false);
  const id = execution.id!;
  const ref = execution.spec?.launchPlan;
  // The same query as the page's inputs tab: usually already answered.
  const data = useQuery(AdminService.method.getExecutionData, { id }, { enabled: open });
  if (!ref) return null;
  const kind = ref.resourceType === ResourceType.TASK ? "task" : "launchPlan";
  return (
    <>
      <button type="button" className="secondary" disabled={disabled} aria-haspopup="dialog" onClick={() => setOpen(true)}>
        Relaunch with changes…
      </button>
      {open && data.error ? <ErrorNotice error={data.error} /> : null}
      {open && data.isPending ? <Loading what="the execution's inputs" /> : null}
      {open && data.data ? (
        <Suspense fallback={<Loading what="launch form" />}>
          <LaunchDialog
            target={{ kind, id: ref }}
            onClose={() => setOpen(false)}
            // Full inputs: what the execution ran with, the launch plan's defaults included.
            relaunch={{ from: id, inputs: data.data.fullInputs ?? execution.spec?.inputs, spec: execution.spec }}
          />
        </Suspense>
      ) : null}
    </>
  );
}
