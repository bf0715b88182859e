import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { and, asc, eq, inArray, ne } from "drizzle-orm";
import { LabelsSchema } from "../../gen/flyteidl/admin/common_pb.js";
import { type Project, ProjectSchema } from "../../gen/flyteidl/admin/project_pb.js";
import { PROJECT_COLUMNS } from "../core/entity-columns.js";
import { alreadyExists } from "../core/errors.js";
import type { Dialect } from "./dialect.js";
import { type ColumnMap, orderOf, pageOf, whereOf } from "./sql-list.js";
import type { ProjectStore } from "./store.js";
import { placeholders, preparedQuery } from "./prepared-query.js";
import { BINARY_READ_OPTIONS } from "../core/proto-limits.js";

const ARCHIVED = 1;

export function createSqlProjects(d: Dialect): ProjectStore {
  const t = d.schema.projects;
  const own = {
    identifier: t.identifier,
    name: t.name,
    description: t.description,
    state: t.state,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
  };
  const columns: ColumnMap = { [PROJECT_COLUMNS.code]: own };
  type Row = typeof t.$inferSelect;

  const toProject = (row: Row): Project =>
    create(ProjectSchema, {
      id: row.identifier,
      name: row.name,
      description: row.description,
      state: row.state,
      ...(row.labels ? { labels: fromBinary(LabelsSchema, row.labels, BINARY_READ_OPTIONS) } : {}),
    });

  // Every registration and launch checks its project first.
  const byId = preparedQuery<Row[]>(d, "project_by_id", (db) => db.select().from(t).where(eq(t.identifier, placeholders("identifier").identifier)));

  return {
    async create(project) {
      const now = new Date();
      try {
        await d.run((db) =>
          db.insert(t).values({
            identifier: project.id,
            name: project.name,
            description: project.description,
            labels: project.labels ? Buffer.from(toBinary(LabelsSchema, project.labels)) : null,
            state: project.state,
            createdAt: now,
            updatedAt: now,
          }),
        );
      } catch (e) {
        if (d.isUniqueViolation(e)) {
          throw alreadyExists(
            'value with matching already exists (duplicate key value violates unique constraint "projects_pkey")',
          );
        }
        throw e;
      }
    },

    async get(id) {
      const [row] = await byId({ identifier: id });
      return row ? toProject(row) : undefined;
    },

    async update(id, patch) {
      const rows = await d.run((db) =>
        db
          .update(t)
          .set({
            state: patch.state,
            updatedAt: new Date(),
            ...(patch.name !== undefined ? { name: patch.name } : {}),
            ...(patch.description !== undefined ? { description: patch.description } : {}),
            ...(patch.labels !== undefined ? { labels: Buffer.from(toBinary(LabelsSchema, patch.labels)) } : {}),
          })
          .where(eq(t.identifier, id))
          .returning({ id: t.identifier }),
      );
      return rows.length === 1;
    },

    async list(query, only) {
      // FlyteAdmin hides archived projects only when the request has no filter at all.
      const filtered = query.filters.length > 0 ? whereOf(query.filters, columns) : ne(t.state, ARCHIVED);
      const where = only ? and(filtered, inArray(t.identifier, [...only])) : filtered;
      const order = orderOf(query.sort, own, [asc(t.identifier)], [t.identifier]);
      const rows = await d.run((db) => pageOf(db.select().from(t).where(where).orderBy(...order).$dynamic(), query));
      return rows.map(toProject);
    },
  };
}
