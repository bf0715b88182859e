// Identifier keys and ordering used for dependency lists.
//
// flytepropeller keys tasks, launch plans and sub-workflows by the identifier's
// full text (common.IdentifierSet), so two references match only when every
// field — resource type and org included — is equal. Lists come out sorted by
// (resource_type, project, domain, name, version), which is also the order
// FlyteAdmin loads (and so stores) the tasks of a compiled workflow.
import type { Identifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import { identifierText } from "./proto-text.js";

export const identifierKey = (id: Identifier | undefined): string => identifierText(id);

export function compareIdentifiers(a: Identifier, b: Identifier): number {
  if (a.resourceType !== b.resourceType) return a.resourceType - b.resourceType;
  for (const field of ["project", "domain", "name", "version"] as const) {
    if (a[field] !== b[field]) return a[field] < b[field] ? -1 : 1;
  }
  // Go leaves ties (ids differing only in org) in map order; make it stable.
  const ka = identifierKey(a);
  const kb = identifierKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** A set of identifiers, de-duplicated by full text. */
export class IdentifierSet {
  private readonly items = new Map<string, Identifier>();

  insert(id: Identifier): void {
    this.items.set(identifierKey(id), id);
  }

  has(id: Identifier): boolean {
    return this.items.has(identifierKey(id));
  }

  list(): Identifier[] {
    return [...this.items.values()].sort(compareIdentifiers);
  }
}
