import { create } from "@bufbuild/protobuf";
import { and, asc, eq, sql } from "drizzle-orm";
import { type NamedEntity, NamedEntitySchema } from "../../gen/flyteidl/admin/common_pb.js";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { NAMED_ENTITY_COLUMNS, NAMED_ENTITY_METADATA_COLUMNS } from "../core/entity-columns.js";
import type { Dialect } from "./dialect.js";
import { type ColumnMap, orderOf, pageOf, whereOf } from "./sql-list.js";
import { nameScope } from "./sql-versions.js";
import type { NamedEntityStore, NamedResourceType } from "./store.js";

export function createSqlNamedEntities(d: Dialect): NamedEntityStore {
  const m = d.schema.namedEntityMetadata;
  const tableOf = (type: NamedResourceType) =>
    type === ResourceType.TASK ? d.schema.tasks : type === ResourceType.WORKFLOW ? d.schema.workflows : d.schema.launchPlans;
  const toEntity = (type: NamedResourceType, row: { project: string; domain: string; name: string; description: string | null; state: number | null }): NamedEntity =>
    create(NamedEntitySchema, {
      resourceType: type,
      id: { project: row.project, domain: row.domain, name: row.name },
      metadata: { description: row.description ?? "", state: row.state ?? 0 },
    });

  return {
    async get(type, id) {
      const t = tableOf(type);
      const rows = await d.run((db) =>
        db
          .select({ project: t.project, domain: t.domain, name: t.name, description: m.description, state: m.state })
          .from(t)
          .leftJoin(m, and(eq(m.resourceType, type), eq(m.project, t.project), eq(m.domain, t.domain), eq(m.name, t.name)))
          .where(nameScope(t, id))
          .limit(1),
      );
      return rows[0] ? toEntity(type, rows[0]) : undefined;
    },

    async updateMetadata(type, id, metadata) {
      const now = new Date();
      await d.run((db) =>
        db
          .insert(m)
          .values({ resourceType: type, ...id, description: metadata.description, state: metadata.state, createdAt: now, updatedAt: now })
          .onConflictDoUpdate({
            target: [m.resourceType, m.project, m.domain, m.name],
            // FlyteAdmin's non-zero-field update: an empty description does not clear it.
            set: { state: metadata.state, updatedAt: now, ...(metadata.description !== "" ? { description: metadata.description } : {}) },
          }),
      );
    },

    async list(type, scope, query) {
      const t = tableOf(type);
      const entities = d.run((db) => {
        const names = db
          .select({ project: t.project, domain: t.domain, name: t.name })
          .from(t)
          .where(nameScope(t, { project: scope.project, domain: scope.domain }))
          .groupBy(t.project, t.domain, t.name)
          .as("entities");
        // A name without metadata counts as ACTIVE with no description.
        const state = sql<number>`coalesce(${m.state}, 0)`;
        const description = sql<string>`coalesce(${m.description}, '')`;
        const fields = { resource_type: sql`${type}`, project: names.project, domain: names.domain, name: names.name, description, state };
        const columns: ColumnMap = {
          [NAMED_ENTITY_COLUMNS.code]: fields,
          [NAMED_ENTITY_METADATA_COLUMNS.code]: { ...fields, created_at: m.createdAt, updated_at: m.updatedAt },
        };
        const order = orderOf(query.sort, fields, [asc(names.name)], [names.name]);
        return pageOf(
          db
            .select({ project: names.project, domain: names.domain, name: names.name, description: m.description, state: m.state })
            .from(names)
            .leftJoin(m, and(eq(m.resourceType, type), eq(m.project, names.project), eq(m.domain, names.domain), eq(m.name, names.name)))
            .where(whereOf(query.filters, columns))
            .orderBy(...order)
            .$dynamic(),
          query,
        );
      });
      return (await entities).map((row) => toEntity(type, row));
    },
  };
}
