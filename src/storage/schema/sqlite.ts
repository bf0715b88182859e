// SQLite schema. src/storage/schema/pg.ts is its twin with the same table and
// column names (test/schema-sync.test.ts keeps them so); queries are written
// once against this file's types.
import { blob, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

const timestamp = () => integer({ mode: "timestamp_ms" }).notNull();

/** flyteidl.admin.Project; `labels` holds admin.Labels bytes, null when none were given. */
export const projects = sqliteTable(
  "projects",
  {
    identifier: text().primaryKey(),
    name: text().notNull(),
    description: text().notNull().default(""),
    labels: blob({ mode: "buffer" }),
    state: integer().notNull().default(0),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
  (t) => [index("projects_state_idx").on(t.state), index("projects_created_at_idx").on(t.createdAt)],
);
