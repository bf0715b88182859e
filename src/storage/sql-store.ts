import type { Dialect } from "./dialect.js";
import { createSqlAttributes } from "./sql-attributes.js";
import { createSqlProjects } from "./sql-projects.js";
import type { Store } from "./store.js";

/** The Store over either SQL dialect. */
export function createSqlStore(d: Dialect): Store {
  return {
    projects: createSqlProjects(d),
    attributes: createSqlAttributes(d),
    dialect: d.name,
    close: () => d.close(),
  };
}
