import type { ExternalResourceInfo } from "../../../gen/flyteidl/event/event_pb.js";
import type { TaskExecution_Phase, TaskLog } from "../../../gen/flyteidl/core/execution_pb.js";
import { type PhaseTone, taskPhase } from "./phases.js";

/**
 * A map task's (or array node's) items, from its task execution's `metadata.externalResources`:
 * the server keeps one entry per item index and retry attempt, merged across events. The node
 * panel shows one row per item, its latest attempt first, the earlier attempts' logs with it.
 */
export interface MapItemAttempt {
  retryAttempt: number;
  phase: TaskExecution_Phase;
  logs: TaskLog[];
}

export interface MapItem {
  index: number;
  /** The latest attempt: its phase is the item's. */
  latest: MapItemAttempt;
  externalId: string;
  cacheStatus: number;
  /** Earlier attempts, newest first. */
  earlier: MapItemAttempt[];
}

export function mapItems(resources: readonly ExternalResourceInfo[]): MapItem[] {
  const byIndex = new Map<number, ExternalResourceInfo[]>();
  for (const r of resources) {
    const list = byIndex.get(r.index);
    if (list) list.push(r);
    else byIndex.set(r.index, [r]);
  }
  const attempt = (r: ExternalResourceInfo): MapItemAttempt => ({ retryAttempt: r.retryAttempt, phase: r.phase, logs: r.logs });
  return [...byIndex.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, list]) => {
      const [latest, ...earlier] = [...list].sort((a, b) => b.retryAttempt - a.retryAttempt);
      return { index, latest: attempt(latest!), externalId: latest!.externalId, cacheStatus: latest!.cacheStatus, earlier: earlier.map(attempt) };
    });
}

export interface PhaseCount {
  label: string;
  tone: PhaseTone;
  count: number;
}

/** How many items are in each phase (by their latest attempt), most common first. */
export function itemPhaseCounts(items: readonly MapItem[]): PhaseCount[] {
  const counts = new Map<string, PhaseCount>();
  for (const item of items) {
    const p = taskPhase(item.latest.phase);
    const c = counts.get(p.label);
    if (c) c.count++;
    else counts.set(p.label, { label: p.label, tone: p.tone, count: 1 });
  }
  return [...counts.values()].sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
}

/** The items whose latest attempt has the phase label; every item for "". */
export function itemsInPhase(items: readonly MapItem[], label: string): readonly MapItem[] {
  return label === "" ? items : items.filter((i) => taskPhase(i.latest.phase).label === label);
}

const CACHE_LABELS = ["disabled", "miss", "hit", "populated", "lookup failure", "put failure", "skipped", "evicted"];

/** A catalog cache status (flyteidl.core.CatalogCacheStatus) in words. */
export const cacheLabel = (status: number): string => CACHE_LABELS[status] ?? String(status);
