import { createContextKey } from "@connectrpc/connect";

/**
 * Set by authorization on a ListProjects call when the caller may see only
 * some projects: the handler lists those alone. Undefined: every project
 * (roles off, or a role on every project).
 */
export const visibleProjectsKey = createContextKey<ReadonlySet<string> | undefined>(undefined, { description: "projects the caller may see" });
