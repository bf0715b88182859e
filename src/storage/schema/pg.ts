// PostgreSQL twin of src/storage/schema/sqlite.ts: same tables, same column
// names, Postgres types (bytea, timestamptz).
import { customType, index, integer, pgTable, text, timestamp as pgTimestamp } from "drizzle-orm/pg-core";

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
