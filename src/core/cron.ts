import { goParseDuration } from "./go-duration.js";
import { goQuote } from "./go-quote.js";

/**
 * FlyteAdmin's scheduler reads cron text with robfig/cron v3 `ParseStandard`, both when a
 * launch plan is created (`Invalid cron expression: <parser error>`) and when it fires. This is
 * that parser, step for step and with its error texts, so that exactly the same expressions are
 * accepted and every accepted one reads as the same set of times:
 * - an optional `TZ=<zone> ` / `CRON_TZ=<zone> ` prefix (the zone runs up to the first space);
 * - a descriptor (`@daily`, …, `@every <Go duration>`) or exactly five fields (minute, hour,
 *   day of month, month, day of week 0-6), each a comma list of `*`, `?`, `n`, `a-b`, with an
 *   optional `/step`, and month and weekday names in any case.
 * Where robfig panics (a zone prefix with no space after it) the text is refused instead.
 */

/** One field as a set of values, and whether it was written as a wildcard (robfig's star bit). */
export interface CronField {
  readonly values: readonly number[];
  /** `*` or `?` without a step above 1: decides whether day of month and day of week are ANDed or ORed. */
  readonly star: boolean;
}

export type ParsedCron =
  /** `zone`: the prefix's zone as Intl names it ("UTC" for an empty one); undefined for none or `Local`: the scheduler's zone. */
  | { kind: "fields"; zone: string | undefined; fields: readonly CronField[] }
  /** `@every D`: a constant delay in whole seconds, at least 1 (robfig's `Every`). */
  | { kind: "every"; zone: string | undefined; seconds: number };

/** The parser's complaint about an expression, or undefined when robfig's ParseStandard accepts it. */
export function cronError(expression: string): string | undefined {
  const parsed = parseCron(expression);
  return "error" in parsed ? parsed.error : undefined;
}

export function parseCron(expression: string): ParsedCron | { error: string } {
  if (expression.length === 0) return { error: "empty spec string" };
  let spec = expression;
  let zone: string | undefined;
  if (spec.startsWith("TZ=") || spec.startsWith("CRON_TZ=")) {
    const space = spec.indexOf(" ");
    // robfig slices up to the first space and panics when there is none; read the rest as the zone.
    const name = spec.slice(spec.indexOf("=") + 1, space < 0 ? spec.length : space);
    const location = loadLocation(name);
    if ("error" in location) return { error: `provided bad location ${name}: ${location.error}` };
    zone = location.zone === "Local" ? undefined : location.zone;
    spec = space < 0 ? "" : goTrimSpace(spec.slice(space));
  }
  if (spec.startsWith("@")) return descriptor(spec, zone);
  const fields = goFields(spec);
  if (fields.length !== 5) return { error: `expected exactly 5 fields, found ${fields.length}: [${fields.join(" ")}]` };
  const parsed: CronField[] = [];
  for (let i = 0; i < 5; i++) {
    const field = parseField(fields[i]!, BOUNDS[i]!);
    if ("error" in field) return field;
    parsed.push(field);
  }
  return { kind: "fields", zone, fields: parsed };
}

/**
 * Go's time.LoadLocation on a zone name, checked against the IANA data Node carries: the zone as
 * Intl names it ("UTC" for "" and for UTC's aliases; "Local" stays "Local"), or Go's error text.
 * Go looks names up in the zoneinfo files, which are case-sensitive; Intl is not, so a name
 * that only differs from its canonical spelling by case is refused as Go refuses it.
 */
export function loadLocation(name: string): { zone: string } | { error: string } {
  if (name === "" || name === "UTC") return { zone: "UTC" };
  if (name === "Local") return { zone: name };
  if (name.includes("..") || name[0] === "/" || name[0] === "\\") return { error: "time: invalid location name" };
  const unknown = { error: `unknown time zone ${name}` };
  // Intl also reads UTC offsets ("+01:00") in some versions; Go has no such file.
  if (name[0] === "+" || name[0] === "-") return unknown;
  let zone: string;
  try {
    zone = new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return unknown;
  }
  return zone !== name && zone.toLowerCase() === name.toLowerCase() ? unknown : { zone };
}

const DESCRIPTORS: ReadonlyMap<string, string> = new Map([
  ["@yearly", "0 0 1 1 *"],
  ["@annually", "0 0 1 1 *"],
  ["@monthly", "0 0 1 * *"],
  ["@weekly", "0 0 * * 0"],
  ["@daily", "0 0 * * *"],
  ["@midnight", "0 0 * * *"],
  ["@hourly", "0 * * * *"],
]);
const EVERY = "@every ";

function descriptor(spec: string, zone: string | undefined): ParsedCron | { error: string } {
  const fields = DESCRIPTORS.get(spec);
  if (fields !== undefined) return { ...(parseCron(fields) as ParsedCron), zone };
  if (!spec.startsWith(EVERY)) return { error: `unrecognized descriptor: ${spec}` };
  const duration = goParseDuration(spec.slice(EVERY.length));
  if ("error" in duration) return { error: `failed to parse duration ${spec}: ${duration.error}` };
  // robfig's Every: below a second (zero and negative included) is one second; rounded down to whole seconds.
  const seconds = duration.nanos < 1_000_000_000n ? 1 : Number(duration.nanos / 1_000_000_000n);
  return { kind: "every", zone, seconds };
}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTHS = Object.fromEntries(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"].map((m, i) => [m, i + 1]));
const DAYS = Object.fromEntries(["sun", "mon", "tue", "wed", "thu", "fri", "sat"].map((d, i) => [d, i]));
const BOUNDS: Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS },
  { min: 0, max: 6, names: DAYS },
];

