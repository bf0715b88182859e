// PostgreSQL twin of src/storage/schema/sqlite.ts: same tables, same column
// names, Postgres types (bytea, timestamptz).
import { bigserial, customType, index, integer, pgTable, text, timestamp as pgTimestamp, uniqueIndex } from "drizzle-orm/pg-core";

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });
const timestamp = () => pgTimestamp({ withTimezone: true, precision: 3 }).notNull();

export const projects = pgTable(
  "projects",
  {
    identifier: text().primaryKey(),
    name: text().notNull(),
    description: text().notNull().default(""),
    labels: bytea(),
    state: integer().notNull().default(0),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
  (t) => [index("projects_state_idx").on(t.state), index("projects_created_at_idx").on(t.createdAt)],
);

export const resources = pgTable(
  "resources",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    project: text().notNull().default(""),
    domain: text().notNull().default(""),
    workflow: text().notNull().default(""),
    launchPlan: text().notNull().default(""),
    resourceType: text().notNull(),
    priority: integer().notNull(),
    attributes: bytea().notNull(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
  (t) => [
    uniqueIndex("resource_idx").on(t.project, t.domain, t.workflow, t.launchPlan, t.resourceType),
    index("resources_type_priority_idx").on(t.resourceType, t.priority),
  ],
);
