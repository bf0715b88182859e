/**
 * Validates a cron expression the way FlyteAdmin's scheduler parses it
 * (robfig/cron ParseStandard): five fields (minute hour day-of-month month
 * day-of-week) with `*`, `?`, lists, ranges, steps and month/day names, or a
 * descriptor (`@hourly`, `@daily`, `@every 1h30m`, ...). Returns the parser's
 * complaint, or undefined when the expression is valid.
 */
export function cronError(expression: string): string | undefined {
  const text = expression.trim();
  if (text === "") return "empty spec string";
  if (text.startsWith("@")) return descriptorError(text);
  // A leading TZ=/CRON_TZ= zone is allowed by the parser.
  const fields = text.replace(/^(CRON_)?TZ=\S+\s+/, "").split(/\s+/);
  if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}: [${fields.join(" ")}]`;
  for (let i = 0; i < 5; i++) {
    const error = fieldError(fields[i]!, BOUNDS[i]!);
    if (error) return error;
  }
  return undefined;
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

function fieldError(field: string, bounds: Bounds): string | undefined {
  for (const part of field.split(",")) {
    const error = rangeError(part, bounds);
    if (error) return error;
  }
  return undefined;
}

function rangeError(expr: string, b: Bounds): string | undefined {
  const [range = "", step, extra] = expr.split("/");
  if (extra !== undefined) return `too many slashes: ${expr}`;
  let start: number;
  let end: number;
  if (range === "*" || range === "?") {
    start = b.min;
    end = b.max;
  } else {
    const [low = "", high, more] = range.split("-");
    if (more !== undefined) return `too many hyphens: ${expr}`;
    const s = value(low, b);
    if (typeof s === "string") return s;
    start = s;
    const e = high === undefined ? start : value(high, b);
    if (typeof e === "string") return e;
    end = e;
  }
  if (step !== undefined) {
    const n = integer(step);
    if (typeof n === "string") return n;
    if (n <= 0) return `step of range should be a positive number: ${expr}`;
  }
  if (start < b.min) return `beginning of range (${start}) below minimum (${b.min}): ${expr}`;
  if (end > b.max) return `end of range (${end}) above maximum (${b.max}): ${expr}`;
  if (start > end) return `beginning of range (${start}) beyond end of range (${end}): ${expr}`;
  return undefined;
}

function value(text: string, b: Bounds): number | string {
  // Own names only: "constructor" or "__proto__" are not months.
  const name = text.toLowerCase();
  return b.names && Object.hasOwn(b.names, name) ? b.names[name]! : integer(text);
}

function integer(text: string): number | string {
  if (!/^\d+$/.test(text)) return `failed to parse int from ${text}: strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`;
  return Number(text);
}

const DESCRIPTORS = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]);

function descriptorError(text: string): string | undefined {
  if (DESCRIPTORS.has(text)) return undefined;
  // `^@every\s+(.+)$` read without backtracking (which is quadratic on long runs of spaces): the text is
  // trimmed, so after the spaces comes at least one character, and `.` refuses only line terminators.
  const spaces = /^@every\s+/.exec(text);
  const every = spaces && text.slice(spaces[0].length);
  if (every && !/[\n\r\u2028\u2029]/.test(every)) {
    return /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(every) ? undefined : `failed to parse duration ${text}: time: invalid duration ${JSON.stringify(every)}`;
  }
  return `unrecognized descriptor: ${text}`;
}
