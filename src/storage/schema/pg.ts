// PostgreSQL twin of src/storage/schema/sqlite.ts: same tables, same column
// names, Postgres types (bytea, timestamptz).
import { bigint, bigserial, boolean, customType, index, integer, pgTable, primaryKey, text, timestamp as pgTimestamp, uniqueIndex } from "drizzle-orm/pg-core";

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

export const tasks = pgTable(
  "tasks",
  {
    project: text().notNull(),
    domain: text().notNull(),
    name: text().notNull(),
    version: text().notNull(),
    closure: bytea().notNull(),
    digest: bytea().notNull(),
    type: text().notNull(),
    shortDescription: text().notNull().default(""),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
  (t) => [
    primaryKey({ columns: [t.project, t.domain, t.name, t.version] }),
    index("tasks_project_domain_created_idx").on(t.project, t.domain, t.createdAt),
    index("tasks_project_domain_name_created_idx").on(t.project, t.domain, t.name, t.createdAt),
  ],
);

export const descriptionEntities = pgTable(
  "description_entities",
  {
    resourceType: integer().notNull(),
    project: text().notNull(),
    domain: text().notNull(),
    name: text().notNull(),
    version: text().notNull(),
    shortDescription: text().notNull().default(""),
    longDescription: bytea(),
    link: text().notNull().default(""),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
  (t) => [
    primaryKey({ columns: [t.resourceType, t.project, t.domain, t.name, t.version] }),
    index("description_entities_name_created_idx").on(t.resourceType, t.project, t.domain, t.name, t.createdAt),
  ],
);

export const workflows = pgTable(
  "workflows",
  {
    project: text().notNull(),
    domain: text().notNull(),
    name: text().notNull(),
    version: text().notNull(),
    closure: bytea().notNull(),
    typedInterface: bytea(),
    digest: bytea().notNull(),
    shortDescription: text().notNull().default(""),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
  (t) => [
    primaryKey({ columns: [t.project, t.domain, t.name, t.version] }),
    index("workflows_project_domain_created_idx").on(t.project, t.domain, t.createdAt),
    index("workflows_project_domain_name_created_idx").on(t.project, t.domain, t.name, t.createdAt),
  ],
);

export const launchPlans = pgTable(
  "launch_plans",
  {
    project: text().notNull(),
    domain: text().notNull(),
    name: text().notNull(),
    version: text().notNull(),
    workflowProject: text().notNull(),
    workflowDomain: text().notNull(),
    workflowName: text().notNull(),
    workflowVersion: text().notNull(),
    spec: bytea().notNull(),
    closure: bytea().notNull(),
    state: integer().notNull().default(0),
    digest: bytea().notNull(),
    scheduleType: text().notNull().default("NONE"),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
  (t) => [
    primaryKey({ columns: [t.project, t.domain, t.name, t.version] }),
    index("launch_plans_project_domain_created_idx").on(t.project, t.domain, t.createdAt),
    index("launch_plans_project_domain_name_created_idx").on(t.project, t.domain, t.name, t.createdAt),
    index("launch_plans_active_idx").on(t.project, t.domain, t.state, t.name),
    index("launch_plans_workflow_idx").on(t.workflowProject, t.workflowDomain, t.workflowName, t.workflowVersion),
  ],
);

/** The name table (see schema/sqlite.ts). */
export const namedEntityMetadata = pgTable(
  "named_entity_metadata",
  {
    resourceType: integer().notNull(),
    project: text().notNull(),
    domain: text().notNull(),
    name: text().notNull(),
    description: text().notNull().default(""),
    state: integer().notNull().default(0),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
  (t) => [
    primaryKey({ columns: [t.resourceType, t.project, t.domain, t.name] }),
    // The console's list of the names that are not archived (`eq(state,0)`), in name order. It holds the
    // description too, so the list of thousands reads the index alone (a PostgreSQL index-only scan,
    // SQLite's covering index) instead of a table row per name, or, on PostgreSQL, instead of sorting
    // the rows of a bitmap scan, which its planner preferred to an index that needs the table.
    index("named_entity_metadata_listed_idx").on(t.resourceType, t.project, t.domain, t.state, t.name, t.description),
  ],
);

export const executions = pgTable(
  "executions",
  {
    project: text().notNull(),
    domain: text().notNull(),
    name: text().notNull(),
    launchPlanProject: text().notNull().default(""),
    launchPlanDomain: text().notNull().default(""),
    launchPlanName: text().notNull().default(""),
    launchPlanVersion: text().notNull().default(""),
    workflowProject: text().notNull(),
    workflowDomain: text().notNull(),
    workflowName: text().notNull(),
    workflowVersion: text().notNull(),
    taskProject: text().notNull().default(""),
    taskDomain: text().notNull().default(""),
    taskName: text().notNull().default(""),
    taskVersion: text().notNull().default(""),
    phase: text().notNull().default("UNDEFINED"),
    spec: bytea().notNull(),
    closure: bytea().notNull(),
    startedAt: pgTimestamp({ withTimezone: true, precision: 3 }),
    durationNs: bigint({ mode: "number" }),
    abortCause: text().notNull().default(""),
    mode: integer().notNull().default(0),
    user: text().notNull().default(""),
    state: integer().notNull().default(0),
    launchEntity: text().notNull(),
    cluster: text().notNull().default(""),
    inputsUri: text().notNull().default(""),
    userInputsUri: text().notNull().default(""),
    errorKind: text(),
    errorCode: text(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
  (t) => [
    primaryKey({ columns: [t.project, t.domain, t.name] }),
    index("executions_created_idx").on(t.project, t.domain, t.createdAt),
    index("executions_launch_plan_idx").on(t.project, t.domain, t.launchPlanName, t.createdAt),
    index("executions_workflow_idx").on(t.project, t.domain, t.workflowName, t.createdAt),
    index("executions_task_idx").on(t.project, t.domain, t.taskName, t.createdAt),
    index("executions_phase_idx").on(t.phase),
    // Retention picks terminal executions by last change, in one project and domain or everywhere.
    index("executions_updated_idx").on(t.project, t.domain, t.updatedAt),
    index("executions_updated_at_idx").on(t.updatedAt),
    // A domain-only rule ("*": { development: 30d }) walks one domain, not every execution.
    index("executions_domain_updated_idx").on(t.domain, t.updatedAt),
  ],
);

export const executionTags = pgTable(
  "execution_tags",
  {
    project: text().notNull(),
    domain: text().notNull(),
    name: text().notNull(),
    key: text().notNull(),
    value: text().notNull().default(""),
  },
  (t) => [primaryKey({ columns: [t.project, t.domain, t.name, t.key, t.value] }), index("execution_tags_key_value_idx").on(t.key, t.value)],
);

export const signals = pgTable(
  "signals",
  {
    project: text().notNull(),
    domain: text().notNull(),
    name: text().notNull(),
    signalId: text().notNull(),
    type: bytea().notNull(),
    value: bytea(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
  (t) => [primaryKey({ columns: [t.project, t.domain, t.name, t.signalId] })],
);

export const executionEvents = pgTable(
  "execution_events",
  {
    project: text().notNull(),
    domain: text().notNull(),
    name: text().notNull(),
    phase: text().notNull(),
    producerId: text().notNull().default(""),
    occurredAt: pgTimestamp({ withTimezone: true, precision: 3 }).notNull(),
    createdAt: timestamp(),
  },
  (t) => [primaryKey({ columns: [t.project, t.domain, t.name, t.phase] })],
);

export const nodeExecutions = pgTable(
  "node_executions",
  {
    project: text().notNull(),
    domain: text().notNull(),
    name: text().notNull(),
    nodeId: text().notNull(),
    phase: text().notNull(),
    closure: bytea().notNull(),
    metadata: bytea().notNull(),
    inputUri: text().notNull().default(""),
    parentNodeId: text(),
    parentTaskExecution: text(),
    startedAt: pgTimestamp({ withTimezone: true, precision: 3 }),
    durationNs: bigint({ mode: "number" }),
    errorKind: text(),
    errorCode: text(),
    dynamicWorkflowUri: text().notNull().default(""),
    eventVersion: integer().notNull().default(0),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
  (t) => [
    primaryKey({ columns: [t.project, t.domain, t.name, t.nodeId] }),
    index("node_executions_parent_idx").on(t.project, t.domain, t.name, t.parentNodeId, t.createdAt),
    index("node_executions_parent_task_idx").on(t.parentTaskExecution),
  ],
);

export const taskExecutions = pgTable(
  "task_executions",
  {
    project: text().notNull(),
    domain: text().notNull(),
    name: text().notNull(),
    version: text().notNull(),
    executionProject: text().notNull(),
    executionDomain: text().notNull(),
    executionName: text().notNull(),
    nodeId: text().notNull(),
    retryAttempt: integer().notNull(),
    phase: text().notNull(),
    phaseVersion: integer().notNull().default(0),
    inputUri: text().notNull().default(""),
    closure: bytea().notNull(),
    startedAt: pgTimestamp({ withTimezone: true, precision: 3 }),
    durationNs: bigint({ mode: "number" }),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
  (t) => [
    primaryKey({ columns: [t.executionProject, t.executionDomain, t.executionName, t.nodeId, t.retryAttempt, t.project, t.domain, t.name, t.version] }),
  ],
);

export const engineWorkflows = pgTable(
  "engine_workflows",
  {
    project: text().notNull(),
    domain: text().notNull(),
    name: text().notNull(),
    definition: text().notNull(),
    status: text().notNull(),
    version: integer().notNull(),
    active: boolean().notNull(),
    abortCause: text(),
    nextWakeAt: pgTimestamp({ withTimezone: true, precision: 3 }),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
  (t) => [
    primaryKey({ columns: [t.project, t.domain, t.name] }),
    index("engine_workflows_active_idx").on(t.active, t.createdAt, t.project, t.domain, t.name),
  ],
);

export const datasets = pgTable(
  "datasets",
  {
    project: text().notNull(),
    name: text().notNull(),
    domain: text().notNull(),
    version: text().notNull(),
    uuid: text().notNull(),
    metadata: bytea().notNull(),
    partitionKeys: text().notNull(),
    createdAt: timestamp(),
  },
  (t) => [
    primaryKey({ name: "datasets_pk", columns: [t.project, t.name, t.domain, t.version] }),
    uniqueIndex("datasets_uuid_idx").on(t.uuid),
    index("datasets_created_at_idx").on(t.createdAt, t.uuid),
    index("datasets_project_domain_idx").on(t.project, t.domain, t.createdAt),
    index("datasets_name_idx").on(t.name, t.version),
  ],
);

export const artifacts = pgTable(
  "artifacts",
  {
    datasetUuid: text().notNull(),
    artifactId: text().notNull(),
    metadata: bytea().notNull(),
    dataBytes: integer().notNull(),
    createdAt: timestamp(),
  },
  (t) => [
    primaryKey({ name: "artifacts_pk", columns: [t.datasetUuid, t.artifactId] }),
    index("artifacts_dataset_created_at_idx").on(t.datasetUuid, t.createdAt, t.artifactId),
    index("artifacts_artifact_id_idx").on(t.artifactId, t.createdAt),
  ],
);

export const artifactData = pgTable(
  "artifact_data",
  {
    datasetUuid: text().notNull(),
    artifactId: text().notNull(),
    name: text().notNull(),
    position: integer().notNull(),
    value: bytea().notNull(),
  },
  (t) => [primaryKey({ name: "artifact_data_pk", columns: [t.datasetUuid, t.artifactId, t.name] })],
);

export const tags = pgTable(
  "tags",
  {
    datasetUuid: text().notNull(),
    tagName: text().notNull(),
    artifactId: text().notNull(),
    createdAt: timestamp(),
  },
  (t) => [
    primaryKey({ name: "tags_pk", columns: [t.datasetUuid, t.tagName] }),
    index("tags_artifact_idx").on(t.datasetUuid, t.artifactId),
  ],
);

export const partitions = pgTable(
  "partitions",
  {
    datasetUuid: text().notNull(),
    artifactId: text().notNull(),
    key: text().notNull(),
    value: text().notNull(),
    position: integer().notNull(),
  },
  (t) => [
    primaryKey({ name: "partitions_pk", columns: [t.datasetUuid, t.artifactId, t.key] }),
    index("partitions_key_value_idx").on(t.datasetUuid, t.key, t.value),
  ],
);

export const reservations = pgTable(
  "reservations",
  {
    project: text().notNull(),
    name: text().notNull(),
    domain: text().notNull(),
    version: text().notNull(),
    tagName: text().notNull(),
    ownerId: text().notNull(),
    expiresAt: timestamp(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
  (t) => [primaryKey({ name: "reservations_pk", columns: [t.project, t.name, t.domain, t.version, t.tagName] })],
);

/**
 * Executions being deleted: the row moved here from `executions` in the same
 * transaction that removed it, so readers no longer see the execution while
 * its node and task executions, events, signals, engine state and blobs go in
 * batches. A row stays until all of that is gone, so a stopped cleanup resumes
 * from here.
 */
export const executionDeletions = pgTable(
  "execution_deletions",
  {
    project: text().notNull(),
    domain: text().notNull(),
    name: text().notNull(),
    markedAt: timestamp(),
  },
  (t) => [primaryKey({ columns: [t.project, t.domain, t.name] }), index("execution_deletions_marked_idx").on(t.markedAt)],
);

/** Work one replica does at a time (the retention pass): held by `owner` until `expires_at`, then free to take. */
export const leases = pgTable("leases", {
  name: text().primaryKey(),
  owner: text().notNull(),
  expiresAt: timestamp(),
});

export const schedulableEntities = pgTable(
  "schedulable_entities",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    project: text().notNull(),
    domain: text().notNull(),
    name: text().notNull(),
    version: text().notNull(),
    cronExpression: text(),
    fixedRateValue: bigint({ mode: "number" }),
    unit: integer(),
    kickoffTimeInputArg: text().notNull().default(""),
    active: boolean().notNull(),
    activatedAt: pgTimestamp({ withTimezone: true, precision: 3 }),
    nextFireAt: pgTimestamp({ withTimezone: true, precision: 3 }),
    retryAt: pgTimestamp({ withTimezone: true, precision: 3 }),
    attempts: integer().notNull().default(0),
    lastFiredAt: pgTimestamp({ withTimezone: true, precision: 3 }),
    lastError: text(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
    deletedAt: pgTimestamp({ withTimezone: true, precision: 3 }),
  },
  (t) => [
    uniqueIndex("schedulable_entities_key_idx").on(t.project, t.domain, t.name, t.version),
    index("schedulable_entities_due_idx").on(t.active, t.nextFireAt),
  ],
);

export const notificationDeliveries = pgTable(
  "notification_deliveries",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    dedupeKey: text().notNull(),
    project: text().notNull(),
    domain: text().notNull(),
    executionName: text().notNull(),
    phase: text().notNull(),
    channel: text().notNull(),
    target: text().notNull(),
    payload: text().notNull(),
    status: text().notNull(),
    attempts: integer().notNull().default(0),
    nextAttemptAt: timestamp(),
    leaseOwner: text(),
    leaseUntil: pgTimestamp({ withTimezone: true, precision: 3 }),
    lastError: text(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
    sentAt: pgTimestamp({ withTimezone: true, precision: 3 }),
  },
  (t) => [
    uniqueIndex("notification_deliveries_dedupe_key_idx").on(t.dedupeKey),
    index("notification_deliveries_status_next_idx").on(t.status, t.nextAttemptAt),
    index("notification_deliveries_status_id_idx").on(t.status, t.id),
  ],
);

export const apiKeys = pgTable(
  "api_keys",
  {
    id: text().primaryKey(),
    secretSha256: text().notNull(),
    ownerSubject: text().notNull(),
    serviceAccount: text(),
    description: text().notNull().default(""),
    createdAt: timestamp(),
    expiresAt: pgTimestamp({ withTimezone: true, precision: 3 }),
    lastUsedAt: pgTimestamp({ withTimezone: true, precision: 3 }),
    revokedAt: pgTimestamp({ withTimezone: true, precision: 3 }),
  },
  (t) => [index("api_keys_owner_idx").on(t.ownerSubject, t.createdAt), index("api_keys_created_at_idx").on(t.createdAt)],
);

export const roleBindings = pgTable(
  "role_bindings",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    subjectKind: text().notNull(),
    subject: text().notNull(),
    project: text().notNull(),
    domain: text().notNull(),
    role: text().notNull(),
    createdAt: timestamp(),
    createdBy: text().notNull().default(""),
  },
  (t) => [
    uniqueIndex("role_bindings_key_idx").on(t.subjectKind, t.subject, t.project, t.domain, t.role),
    index("role_bindings_project_idx").on(t.project, t.domain),
  ],
);

export const oauthCodes = pgTable(
  "oauth_codes",
  {
    codeHash: text().primaryKey(),
    clientId: text().notNull(),
    redirectUri: text().notNull(),
    codeChallenge: text().notNull(),
    scopes: text().notNull(),
    subject: text().notNull(),
    userInfo: text().notNull(),
    createdAt: timestamp(),
    expiresAt: timestamp(),
    usedAt: pgTimestamp({ withTimezone: true, precision: 3 }),
  },
  (t) => [index("oauth_codes_expires_at_idx").on(t.expiresAt)],
);

export const oauthRefreshTokens = pgTable(
  "oauth_refresh_tokens",
  {
    idHash: text().primaryKey(),
    family: text().notNull(),
    clientId: text().notNull(),
    subject: text().notNull(),
    scopes: text().notNull(),
    userInfo: text().notNull(),
    createdAt: timestamp(),
    expiresAt: timestamp(),
    usedAt: pgTimestamp({ withTimezone: true, precision: 3 }),
    revokedAt: pgTimestamp({ withTimezone: true, precision: 3 }),
  },
  (t) => [
    index("oauth_refresh_tokens_family_idx").on(t.family),
    index("oauth_refresh_tokens_subject_idx").on(t.subject),
    index("oauth_refresh_tokens_expires_at_idx").on(t.expiresAt),
  ],
);

export const authSessions = pgTable(
  "auth_sessions",
  {
    idHash: text().primaryKey(),
    subject: text().notNull(),
    idToken: text().notNull(),
    accessToken: text().notNull(),
    refreshToken: text().notNull().default(""),
    userInfo: text().notNull().default("{}"),
    createdAt: timestamp(),
    expiresAt: timestamp(),
    tokensExpireAt: timestamp(),
    lastSeenAt: timestamp(),
  },
  (t) => [index("auth_sessions_expires_at_idx").on(t.expiresAt), index("auth_sessions_subject_idx").on(t.subject)],
);
