// TEMPORARY stand-in for the pure tick math landing on main; replaced at merge.
import { Cron } from "croner";
import type { Schedule } from "../../gen/flyteidl/admin/schedule_pb.js";

export class ScheduleError extends Error {
  override name = "ScheduleError";
}

export type ScheduleSpec = { kind: "cron"; expression: string } | { kind: "rate"; value: number; unit: number };

export function scheduleSpecOf(schedule: Schedule | undefined): ScheduleSpec | undefined {
  const e = schedule?.ScheduleExpression;
  if (e?.case === "cronSchedule" && e.value.schedule !== "") return { kind: "cron", expression: e.value.schedule };
  if (e?.case === "cronExpression" && e.value !== "") return { kind: "cron", expression: e.value };
  if (e?.case === "rate" && e.value.value !== 0) return { kind: "rate", value: e.value.value, unit: e.value.unit };
  return undefined;
}

export interface TickOptions {
  timezone: string;
  minIntervalMs: number;
}
export interface ScheduleClock {
  first(activatedAt: Date): Date | null;
  next(tick: Date): Date | null;
}

const DESCRIPTORS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

function interval(anchor: Date, ms: number): ScheduleClock {
  const a = Math.floor(anchor.getTime() / 1000) * 1000;
  const after = (t: Date) => new Date(a + (Math.floor((t.getTime() - a) / ms) + 1) * ms);
  return { first: after, next: after };
}

export function scheduleClock(spec: ScheduleSpec, activatedAt: Date, options: TickOptions): ScheduleClock {
  if (spec.kind === "rate") {
    const unit = [60_000, 3_600_000, 86_400_000][spec.unit];
    if (unit === undefined) throw new ScheduleError("unsupported unit");
    return interval(activatedAt, Math.max(spec.value * unit, options.minIntervalMs));
  }
  let text = spec.expression.trim();
  let timezone = options.timezone;
  const tz = /^(?:CRON_)?TZ=(\S+)\s+(.*)$/.exec(text);
  if (tz) {
    timezone = tz[1]!;
    text = tz[2]!;
  }
  const every = /^@every\s+(\d+)([smh])$/.exec(text);
  if (every) {
    const ms = Number(every[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[every[2] as "s"];
    return interval(activatedAt, Math.max(ms, options.minIntervalMs));
  }
  text = DESCRIPTORS[text] ?? text;
  let cron: Cron;
  try {
    cron = new Cron(text, { mode: "5-part", sloppyRanges: true, domAndDow: false, timezone, paused: true });
  } catch (e) {
    throw new ScheduleError((e as Error).message);
  }
  const next = (t: Date) => cron.nextRun(t) ?? null;
  return { first: next, next };
}

export type CatchUpPolicy = { mode: "all" | "latest" | "none"; graceMs: number; maxCatchUp: number };

export function dueTicks(
  clock: ScheduleClock,
  cursor: Date,
  now: Date,
  policy: CatchUpPolicy,
  maxTicks: number,
): { fire: Date[]; skipped: number; nextCursor: Date | null } {
  const due: Date[] = [];
  let t: Date | null = cursor;
  const limit = policy.mode === "all" && policy.maxCatchUp === 0 ? maxTicks : 100_000;
  while (t && t.getTime() <= now.getTime() && due.length < limit) {
    due.push(t);
    t = clock.next(t);
  }
  if (due.length === 0) return { fire: [], skipped: 0, nextCursor: cursor };
  const latest = policy.mode === "latest" || (policy.mode === "all" && policy.maxCatchUp > 0 && due.length > policy.maxCatchUp);
  if (latest) {
    // Only the newest due tick.
    while (t && t.getTime() <= now.getTime()) {
      due.push(t);
      t = clock.next(t);
    }
    return { fire: [due[due.length - 1]!], skipped: due.length - 1, nextCursor: t };
  }
  if (policy.mode === "none") {
    const fresh = due.filter((d) => now.getTime() - d.getTime() <= policy.graceMs);
    const fire = fresh.slice(0, maxTicks);
    const last = fire.length > 0 ? fire[fire.length - 1]! : due[due.length - 1]!;
    return { fire, skipped: due.length - fresh.length, nextCursor: fire.length < fresh.length ? fresh[fire.length]! : clock.next(last) };
  }
  return { fire: due, skipped: 0, nextCursor: t };
}
