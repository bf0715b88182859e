import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { and, desc } from "drizzle-orm";
import { type Task, TaskClosureSchema, TaskSchema } from "../../gen/flyteidl/admin/task_pb.js";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { TASK_COLUMNS } from "../core/entity-columns.js";
import type { Dialect } from "./dialect.js";
import { type ColumnMap, orderOf, pageOf, whereOf } from "./sql-list.js";
import type { NameScope, TaskStore } from "./store.js";
import { placeholders, preparedQuery } from "./prepared-query.js";
import { createVersion, listNames, nameScope, versionKey } from "./sql-versions.js";
import { BINARY_READ_OPTIONS } from "../core/proto-limits.js";

export function createSqlTasks(d: Dialect): TaskStore {
  const t = d.schema.tasks;
  type Row = typeof t.$inferSelect;
  const own = {
    project: t.project,
    domain: t.domain,
    name: t.name,
    version: t.version,
    type: t.type,
    short_description: t.shortDescription,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
  };
  const columns: ColumnMap = { [TASK_COLUMNS.code]: own };
  const scopeOf = (s: NameScope) => nameScope(t, s);

  // The closure's created_at always comes from the row.
  const toTask = (row: Row): Task => {
    const closure = fromBinary(TaskClosureSchema, row.closure, BINARY_READ_OPTIONS);
    closure.createdAt = timestampFromDate(row.createdAt);
    return create(TaskSchema, {
      id: { resourceType: ResourceType.TASK, project: row.project, domain: row.domain, name: row.name, version: row.version },
      closure,
      shortDescription: row.shortDescription,
    });
  };

  const byKey = preparedQuery<Row[]>(d, "task_by_key", (db) => db.select().from(t).where(versionKey(t, placeholders("project", "domain", "name", "version"))));

  return {
    create(task, digest, type, description) {
      const closure = create(TaskClosureSchema, { compiledTask: task.closure?.compiledTask });
      const columns = {
        closure: Buffer.from(toBinary(TaskClosureSchema, closure)),
        digest: Buffer.from(digest),
        type,
        shortDescription: task.shortDescription,
      };
      return createVersion(d, ResourceType.TASK, t, task.id!, columns, toTask, description);
    },

    async get(id) {
      const [row] = await byKey({ project: id.project, domain: id.domain, name: id.name, version: id.version });
      return row ? toTask(row) : undefined;
    },

    async list(scope, query) {
      const order = orderOf(query.sort, own, [desc(t.createdAt)], [t.name, t.version]);
      const rows = await d.run((db) =>
        pageOf(db.select().from(t).where(and(scopeOf(scope), whereOf(query.filters, columns))).orderBy(...order).$dynamic(), query),
      );
      return rows.map(toTask);
    },

    listIds: (scope, query) => listNames(d, t, scope, query),
  };
}
