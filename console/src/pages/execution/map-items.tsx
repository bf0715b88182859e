import { useId, useMemo, useState } from "react";
import type { ExternalResourceInfo } from "../../../../gen/flyteidl/event/event_pb.js";
import { PhaseBadge } from "../../components/phase-badge.js";
import { cacheLabel, itemPhaseCounts, itemsInPhase, mapItems } from "../../lib/map-items.js";
import { taskPhase } from "../../lib/phases.js";
import { TaskLogs } from "./task-logs.js";

/** Rows drawn at first and added per "Show more": a map over thousands of items stays quick. */
const STEP = 50;

/**
 * The items of a map task attempt: a count per phase, a phase filter, and per item its index,
 * phase, retry attempt, cache status and logs (earlier attempts' logs folded under it).
 */
export function MapItems({ resources, live }: { resources: readonly ExternalResourceInfo[]; live: boolean }) {
  const items = useMemo(() => mapItems(resources), [resources]);
  const counts = useMemo(() => itemPhaseCounts(items), [items]);
  const [phase, setPhase] = useState("");
  const [shown, setShown] = useState(STEP);
  const filterId = useId();
  const listed = itemsInPhase(items, phase);
  return (
    <section className="map-items" aria-label="Map items">
      <div className="map-items-head">
        <h4>
          Items <span className="muted">({items.length})</span>
        </h4>
        <label htmlFor={filterId} className="visually-hidden">
          Show items in phase
        </label>
        <select id={filterId} value={phase} onChange={(e) => (setPhase(e.target.value), setShown(STEP))}>
          <option value="">all phases</option>
          {counts.map((c) => (
            <option key={c.label} value={c.label}>
              {c.label} ({c.count})
            </option>
          ))}
        </select>
      </div>
      <p className="status">{counts.map((c) => `${c.count} ${c.label.toLowerCase()}`).join(", ")}</p>
      <table className="map-table">
        <thead>
          <tr>
            <th scope="col">Item</th>
            <th scope="col">Phase</th>
            <th scope="col">Attempt</th>
            <th scope="col">Logs</th>
          </tr>
        </thead>
        <tbody>
          {listed.slice(0, shown).map((item) => (
            <tr key={item.index} data-index={item.index}>
              <td className="mono">{item.index}</td>
              <td>
                <PhaseBadge phase={taskPhase(item.latest.phase)} />
                {item.cacheStatus ? <div className="muted map-cache">cache {cacheLabel(item.cacheStatus)}</div> : null}
              </td>
              <td>{item.latest.retryAttempt + 1}</td>
              <td>
                {item.latest.logs.length ? <TaskLogs logs={item.latest.logs} live={live && !taskPhase(item.latest.phase).terminal} /> : <span className="muted">none</span>}
                {item.earlier.length > 0 ? (
                  <details>
                    <summary>Earlier attempts ({item.earlier.length})</summary>
                    {item.earlier.map((a) => (
                      <div key={a.retryAttempt}>
                        Attempt {a.retryAttempt + 1} <PhaseBadge phase={taskPhase(a.phase)} />
                        <TaskLogs logs={a.logs} live={false} />
                      </div>
                    ))}
                  </details>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {listed.length > shown ? (
        <button type="button" className="secondary" onClick={() => setShown(shown + STEP)}>
          Show more ({listed.length - shown} left)
        </button>
      ) : null}
    </section>
  );
}
