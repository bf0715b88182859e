import { create } from "@bufbuild/protobuf";
import { and, asc, eq, type SQL } from "drizzle-orm";
import { type NamedEntityIdentifier, NamedEntityIdentifierSchema } from "../../gen/flyteidl/admin/common_pb.js";
import type { ListQuery } from "../core/list-query.js";
import { orderOf, pageOf } from "./sql-list.js";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { DescriptionEntity } from "../../gen/flyteidl/admin/description_entity_pb.js";
import type { Db, Dialect } from "./dialect.js";
import { insertDescription } from "./sql-descriptions.js";
import type { NamedResourceType, NameScope } from "./store.js";

/** The key columns every versioned entity table (tasks, workflows, launch plans) has. */
export interface VersionedColumns {
  project: SQLiteColumn;
  domain: SQLiteColumn;
  name: SQLiteColumn;
  version: SQLiteColumn;
}

export interface VersionKey {
  project: string;
  domain: string;
  name: string;
  version: string;
}

export const versionKey = (t: VersionedColumns, id: VersionKey): SQL =>
  and(eq(t.project, id.project), eq(t.domain, id.domain), eq(t.name, id.name), eq(t.version, id.version))!;

export const nameScope = (t: VersionedColumns, s: NameScope): SQL =>
  and(eq(t.project, s.project), eq(t.domain, s.domain), s.name ? eq(t.name, s.name) : undefined)!;

/**
 * Inserts a version unless its key is taken, inside the caller's transaction.
 * Returns undefined when inserted, else the row already there (nothing
 * written). ON CONFLICT DO NOTHING keeps a Postgres transaction usable, which
 * catching a failed INSERT would not.
 */
export async function insertVersion<T extends SQLiteTable & VersionedColumns>(
  tx: Db,
  table: T,
  values: T["$inferInsert"],
  key: VersionKey,
): Promise<T["$inferSelect"] | undefined> {
  const inserted = await tx.insert(table).values(values).onConflictDoNothing().returning({ name: table.name });
  if (inserted.length > 0) return undefined;
  const [row] = await tx.select().from(table as SQLiteTable).where(versionKey(table, key));
  if (!row) throw new Error(`insert of ${key.name}@${key.version} conflicted but no row is there`);
  return row as T["$inferSelect"];
}

/**
 * The name's row in the name table unless it has one (ACTIVE, no description,
 * created when its first version was). ON CONFLICT DO NOTHING on the key
 * makes concurrent first versions of one name leave one row: under READ
 * COMMITTED a second insert waits for the first's transaction and then does
 * nothing, and it never overwrites metadata an update wrote.
 */
async function insertName(d: Dialect, tx: Db, type: NamedResourceType, id: VersionKey, now: Date): Promise<void> {
  await tx
    .insert(d.schema.namedEntityMetadata)
    .values({ resourceType: type, project: id.project, domain: id.domain, name: id.name, createdAt: now, updatedAt: now })
    .onConflictDoNothing();
}

/** The distinct names in a project and domain, paged; only grouped columns can order them. */
export async function listNames(d: Dialect, t: SQLiteTable & VersionedColumns, scope: NameScope, query: ListQuery): Promise<NamedEntityIdentifier[]> {
  const order = orderOf(query.sort, { project: t.project, domain: t.domain, name: t.name }, [asc(t.name)], [t.name]);
  const rows = await d.run((db) =>
    pageOf(
      db
        .select({ project: t.project, domain: t.domain, name: t.name })
        .from(t)
        .where(nameScope(t, { project: scope.project, domain: scope.domain }))
        .groupBy(t.project, t.domain, t.name)
        .orderBy(...order)
        .$dynamic(),
      query,
    ),
  );
  return rows.map((r) => create(NamedEntityIdentifierSchema, r as { project: string; domain: string; name: string }));
}

/**
 * Creates a version (and its description entity, when given) in one
 * transaction, with its name's row in the name table when it is the first
 * version of the name. `columns` are the table's values besides the key and the
 * timestamps. Returns undefined when created; when the key is taken, nothing
 * is written and the stored version comes back, decoded, with its digest.
 */
export function createVersion<T extends SQLiteTable & VersionedColumns & { digest: SQLiteColumn }, V>(
  d: Dialect,
  type: NamedResourceType,
  table: T,
  id: VersionKey,
  columns: Omit<T["$inferInsert"], keyof VersionKey | "createdAt" | "updatedAt">,
  decode: (row: T["$inferSelect"]) => V,
  description?: DescriptionEntity,
): Promise<{ value: V; digest: Uint8Array } | undefined> {
  const now = new Date();
  const values = { project: id.project, domain: id.domain, name: id.name, version: id.version, ...columns, createdAt: now, updatedAt: now };
  return d.transaction(async (tx) => {
    const existing = await insertVersion(tx, table, values as T["$inferInsert"], id);
    if (existing) return { value: decode(existing), digest: (existing as { digest: Uint8Array }).digest };
    await insertName(d, tx, type, id, now);
    if (description) await insertDescription(d, tx, description, now);
    return undefined;
  });
}
