/**
 * Roles and their evaluation, pure (off unless configured; README "Roles").
 * A principal holds roles through bindings on a project and a domain, "*"
 * standing for all of them; what it may do is the union over its bindings.
 * Which action each RPC needs, on which project and domain, is in
 * rbac-rules.ts.
 */

/** Built-in roles, each a superset of the one before. `system` is for engines that write events. */
export type Role = "viewer" | "contributor" | "admin" | "system";
export const ROLES: readonly Role[] = ["viewer", "contributor", "admin", "system"];

/** What a role allows within a project (and domain). */
export type ProjectAction = "view_inventory" | "view_executions" | "register_inventory" | "create_executions" | "administer_project" | "write_events";

/** What only a platform admin (admin or system on every project and domain) may do. */
export type GlobalAction = "create_projects" | "administer_platform";

/** What `auth.rbac.defaultRole` may give every authenticated principal without bindings. */
export type DefaultRole = "none" | "viewer" | "contributor";

/** A binding's project or domain that stands for all of them. */
export const ALL = "*";

const VIEW: readonly ProjectAction[] = ["view_inventory", "view_executions"];
const CONTRIBUTE: readonly ProjectAction[] = [...VIEW, "register_inventory", "create_executions"];
const ADMINISTER: readonly ProjectAction[] = [...CONTRIBUTE, "administer_project"];
const ROLE_ACTIONS: Readonly<Record<Role, ReadonlySet<ProjectAction>>> = {
  viewer: new Set(VIEW),
  contributor: new Set(CONTRIBUTE),
  admin: new Set(ADMINISTER),
  system: new Set([...ADMINISTER, "write_events"]),
};
const VIEW_ACTIONS: ReadonlySet<ProjectAction> = new Set(VIEW);

/** The project and domain an RPC acts on; `domain: null` for the project as a whole (its attributes, its record). */
export interface Target {
  readonly project: string;
  readonly domain: string | null;
}

/** A role on a scope, as a binding grants it. */
export interface ScopedRole {
  readonly project: string;
  readonly domain: string;
  readonly role: string;
}

/** Everything a principal holds: its bindings (plus the default role, see grantsOf) and whether it is a super-admin. */
export interface Grants {
  readonly superAdmin: boolean;
  readonly roles: readonly ScopedRole[];
}

export const isRole = (text: string): text is Role => (ROLES as readonly string[]).includes(text);

/**
 * What a principal holds, from the bindings that name it: a super-admin is
 * admin everywhere; a principal without any binding gets the default role on
 * every project and domain (none, viewer or contributor), and one with
 * bindings gets exactly those.
 */
export function grantsOf(bindings: readonly ScopedRole[], options: { superAdmin: boolean; defaultRole: DefaultRole }): Grants {
  const roles = bindings.length === 0 && options.defaultRole !== "none" ? [{ project: ALL, domain: ALL, role: options.defaultRole }] : bindings;
  return { superAdmin: options.superAdmin, roles };
}

/**
 * Whether `action` is allowed on `target`. A binding covers the target when
 * its project is the target's or "*", and its domain the target's or "*".
 * For the project as a whole (domain null), viewing needs a binding on any
 * of its domains, and anything else one on all of them ("*"): seeing a
 * project's record takes a foot in it, changing its attributes the whole of
 * it. `write_events` is held by the system role alone, never by an admin.
 */
export function allows(grants: Grants, action: ProjectAction, target: Target): boolean {
  if (grants.superAdmin && action !== "write_events") return true;
  return grants.roles.some((b) => {
    const actions = isRole(b.role) ? ROLE_ACTIONS[b.role] : undefined;
    if (!actions?.has(action)) return false;
    if (b.project !== ALL && b.project !== target.project) return false;
    if (target.domain === null) return b.domain === ALL || VIEW_ACTIONS.has(action);
    return b.domain === ALL || b.domain === target.domain;
  });
}

/**
 * Platform-wide actions (creating projects, reading every project's
 * attributes): a super-admin, or admin or system on "*"/"*". Every global
 * action needs the same today; the action is named for the denial and for
 * finer rules later.
 */
export function allowsGlobal(grants: Grants, _action: GlobalAction): boolean {
  if (grants.superAdmin) return true;
  return grants.roles.some((b) => b.project === ALL && b.domain === ALL && (b.role === "admin" || b.role === "system"));
}

/**
 * The projects a principal may see in ListProjects: "all" when it holds a
 * role on every project (a "*" binding, or super-admin), else those named by
 * its bindings (every role includes viewing).
 */
export function visibleProjects(grants: Grants): "all" | ReadonlySet<string> {
  if (grants.superAdmin) return "all";
  const named = new Set<string>();
  for (const b of grants.roles) {
    if (!isRole(b.role)) continue;
    if (b.project === ALL) return "all";
    named.add(b.project);
  }
  return named;
}

/** How a denial names where: `p/d`, `p/*` for the project as a whole. */
export const targetText = (t: Target) => `${t.project}/${t.domain ?? ALL}`;
