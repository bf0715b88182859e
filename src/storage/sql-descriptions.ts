import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { and, desc, eq } from "drizzle-orm";
import { type DescriptionEntity, DescriptionEntitySchema, DescriptionSchema } from "../../gen/flyteidl/admin/description_entity_pb.js";
import type { Identifier } from "../../gen/flyteidl/core/identifier_pb.js";
import type { Db, Dialect } from "./dialect.js";
import { type ColumnMap, orderOf, pageOf, whereOf } from "./sql-list.js";
import type { DescriptionStore } from "./store.js";
import { DESCRIPTION_ENTITY_COLUMNS } from "../core/entity-columns.js";
import { BINARY_READ_OPTIONS } from "../core/proto-limits.js";

/** The row a description entity is stored as (tags are not kept, as in FlyteAdmin). */
export function descriptionRow(d: Dialect, entity: DescriptionEntity, now: Date) {
  const id = entity.id!;
  return {
    resourceType: id.resourceType,
    project: id.project,
    domain: id.domain,
    name: id.name,
    version: id.version,
    shortDescription: entity.shortDescription,
    longDescription: entity.longDescription ? Buffer.from(toBinary(DescriptionSchema, entity.longDescription)) : null,
    link: entity.sourceCode?.link ?? "",
    createdAt: now,
    updatedAt: now,
  } satisfies typeof d.schema.descriptionEntities.$inferInsert;
}

/** Inserts a description entity inside the caller's transaction (an existing one is left alone). */
export async function insertDescription(d: Dialect, tx: Db, entity: DescriptionEntity, now: Date): Promise<void> {
  await tx.insert(d.schema.descriptionEntities).values(descriptionRow(d, entity, now)).onConflictDoNothing();
}

export function createSqlDescriptions(d: Dialect): DescriptionStore {
  const t = d.schema.descriptionEntities;
  type Row = typeof t.$inferSelect;
  const own = {
    resource_type: t.resourceType,
    project: t.project,
    domain: t.domain,
    name: t.name,
    version: t.version,
    short_description: t.shortDescription,
    link: t.link,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
  };
  const toEntity = (row: Row): DescriptionEntity =>
    create(DescriptionEntitySchema, {
      id: { resourceType: row.resourceType, project: row.project, domain: row.domain, name: row.name, version: row.version },
      shortDescription: row.shortDescription,
      longDescription: row.longDescription ? fromBinary(DescriptionSchema, row.longDescription, BINARY_READ_OPTIONS) : {},
      sourceCode: { link: row.link },
    });
  // An unspecified resource type (possible only in unfiltered lists) matches every type.
  const nameOf = (id: Pick<Identifier, "resourceType" | "project" | "domain" | "name">) =>
    and(id.resourceType ? eq(t.resourceType, id.resourceType) : undefined, eq(t.project, id.project), eq(t.domain, id.domain), eq(t.name, id.name));

  return {
    async get(id) {
      const [row] = await d.run((db) => db.select().from(t).where(and(nameOf(id), eq(t.version, id.version))));
      return row ? toEntity(row) : undefined;
    },
    async list(id, query) {
      // Filters name the described entity's columns (`workflow.name`), which
      // description rows share under the same names.
      const columns: ColumnMap = { [DESCRIPTION_ENTITY_COLUMNS.code]: own, t: own, w: own, l: own };
      const order = orderOf(query.sort, own, [desc(t.createdAt)], [t.version]);
      const rows = await d.run((db) =>
        pageOf(db.select().from(t).where(and(nameOf(id), whereOf(query.filters, columns))).orderBy(...order).$dynamic(), query),
      );
      return rows.map(toEntity);
    },
  };
}
