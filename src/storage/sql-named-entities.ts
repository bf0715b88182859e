import { and, asc, eq, sql } from "drizzle-orm";
import type { NamedEntity } from "../../gen/flyteidl/admin/common_pb.js";
import { NAMED_ENTITY_COLUMNS, NAMED_ENTITY_METADATA_COLUMNS } from "../core/entity-columns.js";
import type { Dialect } from "./dialect.js";
import type { ListQuery } from "../core/list-query.js";
import { type ColumnMap, type ColumnRef, orderOf, pageOf, whereOf } from "./sql-list.js";
import { type NamedEntityStore, type NamedResourceType, type NameScope, PACKED_NAME_END } from "./store.js";

/**
 * Named entities read from the name table (schema `namedEntityMetadata`):
 * one row per name with a version, written with its first version, so a list
 * is one page of an index and never groups versions.
 */
export function createSqlNamedEntities(d: Dialect): NamedEntityStore {
  const m = d.schema.namedEntityMetadata;
  // Built as literals with every field set (what create() returns): create's reflection costs
  // more than the query for a list of thousands.
  const toEntity = (type: NamedResourceType, scope: NameScope, row: { name: string; description: string; state: number }): NamedEntity => ({
    $typeName: "flyteidl.admin.NamedEntity",
    resourceType: type,
    id: { $typeName: "flyteidl.admin.NamedEntityIdentifier", project: scope.project, domain: scope.domain, name: row.name, org: "" },
    metadata: { $typeName: "flyteidl.admin.NamedEntityMetadata", description: row.description, state: row.state },
  });
  // Project and domain are the caller's: not reading them spares two strings per row.
  const columnsOf = { name: m.name, description: m.description, state: m.state };
  const keyOf = (type: NamedResourceType, id: NameScope) =>
    and(eq(m.resourceType, type), eq(m.project, id.project), eq(m.domain, id.domain), id.name !== undefined ? eq(m.name, id.name) : undefined);
  // What a list may filter and sort on.
  const fields = { resource_type: m.resourceType, project: m.project, domain: m.domain, name: m.name, description: m.description, state: m.state };
  const columns: ColumnMap = {
    [NAMED_ENTITY_COLUMNS.code]: fields,
    [NAMED_ENTITY_METADATA_COLUMNS.code]: { ...fields, created_at: m.createdAt, updated_at: m.updatedAt },
  };
  const listed = (type: NamedResourceType, scope: NameScope, query: ListQuery) =>
    and(keyOf(type, { project: scope.project, domain: scope.domain }), whereOf(query.filters, columns));

  return {
    async get(type, id) {
      const rows = await d.run((db) => db.select(columnsOf).from(m).where(keyOf(type, id)));
      return rows[0] ? toEntity(type, id, rows[0]) : undefined;
    },

    async updateMetadata(type, id, metadata) {
      // Every name with a version has its row, so an update that finds none is of a name that has no
      // version (yet): one conditional UPDATE, nothing created, whatever registration runs beside it.
      const updated = await d.run((db) =>
        db
          .update(m)
          // FlyteAdmin's non-zero-field update: an empty description does not clear it.
          .set({ state: metadata.state, updatedAt: new Date(), ...(metadata.description !== "" ? { description: metadata.description } : {}) })
          .where(keyOf(type, id))
          .returning({ name: m.name }),
      );
      return updated.length > 0;
    },

    async list(type, scope, query) {
      const rows = await d.run((db) =>
        pageOf(
          db
            .select(columnsOf)
            .from(m)
            .where(listed(type, scope, query))
            .orderBy(...orderOf(query.sort, fields, [asc(m.name)], [m.name]))
            .$dynamic(),
          query,
        ),
      );
      return rows.map((row) => toEntity(type, scope, row));
    },

    async listPacked(type, scope, query) {
      const where = listed(type, scope, query);
      const order = orderOf(query.sort, fields, [asc(m.name)], [m.name]);
      if (d.name === "sqlite") {
        // The rows in the statement's order, one string each: as cheap as SQLite's group_concat, which
        // keeps an order only with an ORDER BY of its own, a sort that costs as much again.
        const rows = await d.pluck<string>((db) =>
          pageOf(db.select({ row: packed(m) }).from(m).where(where).orderBy(...order).$dynamic(), query),
        );
        return { count: rows.length, text: rows.join("") };
      }
      // PostgreSQL: one row instead of thousands for the driver to parse. The aggregate's own ORDER BY is
      // what fixes the order of its input (a sorted subquery's order is not guaranteed to reach it).
      const [row] = await d.run((db) => {
        const page = pageOf(db.select(fields).from(m).where(where).orderBy(...order).$dynamic(), query).as("page");
        const own = { resource_type: page.resource_type, project: page.project, domain: page.domain, name: page.name, description: page.description, state: page.state };
        const pageOrder = sql.join(orderOf(query.sort, own, [asc(own.name)], [own.name]), sql`, `);
        return db
          .select({ count: sql<number>`count(*)`.mapWith(Number), text: sql<string | null>`string_agg(${packed(page)}, '' order by ${pageOrder})` })
          .from(page);
      });
      return { count: row?.count ?? 0, text: row?.text ?? "" };
    },
  };
}

/** A row of PackedNames. */
const packed = (t: { name: ColumnRef; description: ColumnRef; state: ColumnRef }) =>
  sql<string>`${t.name} || ${PACKED_NAME_END} || ${t.description} || ${PACKED_NAME_END} || cast(${t.state} as text) || ${PACKED_NAME_END}`;