function parseField(field: string, b: Bounds): CronField | { error: string } {
  const set = new Array<boolean>(b.max + 1).fill(false);
  let star = false;
  // strings.FieldsFunc on ',': empty items are dropped, so "1,,2" is "1,2" and "," is no value at all.
  for (const expr of field.split(",")) {
    if (expr === "") continue;
    const range = parseRange(expr, b);
    if ("error" in range) return range;
    for (let v = range.start; v <= range.end; v += range.step) set[v] = true;
    star ||= range.star;
  }
  const values: number[] = [];
  set.forEach((on, v) => on && values.push(v));
  return { values, star };
}

interface Range {
  start: number;
  end: number;
  step: number;
  star: boolean;
}

function parseRange(expr: string, b: Bounds): Range | { error: string } {
  const rangeAndStep = expr.split("/");
  const lowAndHigh = rangeAndStep[0]!.split("-");
  let start: bigint;
  let end: bigint;
  let star = false;
  if (lowAndHigh[0] === "*" || lowAndHigh[0] === "?") {
    // As robfig: whatever follows a hyphen after a wildcard is ignored ("*-5" is "*").
    start = BigInt(b.min);
    end = BigInt(b.max);
    star = true;
  } else {
    const low = intOrName(lowAndHigh[0]!, b);
    if (typeof low === "string") return { error: low };
    start = end = low;
    if (lowAndHigh.length > 2) return { error: `too many hyphens: ${expr}` };
    if (lowAndHigh.length === 2) {
      const high = intOrName(lowAndHigh[1]!, b);
      if (typeof high === "string") return { error: high };
      end = high;
    }
  }
  let step = 1n;
  if (rangeAndStep.length > 2) return { error: `too many slashes: ${expr}` };
  if (rangeAndStep.length === 2) {
    const n = nonNegative(rangeAndStep[1]!);
    if (typeof n === "string") return { error: n };
    step = n;
    // "a/s" means "a-max/s"; a step above 1 makes a wildcard no longer one.
    if (lowAndHigh.length === 1) end = BigInt(b.max);
    if (step > 1n) star = false;
  }
  if (start < b.min) return { error: `beginning of range (${start}) below minimum (${b.min}): ${expr}` };
  if (end > b.max) return { error: `end of range (${end}) above maximum (${b.max}): ${expr}` };
  if (start > end) return { error: `beginning of range (${start}) beyond end of range (${end}): ${expr}` };
  if (step === 0n) return { error: `step of range should be a positive number: ${expr}` };
  return { start: Number(start), end: Number(end), step: step > 64n ? 64 : Number(step), star };
}

function intOrName(text: string, b: Bounds): bigint | string {
  // Own names only: "constructor" or "__proto__" are not months.
  const name = text.toLowerCase();
  return b.names && Object.hasOwn(b.names, name) ? BigInt(b.names[name]!) : nonNegative(text);
}

const UINT64_MAX = (1n << 64n) - 1n;
const INT64_LIMIT = 1n << 63n;

/** robfig's mustParseInt: strconv.Atoi (sign, decimal digits, int64 range, errors as Go words them), then no negatives. */
function nonNegative(text: string): bigint | string {
  const fail = (why: string) => `failed to parse int from ${text}: strconv.Atoi: parsing ${goQuote(text)}: ${why}`;
  const negative = text[0] === "-";
  let i = text[0] === "-" || text[0] === "+" ? 1 : 0;
  if (i === text.length) return fail("invalid syntax");
  let n = 0n;
  // Left to right as Go's ParseUint: the first bad digit or the first uint64 overflow decides the error.
  for (; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return fail("invalid syntax");
    n = n * 10n + BigInt(digit);
    if (n > UINT64_MAX) return fail("value out of range");
  }
  if (negative ? n > INT64_LIMIT : n >= INT64_LIMIT) return fail("value out of range");
  if (negative && n !== 0n) return `negative number (-${n}) not allowed: ${text}`;
  return n;
}

// unicode.IsSpace, which strings.Fields and strings.TrimSpace split and trim on (not quite JavaScript's \s).
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
const GO_SPACES = new RegExp(`${GO_SPACE.source}+`);

function goFields(text: string): string[] {
  return text.split(GO_SPACES).filter((f) => f !== "");
}

function goTrimSpace(text: string): string {
  // Loops, not /\s+$/, which is quadratic on a long run of spaces followed by something else.
  let start = 0;
  let end = text.length;
  while (start < end && GO_SPACE.test(text[start]!)) start++;
  while (end > start && GO_SPACE.test(text[end - 1]!)) end--;
  return text.slice(start, end);
}
