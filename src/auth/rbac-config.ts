import type { DefaultRole } from "../core/rbac.js";
import { parseAge, RetentionError } from "../core/retention.js";

/**
 * The `auth.rbac` subtree: roles are off unless `enabled` is true, and with
 * them off every authenticated principal may do everything, as in FlyteAdmin.
 */
export interface RbacConfig {
  enabled: boolean;
  /** Subjects or emails that are admin of every project (and may create projects and grant roles). */
  superAdmins: readonly string[];
  /** What an authenticated principal without any binding holds on every project and domain. */
  defaultRole: DefaultRole;
  /** The token claim listing the principal's groups (e.g. `groups`); "" for none. Group bindings match its values. */
  groupsClaim: string;
  /** Who may call RegisterProject: platform admins only, or any authenticated principal (who then becomes the project's admin). */
  projectCreation: "admins" | "authenticated";
  /**
   * How long a principal's bindings are reused before they are read again.
   * Grants and revocations through this server apply at once; those made by
   * another process (the CLI, another replica) within this time at most.
   */
  cacheTtlMs: number;
}

export class RbacConfigError extends Error {
  override name = "RbacConfigError";
}

export const defaultRbacConfig = (): RbacConfig => ({
  enabled: false,
  superAdmins: [],
  defaultRole: "none",
  groupsClaim: "",
  projectCreation: "admins",
  cacheTtlMs: 10_000,
});

const KEYS = ["enabled", "superAdmins", "defaultRole", "groupsClaim", "projectCreation", "cacheTtl"] as const;
const DEFAULT_ROLES: readonly DefaultRole[] = ["none", "viewer", "contributor"];
const PROJECT_CREATION: readonly RbacConfig["projectCreation"][] = ["admins", "authenticated"];
const BOOLS: Record<string, boolean> = { true: true, "1": true, yes: true, on: true, false: false, "0": false, no: false, off: false };
// A longer cache would leave a revoked role in force for too long.
const MAX_CACHE_TTL_MS = 5 * 60_000;
const MAX_NAME = 255;

const fail = (what: string) => new RbacConfigError(`auth.rbac.${what}`);

/**
 * Parses the `auth.rbac` mapping (from a config file, or its JSON from a flag
 * or variable); unset keys keep their defaults and an unknown key is an error
 * (a typo would otherwise silently leave roles as they were). `superAdmins`
 * is a list, or one comma-separated string. `cacheTtl` is an age such as
 * 10s or 1m, or 0 to read bindings on every call.
 */
export function parseRbacConfig(raw: unknown): RbacConfig {
  let value = raw;
  if (value === undefined || value === null) return defaultRbacConfig();
  if (typeof value === "string") {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      throw new RbacConfigError('auth.rbac: expected a mapping or its JSON, such as {"enabled":true,"superAdmins":["alice@example.com"]}');
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RbacConfigError(`auth.rbac: expected a mapping of ${KEYS.join(", ")}`);
  }
  const m = value as Record<string, unknown>;
  for (const key of Object.keys(m)) {
    if (!(KEYS as readonly string[]).includes(key)) throw new RbacConfigError(`auth.rbac: unknown key ${key} (expected ${KEYS.join(", ")})`);
  }
  const out = defaultRbacConfig();
  if (m.enabled !== undefined) out.enabled = bool(m.enabled, "enabled");
  if (m.superAdmins !== undefined) out.superAdmins = names(m.superAdmins, "superAdmins");
  if (m.defaultRole !== undefined) out.defaultRole = choice(m.defaultRole, "defaultRole", DEFAULT_ROLES);
  if (m.groupsClaim !== undefined) {
    if (typeof m.groupsClaim !== "string" || m.groupsClaim.length > MAX_NAME) throw fail(`groupsClaim: expected a claim name, got ${JSON.stringify(m.groupsClaim)}`);
    out.groupsClaim = m.groupsClaim.trim();
  }
  if (m.projectCreation !== undefined) out.projectCreation = choice(m.projectCreation, "projectCreation", PROJECT_CREATION);
  if (m.cacheTtl !== undefined) out.cacheTtlMs = cacheTtl(m.cacheTtl);
  return out;
}

function bool(v: unknown, key: string): boolean {
  const b = typeof v === "boolean" ? v : typeof v === "string" ? BOOLS[v.toLowerCase()] : undefined;
  if (b === undefined) throw fail(`${key}: expected true or false, got ${JSON.stringify(v)}`);
  return b;
}

function names(v: unknown, key: string): string[] {
  const list = typeof v === "string" ? v.split(",") : v;
  if (!Array.isArray(list) || !list.every((s) => typeof s === "string")) throw fail(`${key}: expected a list of subjects or emails, got ${JSON.stringify(v)}`);
  const out = (list as string[]).map((s) => s.trim()).filter((s) => s !== "");
  for (const s of out) if (s.length > MAX_NAME) throw fail(`${key}: a name longer than ${MAX_NAME} characters`);
  return [...new Set(out)];
}

function choice<T extends string>(v: unknown, key: string, allowed: readonly T[]): T {
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) throw fail(`${key}: expected one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`);
  return v as T;
}

function cacheTtl(v: unknown): number {
  if (v === 0 || v === "0") return 0;
  let ms: number;
  try {
    ms = parseAge(String(v));
  } catch (e) {
    if (!(e instanceof RetentionError)) throw e;
    throw fail(`cacheTtl: expected an age such as 10s or 1m, or 0, got ${JSON.stringify(v)}`);
  }
  if (ms > MAX_CACHE_TTL_MS) throw fail(`cacheTtl: at most 5m, got ${JSON.stringify(v)}`);
  return ms;
}
