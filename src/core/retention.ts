/**
 * Retention rules, pure: how long terminal executions are kept, per project
 * and domain, and which phases count as terminal.
 */

/** The phases an execution never leaves (stored phase names). */
export const TERMINAL_PHASES: readonly string[] = ["SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT"];

/** A key standing for every project, or every domain. */
export const ANY = "*";

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
/** Longest age accepted (100 years): later dates are not worth a rule, and the arithmetic stays exact. */
const MAX_AGE_MS = 100 * 365 * 86_400_000;
/** Project and domain ids are at most this long (FlyteAdmin's columns). */
const MAX_ID_CHARS = 255;

export class RetentionError extends Error {
  override name = "RetentionError";
}

/** "90d", "12h", "30m", "45s", "2w" as milliseconds; anything else (zero included) is a RetentionError. */
export function parseAge(text: string): number {
  const m = typeof text === "string" && text.length <= 16 ? /^([0-9]{1,7})([smhdw])$/.exec(text.trim()) : null;
  if (!m) throw new RetentionError(`expected an age such as 90d, 12h, 30m, 45s or 2w, got ${JSON.stringify(text)}`);
  const ms = Number(m[1]) * UNIT_MS[m[2]!]!;
  if (ms === 0) throw new RetentionError(`an age must be more than zero, got ${JSON.stringify(text)}`);
  if (ms > MAX_AGE_MS) throw new RetentionError(`an age must be at most 100 years, got ${JSON.stringify(text)}`);
  return ms;
}

/** One rule: keep terminal executions of a project and domain ("*": any) this long. */
export interface RetentionRule {
  readonly project: string;
  readonly domain: string;
  readonly maxAgeMs: number;
}

/** Rules by project, then domain; "*" matches any. The most specific rule applies. */
export type RetentionPolicy = readonly RetentionRule[];

/**
 * Reads `{ "<project or *>": { "<domain or *>": "<age>" } }` (a config file
 * mapping, or its JSON text). An empty mapping keeps everything.
 */
export function parseRetentionPolicy(raw: unknown): RetentionPolicy {
  let value = raw;
  if (typeof raw === "string") {
    if (raw.trim() === "") return [];
    try {
      value = JSON.parse(raw) as unknown;
    } catch {
      throw new RetentionError("expected JSON such as {\"*\":{\"development\":\"30d\"}}");
    }
  }
  if (!isMapping(value)) throw new RetentionError('expected a mapping of project ("*": any) to a mapping of domain ("*": any) to an age such as 30d');
  const rules: RetentionRule[] = [];
  for (const [project, domains] of Object.entries(value)) {
    checkId(project, "project");
    if (!isMapping(domains)) throw new RetentionError(`${project}: expected a mapping of domain ("*": any) to an age such as 30d`);
    for (const [domain, age] of Object.entries(domains)) {
      checkId(domain, "domain");
      try {
        rules.push({ project, domain, maxAgeMs: parseAge(String(age)) });
      } catch (e) {
        throw new RetentionError(`${project}.${domain}: ${(e as Error).message}`);
      }
    }
  }
  return rules;
}

/** How long terminal executions of a project and domain are kept; undefined: forever (no rule applies). */
export function maxAgeFor(policy: RetentionPolicy, project: string, domain: string): number | undefined {
  let best: RetentionRule | undefined;
  let bestRank = -1;
  for (const r of policy) {
    if ((r.project !== ANY && r.project !== project) || (r.domain !== ANY && r.domain !== domain)) continue;
    // A named project outranks a named domain: "myproject.*" wins over "*.development".
    const rank = (r.project === ANY ? 0 : 2) + (r.domain === ANY ? 0 : 1);
    if (rank > bestRank) [best, bestRank] = [r, rank];
  }
  return best?.maxAgeMs;
}

/** `--phase`: "terminal" (the default) or phase names, comma-separated (case-insensitive); each must be terminal. */
export function parsePhases(text: string | undefined): readonly string[] {
  if (text === undefined || text.trim().toLowerCase() === "terminal") return TERMINAL_PHASES;
  const phases = text.split(",").map((p) => p.trim().toUpperCase());
  for (const p of phases) {
    if (!TERMINAL_PHASES.includes(p)) throw new RetentionError(`--phase: expected terminal or some of ${TERMINAL_PHASES.join(", ")}, got ${JSON.stringify(text)}`);
  }
  return [...new Set(phases)];
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function checkId(id: string, what: string): void {
  if (id.trim() === "" || id.length > MAX_ID_CHARS) throw new RetentionError(`a ${what} key must be "*" or an id of 1 to ${MAX_ID_CHARS} characters, got ${JSON.stringify(id)}`);
}
