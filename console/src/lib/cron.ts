import { type Schedule, FixedRateUnit } from "../../../gen/flyteidl/admin/schedule_pb.js";
import { parseGoDurationNanos } from "../../../src/core/go-duration.js";
import { describeSchedule } from "./schedule.js";

/**
 * Launch plan schedules in words, and their next run times, in the browser.
 * Cron follows the scheduler's dialect (five fields: minute hour day-of-month
 * month day-of-week, names, ranges, steps, `?`, and the @descriptors), in UTC
 * as the scheduler runs it. The server's own validator stays the judge of what
 * is accepted: an expression this module cannot read is shown as it is.
 */

interface CronFields {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  /** robfig/cron: when both day fields are restricted, a time matches either one; otherwise both. */
  dayStar: boolean;
  weekdayStar: boolean;
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
const MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const BOUNDS: [number, number, string[]?][] = [[0, 59], [0, 23], [1, 31], [1, 12, MONTH_NAMES], [0, 6, DAY_NAMES]];

function parseField(field: string, [min, max, names]: [number, number, string[]?]): Set<number> | undefined {
  const out = new Set<number>();
  const num = (s: string) => {
    const named = names?.indexOf(s.toLowerCase()) ?? -1;
    if (named >= 0) return named + min;
    return /^\d+$/.test(s) ? Number(s) : NaN;
  };
  for (const part of field.split(",")) {
    const [range = "", stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    let lo: number;
    let hi: number;
    if (range === "*" || range === "?") [lo, hi] = [min, max];
    else {
      const [a = "", b] = range.split("-");
      lo = num(a);
      // `5/15` means from 5 to the end, every 15.
      hi = b !== undefined ? num(b) : stepText !== undefined ? max : lo;
    }
    if (!Number.isInteger(step) || step < 1 || !(lo >= min && hi <= max && lo <= hi)) return undefined;
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** The five fields of an expression, or undefined for `@every` and anything unreadable. */
export function parseCron(expression: string): CronFields | undefined {
  let text = expression.trim().replace(/^(CRON_)?TZ=\S+\s+/, "");
  text = DESCRIPTORS[text.toLowerCase()] ?? text;
  const fields = text.split(/\s+/);
  if (fields.length !== 5) return undefined;
  const sets = fields.map((f, i) => parseField(f, BOUNDS[i]!));
  if (sets.some((s) => s === undefined)) return undefined;
  const [minutes, hours, days, months, weekdays] = sets as Set<number>[];
  const star = (f: string) => f.startsWith("*") || f.startsWith("?");
  return { minutes: minutes!, hours: hours!, days: days!, months: months!, weekdays: weekdays!, dayStar: star(fields[2]!), weekdayStar: star(fields[4]!) };
}

function dayMatches(c: CronFields, d: Date): boolean {
  const dom = c.days.has(d.getUTCDate());
  const dow = c.weekdays.has(d.getUTCDay());
  return c.dayStar || c.weekdayStar ? dom && dow : dom || dow;
}

/** The next `count` times after `from` (UTC), searching at most five years ahead. */
export function nextCronRuns(expression: string, from: Date, count: number): Date[] {
  const every = /^@every\s+(\S+)$/i.exec(expression.trim());
  if (every) {
    const nanos = parseGoDurationNanos(every[1]!);
    if (nanos === undefined || nanos < 1_000_000_000n) return [];
    // The scheduler counts @every from when it starts; from `from` is the best a page can say.
    const ms = Number(nanos / 1_000_000n);
    return Array.from({ length: count }, (_, i) => new Date(Math.floor(from.getTime() / 1000) * 1000 + ms * (i + 1)));
  }
  const c = parseCron(expression);
  if (!c) return [];
  const runs: Date[] = [];
  const t = new Date(Math.floor(from.getTime() / 60_000) * 60_000 + 60_000);
  const limit = from.getTime() + 5 * 366 * 86_400_000;
  while (runs.length < count && t.getTime() <= limit) {
    if (!c.months.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
    } else if (!dayMatches(c, t)) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
    } else if (!c.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
    } else if (!c.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
    } else {
      runs.push(new Date(t));
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
    }
  }
  return runs;
}

const pad = (n: number) => String(n).padStart(2, "0");
const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** A list of values in words, ranges of three or more folded (`Monday to Friday`). */
function listWords(values: number[], word: (v: number) => string): string {
  const parts: string[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j]! + 1) j++;
    parts.push(j - i >= 2 ? `${word(values[i]!)} to ${word(values[j]!)}` : values.slice(i, j + 1).map(word).join(", "));
    i = j + 1;
  }
  return parts.join(", ");
}

/** A cron expression in words, e.g. `at 09:30 UTC, Monday to Friday`; the expression itself when it cannot say better. */
export function describeCron(expression: string): string {
  const every = /^@every\s+(\S+)$/i.exec(expression.trim());
  if (every) return `every ${every[1]}`;
  const c = parseCron(expression);
  if (!c) return `cron ${expression}`;
  const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
  const [mins, hours] = [sorted(c.minutes), sorted(c.hours)];
  let time: string;
  if (mins.length === 60 && hours.length === 24) time = "every minute";
  else if (hours.length === 24) time = mins.length === 1 ? `at minute ${mins[0]} of every hour` : `at minutes ${mins.join(", ")} of every hour`;
  else if (mins.length * hours.length <= 6) time = `at ${hours.flatMap((h) => mins.map((m) => `${pad(h)}:${pad(m)}`)).join(", ")} UTC`;
  else time = `at minutes ${listWords(mins, String)} of hours ${listWords(hours, String)} UTC`;
  const parts = [time];
  const days = sorted(c.days);
  const weekdays = sorted(c.weekdays);
  const dayWords = days.length < 31 ? `on day ${listWords(days, String)} of the month` : "";
  const weekdayWords = weekdays.length < 7 ? listWords(weekdays, (d) => WEEKDAYS[d]!) : "";
  if (dayWords && weekdayWords) parts.push(c.dayStar || c.weekdayStar ? `${dayWords} if a ${weekdayWords}` : `${dayWords} or on ${weekdayWords}`);
  else if (dayWords || weekdayWords) parts.push(dayWords || weekdayWords);
  if (c.months.size < 12) parts.push(`in ${listWords(sorted(c.months), (m) => MONTHS[m - 1]!)}`);
  return parts.join(", ");
}

const RATE_UNIT_MS: Record<FixedRateUnit, number> = {
  [FixedRateUnit.MINUTE]: 60_000,
  [FixedRateUnit.HOUR]: 3_600_000,
  [FixedRateUnit.DAY]: 86_400_000,
};

export interface ScheduleView {
  /** The schedule in words. */
  words: string;
  /** The expression as written, for cron schedules. */
  expression?: string;
  next: Date[];
}

/**
 * A schedule in words with its next runs after `now`. A fixed rate runs from
 * `anchor` (when the launch plan's schedule last changed) in steps of the rate.
 */
export function scheduleView(schedule: Schedule, now: Date, anchor: Date | undefined, count = 5): ScheduleView | undefined {
  const s = schedule.ScheduleExpression;
  switch (s.case) {
    case "cronExpression":
    case "cronSchedule": {
      const expression = s.case === "cronExpression" ? s.value : s.value.schedule;
      return { words: describeCron(expression), expression, next: nextCronRuns(expression, now, count) };
    }
    case "rate": {
      const step = s.value.value * (RATE_UNIT_MS[s.value.unit] ?? 60_000);
      if (step <= 0) return { words: "an invalid fixed rate", next: [] };
      const start = anchor ?? now;
      const first = start.getTime() + Math.max(1, Math.floor((now.getTime() - start.getTime()) / step) + 1) * step;
      return { words: describeSchedule(schedule) ?? "", next: Array.from({ length: count }, (_, i) => new Date(first + i * step)) };
    }
    default:
      return undefined;
  }
}
