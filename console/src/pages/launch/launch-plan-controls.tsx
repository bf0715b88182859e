import { timestampDate } from "@bufbuild/protobuf/wkt";
import { useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Sort_Direction } from "../../../../gen/flyteidl/admin/common_pb.js";
import { type LaunchPlan, LaunchPlanState } from "../../../../gen/flyteidl/admin/launch_plan_pb.js";
import type { Identifier } from "../../../../gen/flyteidl/core/identifier_pb.js";
import { AdminService } from "../../../../gen/flyteidl/service/admin_pb.js";
import { adminClient } from "../../app/transport.js";
import { ErrorNotice, Loading } from "../../components/status.js";
import { scheduleView } from "../../lib/cron.js";
import { useActiveLaunchPlan } from "../entities/entity-queries.js";
import "./launch.css";

const NEWEST = { key: "created_at", direction: Sort_Direction.DESCENDING };
const utc = (d: Date) => `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;

/**
 * A launch plan's on/off switch and its schedule: which version is active,
 * activate or deactivate the version shown (UpdateLaunchPlan; the server
 * deactivates the version that was active), and the schedule in words with
 * its next runs. `id` names a version, or only the launch plan (then the
 * active version is shown, else the newest).
 */
export function LaunchPlanControls({ id }: { id: Identifier }) {
  const { project, domain, name, version } = id;
  const base = { id: { project, domain, name }, limit: 1, sortBy: NEWEST };
  const active = useActiveLaunchPlan("launchPlan", { project, domain, name });
  const newest = useQuery(AdminService.method.listLaunchPlans, base, { enabled: !version });
  const named = useQuery(AdminService.method.getLaunchPlan, { id: { ...id } }, { enabled: !!version });
  const plan: LaunchPlan | undefined = version ? named.data : (active.data?.launchPlans[0] ?? newest.data?.launchPlans[0]);
  const error = active.error ?? newest.error ?? named.error;
  if (error) return <ErrorNotice error={error} />;
  if (!plan) return <Loading what="launch plan" />;
  return <Controls plan={plan} activeVersion={active.data?.launchPlans[0]?.id?.version} />;
}

function Controls({ plan, activeVersion }: { plan: LaunchPlan; activeVersion: string | undefined }) {
  const queries = useQueryClient();
  const [state, setState] = useState<{ busy: boolean; error?: unknown }>({ busy: false });
  const isActive = plan.closure?.state === LaunchPlanState.ACTIVE;
  const schedule = plan.spec?.entityMetadata?.schedule;
  const updated = plan.closure?.updatedAt ? timestampDate(plan.closure.updatedAt) : undefined;
  const view = schedule ? scheduleView(schedule, new Date(), updated) : undefined;

  async function toggle() {
    setState({ busy: true });
    try {
      await adminClient.updateLaunchPlan({ id: plan.id, state: isActive ? LaunchPlanState.INACTIVE : LaunchPlanState.ACTIVE });
      // Every launch plan answer on screen may have changed (this version and the one it replaced).
      await queries.invalidateQueries();
      setState({ busy: false });
    } catch (error) {
      setState({ busy: false, error });
    }
  }

  return (
    <section className="panel lp-controls" aria-labelledby="lp-controls-title">
      <h2 id="lp-controls-title">Schedule and state</h2>
      <dl className="facts">
        <dt>This version</dt>
        <dd>
          <span className="mono">{plan.id?.version}</span> is <strong data-testid="lp-state">{isActive ? "active" : "inactive"}</strong>
        </dd>
        <dt>Active version</dt>
        <dd className="mono">{activeVersion ?? "none"}</dd>
        <dt>Schedule</dt>
        <dd>
          {view ? (
            <>
              {view.words}
              {view.expression ? <code> ({view.expression})</code> : null}
              {schedule?.kickoffTimeInputArg ? <> — the run time goes to input <code>{schedule.kickoffTimeInputArg}</code></> : null}
            </>
          ) : (
            "none"
          )}
        </dd>
        {view && view.next.length ? (
          <>
            <dt>Next runs{isActive ? "" : " (once active)"}</dt>
            <dd>
              <ol className="lp-next">
                {view.next.map((d) => (
                  <li key={d.getTime()}>
                    <time dateTime={d.toISOString()}>{utc(d)}</time> <span className="status">({d.toLocaleString()})</span>
                  </li>
                ))}
              </ol>
            </dd>
          </>
        ) : null}
      </dl>
      <button type="button" onClick={toggle} disabled={state.busy} className={isActive ? "secondary" : undefined}>
        {state.busy ? "Saving…" : isActive ? "Deactivate" : "Activate"}
      </button>
      {state.error ? <ErrorNotice error={state.error} /> : null}
    </section>
  );
}
