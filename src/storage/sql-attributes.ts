import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { MatchableResource, MatchingAttributesSchema } from "../../gen/flyteidl/admin/matchable_resource_pb.js";
import { type AttributeKey, priorityOf, type ScopedAttributes } from "../core/matchable.js";
import type { Dialect } from "./dialect.js";
import type { AttributeStore } from "./store.js";
import { preparedQuery } from "./prepared-query.js";
import { BINARY_READ_OPTIONS } from "../core/proto-limits.js";

// A merge that keeps losing to concurrent writers this often is a bug, not contention.
const MAX_MERGE_ATTEMPTS = 20;

export function createSqlAttributes(d: Dialect): AttributeStore {
  const t = d.schema.resources;
  type Row = typeof t.$inferSelect;
  const typeName = (type: MatchableResource) => MatchableResource[type];
  const exactly = (key: AttributeKey) =>
    and(
      eq(t.project, key.project),
      eq(t.domain, key.domain),
      eq(t.workflow, key.workflow),
      eq(t.launchPlan, key.launchPlan),
      eq(t.resourceType, typeName(key.resourceType)),
    );
  const encode = (a: Parameters<AttributeStore["put"]>[1]) => Buffer.from(toBinary(MatchingAttributesSchema, a));
  const decode = (row: Row): ScopedAttributes => ({
    project: row.project,
    domain: row.domain,
    workflow: row.workflow,
    launchPlan: row.launchPlan,
    attributes: fromBinary(MatchingAttributesSchema, row.attributes, BINARY_READ_OPTIONS),
  });

  // Each part matches its own value or the "any" level (""); the highest priority wins. Built
  // once: every launch resolves three of these. A part that is "" itself lists "" twice.
  const anyOr = (column: SQLiteColumn, name: string) => inArray(column, [sql.placeholder("any"), sql.placeholder(name)]);
  const resolveQuery = preparedQuery<Row[]>(d, "attributes_most_specific", (db) =>
    db
      .select()
      .from(t)
      .where(
        and(
          eq(t.resourceType, sql.placeholder("resourceType") as unknown as string),
          anyOr(t.project, "project"),
          anyOr(t.domain, "domain"),
          anyOr(t.workflow, "workflow"),
          anyOr(t.launchPlan, "launchPlan"),
        ),
      )
      // No LIMIT: at most sixteen rows match, and a bound LIMIT makes SQLite compile the statement again at every run.
      .orderBy(desc(t.priority), asc(t.id)),
  );
  const mostSpecific = (key: { resourceType: string; project: string; domain: string; workflow: string; launchPlan: string }) => resolveQuery({ ...key, any: "" });

  return {
    async put(key, attributes, merge) {
      const now = new Date();
      const values = {
        project: key.project,
        domain: key.domain,
        workflow: key.workflow,
        launchPlan: key.launchPlan,
        resourceType: typeName(key.resourceType),
        priority: priorityOf(key),
        attributes: encode(attributes),
        createdAt: now,
        updatedAt: now,
      };
      if (!merge) {
        // Replace semantics: one atomic upsert on the unique key.
        await d.run((db) =>
          db
            .insert(t)
            .values(values)
            .onConflictDoUpdate({
              target: [t.project, t.domain, t.workflow, t.launchPlan, t.resourceType],
              set: { attributes: values.attributes, updatedAt: now },
            }),
        );
        return;
      }
      // Read-merge-write as compare-and-set on the stored bytes, so concurrent
      // merges never lose an update on either dialect.
      for (let attempt = 0; attempt < MAX_MERGE_ATTEMPTS; attempt++) {
        const [row] = await d.run((db) => db.select().from(t).where(exactly(key)).limit(1));
        if (!row) {
          const inserted = await d.run((db) => db.insert(t).values(values).onConflictDoNothing().returning({ id: t.id }));
          if (inserted.length === 1) return;
          continue;
        }
        const merged = encode(merge(decode(row).attributes, attributes));
        const updated = await d.run((db) =>
          db
            .update(t)
            .set({ attributes: merged, updatedAt: now })
            .where(and(eq(t.id, row.id), eq(t.attributes, row.attributes)))
            .returning({ id: t.id }),
        );
        if (updated.length === 1) return;
      }
      throw new Error(`matchable attribute merge for ${JSON.stringify(key)} did not settle`);
    },

    async get(key) {
      const [row] = await d.run((db) => db.select().from(t).where(exactly(key)).limit(1));
      return row ? decode(row).attributes : undefined;
    },

    async resolve(key) {
      const [row] = await mostSpecific({
        resourceType: typeName(key.resourceType),
        project: key.project,
        domain: key.domain,
        workflow: key.workflow,
        launchPlan: key.launchPlan,
      });
      return row ? decode(row) : undefined;
    },

    async delete(key) {
      const rows = await d.run((db) => db.delete(t).where(exactly(key)).returning({ id: t.id }));
      return rows.length > 0;
    },

    async list(resourceType) {
      const rows = await d.run((db) =>
        db
          .select()
          .from(t)
          .where(eq(t.resourceType, typeName(resourceType)))
          .orderBy(desc(t.priority), asc(t.id)),
      );
      return rows.map(decode);
    },
  };
}

