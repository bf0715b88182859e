import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { allows, allowsGlobal, grantsOf, type Grants, targetText, visibleProjects } from "../core/rbac.js";
import { PUBLIC_SERVICES, ruleOf } from "../core/rbac-rules.js";
import type { BindingKey, Principal, RoleBinding, RoleBindingStore, SubjectKind } from "../storage/access-store.js";
import { createBindingCache } from "./binding-cache.js";
import { type Identity, identityKey } from "./identity.js";
import type { RbacConfig } from "./rbac-config.js";
import { visibleProjectsKey } from "./visible-projects.js";

export interface AuthorizationOptions {
  store: { readonly roleBindings: RoleBindingStore };
  config: RbacConfig;
  /** Milliseconds now, for the bindings cache (default Date.now). */
  now?: () => number;
  /** Principals whose bindings are cached at most (default 10,000). */
  maxCachedPrincipals?: number;
}

/** Roles on every call, and the grants and revocations that this server's cache sees at once. */
export interface Authorization {
  /** Runs after authentication (it reads identityKey); a pass-through when roles are off. */
  readonly interceptor: Interceptor;
  grant(binding: RoleBinding): Promise<boolean>;
  revoke(key: BindingKey): Promise<boolean>;
}

/**
 * Per-project roles (README "Roles"). For each call:
 * - no identity (authentication off, or not enforced on the call's protocol
 *   and no credential came): allowed, as without roles;
 * - a `system` identity (the server's own engine and scheduler): allowed;
 * - otherwise the method's rule (core/rbac-rules.ts) decides. A denial is
 *   PERMISSION_DENIED `principal <sub> lacks <action> on <project>/<domain>`,
 *   never UNAUTHENTICATED (flytekit and the Go client would fetch a new token
 *   and try again). A request naming no project goes on to the handler, whose
 *   validation refuses it with FlyteAdmin's INVALID_ARGUMENT. ListProjects
 *   lists what the caller may view. With `projectCreation: authenticated`,
 *   whoever registers a project becomes its admin.
 */
export function createAuthorization(options: AuthorizationOptions): Authorization {
  const { config } = options;
  const cache = createBindingCache({
    store: options.store.roleBindings,
    ttlMs: config.cacheTtlMs,
    ...(options.maxCachedPrincipals !== undefined ? { maxEntries: options.maxCachedPrincipals } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const superAdmins = new Set(config.superAdmins);

  const grantsFor = async (identity: Identity): Promise<Grants> => {
    const { principals, names } = principalsOf(identity, config.groupsClaim);
    const bindings = await cache.forPrincipals(principals);
    return grantsOf(bindings, { superAdmin: names.some((n) => superAdmins.has(n)), defaultRole: config.defaultRole });
  };
  const denied = (identity: Identity, action: string, where: string) =>
    new ConnectError(`principal ${identity.subject} lacks ${action} on ${where}`, Code.PermissionDenied);

  const interceptor: Interceptor = (next) => async (req) => {
    const identity = req.contextValues.get(identityKey);
    if (!identity || identity.kind === "system" || PUBLIC_SERVICES.has(req.service.typeName)) return next(req);
    const rule = ruleOf(req.service.typeName, req.method.localName);
    // A method without a rule is closed, so one added to a proto is never open by default.
    if (!rule) throw denied(identity, `${req.service.typeName}/${req.method.name}`, "*/*");
    switch (rule.kind) {
      case "public":
        return next(req);
      case "authenticated": {
        if (rule.filtersProjects) {
          const visible = visibleProjects(await grantsFor(identity));
          if (visible !== "all") req.contextValues.set(visibleProjectsKey, visible);
        }
        return next(req);
      }
      case "global": {
        const grants = await grantsFor(identity);
        if (allowsGlobal(grants, rule.action)) return next(req);
        if (rule.action !== "create_projects" || config.projectCreation !== "authenticated" || req.stream) throw denied(identity, rule.action, "*/*");
        const res = await next(req);
        const project = (req.message as { project?: { id?: string } }).project?.id ?? "";
        // After the project exists, never before: a grant made first would make
        // the caller admin of a project someone else already holds.
        if (project !== "") {
          await cache.grant({ subjectKind: ownKind(identity), subject: identity.subject, project, domain: "*", role: "admin", createdAt: new Date(), createdBy: identity.subject });
        }
        return res;
      }
      case "project": {
        // Every rule with a target is a unary method.
        if (req.stream) throw denied(identity, rule.action, "*/*");
        const target = rule.target(req.message as never);
        if (target.project === "") return next(req);
        if (!allows(await grantsFor(identity), rule.action, target)) throw denied(identity, rule.action, targetText(target));
        return next(req);
      }
    }
  };

  return {
    interceptor: config.enabled ? interceptor : (next) => next,
    grant: (b) => cache.grant(b),
    revoke: (k) => cache.revoke(k),
  };
}

/**
 * The principals an identity stands for, as bindings name them, and the
 * names super-admins are listed by:
 * - a user: its subject and email, and its groups;
 * - an app: its subject (the client id) and its groups;
 * - an API key: its service account as an app, or else its owner, as a user
 *   or an app (an owner may be either).
 */
export function principalsOf(identity: Identity, groupsClaim: string): { principals: Principal[]; names: string[] } {
  const email = identity.userInfo?.email ?? (typeof identity.claims.email === "string" ? identity.claims.email : undefined);
  const names = [identity.subject, ...(email ? [email] : [])];
  const principals: Principal[] = [];
  if (identity.kind === "apikey") {
    principals.push({ kind: "app", subject: identity.subject });
    if (identity.appId === "") principals.push({ kind: "user", subject: identity.subject });
    return { principals, names };
  }
  const kind: SubjectKind = identity.kind === "app" ? "app" : "user";
  for (const n of names) principals.push({ kind, subject: n });
  for (const g of groupsOf(identity, groupsClaim)) principals.push({ kind: "group", subject: g });
  return { principals, names };
}

function groupsOf(identity: Identity, claim: string): readonly string[] {
  if (identity.groups) return identity.groups;
  if (claim === "") return [];
  const value = identity.claims[claim];
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((g): g is string => typeof g === "string") : [];
}

/** The kind a creator's binding is recorded under. */
const ownKind = (identity: Identity): SubjectKind => (identity.kind === "app" || (identity.kind === "apikey" && identity.appId !== "") ? "app" : "user");
