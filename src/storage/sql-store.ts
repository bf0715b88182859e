import type { Dialect } from "./dialect.js";
import { createSqlApiKeys } from "./sql-api-keys.js";
import { createSqlOAuthGrants } from "./sql-oauth-grants.js";
import { createSqlRoleBindings } from "./sql-role-bindings.js";
import { createSqlAttributes } from "./sql-attributes.js";
import { createSqlDataCatalog } from "./sql-datacatalog.js";
import { createSqlDeletions } from "./sql-deletions.js";
import { createSqlDescriptions } from "./sql-descriptions.js";
import { createSqlProjects } from "./sql-projects.js";
import { createSqlEngineStore } from "./sql-engine.js";
import { createSqlExecutions } from "./sql-executions.js";
import { createSqlLaunchPlans } from "./sql-launch-plans.js";
import { createSqlLeases } from "./sql-leases.js";
import { createSqlSchedules } from "./sql-schedules.js";
import { createSqlSessions } from "./sql-sessions.js";
import { createSqlNamedEntities } from "./sql-named-entities.js";
import { createSqlNotifications } from "./sql-notifications.js";
import { createSqlNodeExecutions } from "./sql-node-executions.js";
import { createSqlSignals } from "./sql-signals.js";
import { createSqlTaskExecutions } from "./sql-task-executions.js";
import { createSqlTasks } from "./sql-tasks.js";
import { createSqlWorkflows } from "./sql-workflows.js";
import type { Store } from "./store.js";

/** The Store over either SQL dialect. */
export function createSqlStore(d: Dialect): Store {
  return {
    projects: createSqlProjects(d),
    attributes: createSqlAttributes(d),
    tasks: createSqlTasks(d),
    workflows: createSqlWorkflows(d),
    launchPlans: createSqlLaunchPlans(d),
    namedEntities: createSqlNamedEntities(d),
    executions: createSqlExecutions(d),
    nodeExecutions: createSqlNodeExecutions(d),
    signals: createSqlSignals(d),
    taskExecutions: createSqlTaskExecutions(d),
    descriptions: createSqlDescriptions(d),
    engine: createSqlEngineStore(d),
    dataCatalog: createSqlDataCatalog(d),
    deletions: createSqlDeletions(d),
    leases: createSqlLeases(d),
    schedules: createSqlSchedules(d),
    notifications: createSqlNotifications(d),
    apiKeys: createSqlApiKeys(d),
    roleBindings: createSqlRoleBindings(d),
    oauthGrants: createSqlOAuthGrants(d),
    sessions: createSqlSessions(d),
    dialect: d.name,
    probe: () => d.probe(),
    close: () => d.close(),
  };
}
