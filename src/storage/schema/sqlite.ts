// SQLite schema. src/storage/schema/pg.ts is its twin with the same table and
// column names (test/schema-sync.test.ts keeps them so); queries are written
// once against this file's types.
import { blob, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

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

/**
 * Matchable attributes (admin.MatchingAttributes bytes) at one level: empty
 * strings stand for "any", so the unique index also guards the coarser levels
 * (NULLs would never collide).
 */
export const resources = sqliteTable(
  "resources",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    project: text().notNull().default(""),
    domain: text().notNull().default(""),
    workflow: text().notNull().default(""),
    launchPlan: text().notNull().default(""),
    resourceType: text().notNull(),
    priority: integer().notNull(),
    attributes: blob({ mode: "buffer" }).notNull(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
  (t) => [
    uniqueIndex("resource_idx").on(t.project, t.domain, t.workflow, t.launchPlan, t.resourceType),
    index("resources_type_priority_idx").on(t.resourceType, t.priority),
  ],
);
