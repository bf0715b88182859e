import { and, asc, eq, inArray, or, type SQL } from "drizzle-orm";
import { type RoleBinding, type RoleBindingStore, SUBJECT_KINDS, type SubjectKind } from "./access-store.js";
import type { Dialect } from "./dialect.js";

/** Role bindings over either dialect; the unique key (kind, subject, project, domain, role) serves lookups by principal. */
export function createSqlRoleBindings(d: Dialect): RoleBindingStore {
  const t = d.schema.roleBindings;
  type Row = typeof t.$inferSelect;
  const toBinding = (r: Row): RoleBinding => ({
    subjectKind: r.subjectKind as SubjectKind,
    subject: r.subject,
    project: r.project,
    domain: r.domain,
    role: r.role,
    createdAt: r.createdAt,
    createdBy: r.createdBy,
  });
  const order = [asc(t.subjectKind), asc(t.subject), asc(t.project), asc(t.domain), asc(t.role)];

  return {
    async grant(b) {
      const rows = await d.write((db) =>
        db
          .insert(t)
          .values({ subjectKind: b.subjectKind, subject: b.subject, project: b.project, domain: b.domain, role: b.role, createdAt: b.createdAt, createdBy: b.createdBy })
          .onConflictDoNothing({ target: [t.subjectKind, t.subject, t.project, t.domain, t.role] })
          .returning({ id: t.id }),
      );
      return rows.length === 1;
    },

    async revoke(k) {
      const rows = await d.write((db) =>
        db
          .delete(t)
          .where(and(eq(t.subjectKind, k.subjectKind), eq(t.subject, k.subject), eq(t.project, k.project), eq(t.domain, k.domain), eq(t.role, k.role)))
          .returning({ id: t.id }),
      );
      return rows.length === 1;
    },

    async forPrincipals(principals) {
      // One IN list per kind: each is a range of the unique index's (kind, subject) prefix.
      const byKind = new Map<SubjectKind, string[]>();
      for (const p of principals) byKind.set(p.kind, [...(byKind.get(p.kind) ?? []), p.subject]);
      const terms: SQL[] = [...byKind].map(([kind, subjects]) => and(eq(t.subjectKind, kind), inArray(t.subject, [...new Set(subjects)]))!);
      if (terms.length === 0) return [];
      const rows = await d.run((db) => db.select().from(t).where(or(...terms)));
      return rows.map(toBinding);
    },

    async list({ subjectKind, subject, project, limit }) {
      const where = and(
        // Every kind spelled out when only the subject is given, so the unique index's (kind, subject) prefix still applies.
        subjectKind !== undefined ? eq(t.subjectKind, subjectKind) : subject !== undefined ? inArray(t.subjectKind, [...SUBJECT_KINDS]) : undefined,
        subject !== undefined ? eq(t.subject, subject) : undefined,
        project !== undefined ? eq(t.project, project) : undefined,
      );
      const rows = await d.run((db) => db.select().from(t).where(where).orderBy(...order).limit(limit));
      return rows.map(toBinding);
    },
  };
}
