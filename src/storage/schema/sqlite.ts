// SQLite schema. src/storage/schema/pg.ts is its twin with the same table and
// column names (test/schema-sync.test.ts keeps them so); queries are written
// once against this file's types.
import { blob, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

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

/** Registered task versions; `closure` holds admin.TaskClosure bytes (compiled task), `digest` its structure hash. */
export const tasks = sqliteTable(
  "tasks",
  {
    project: text().notNull(),
    domain: text().notNull(),
    name: text().notNull(),
    version: text().notNull(),
    closure: blob({ mode: "buffer" }).notNull(),
    digest: blob({ mode: "buffer" }).notNull(),
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

/** Long descriptions of task and workflow versions (admin.Description bytes), written with them. */
export const descriptionEntities = sqliteTable(
  "description_entities",
  {
    resourceType: integer().notNull(),
    project: text().notNull(),
    domain: text().notNull(),
    name: text().notNull(),
    version: text().notNull(),
    shortDescription: text().notNull().default(""),
    longDescription: blob({ mode: "buffer" }),
    link: text().notNull().default(""),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
  (t) => [
    primaryKey({ columns: [t.resourceType, t.project, t.domain, t.name, t.version] }),
    index("description_entities_name_created_idx").on(t.resourceType, t.project, t.domain, t.name, t.createdAt),
  ],
);

/** Registered workflow versions: admin.WorkflowClosure bytes (compiled), the template's interface, digest. */
export const workflows = sqliteTable(
  "workflows",
  {
    project: text().notNull(),
    domain: text().notNull(),
    name: text().notNull(),
    version: text().notNull(),
    closure: blob({ mode: "buffer" }).notNull(),
    typedInterface: blob({ mode: "buffer" }),
    digest: blob({ mode: "buffer" }).notNull(),
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

/** Launch plan versions: spec and closure bytes, the workflow they launch, activation state. */
export const launchPlans = sqliteTable(
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
    spec: blob({ mode: "buffer" }).notNull(),
    closure: blob({ mode: "buffer" }).notNull(),
    state: integer().notNull().default(0),
    digest: blob({ mode: "buffer" }).notNull(),
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

/**
 * The name table: one row per task, workflow or launch plan name, written in
 * the transaction that stores its first version (and by UpdateNamedEntity),
 * with its description and state, so named-entity lists read one page of it.
 */
export const namedEntityMetadata = sqliteTable(
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

/**
 * Workflow executions: spec and closure bytes plus the columns lists filter
 * and sort on. The launched entities are kept as their key columns (a task
 * launch has an empty launch plan), so `launch_plan.name` and friends need no join.
 */
export const executions = sqliteTable(
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
    spec: blob({ mode: "buffer" }).notNull(),
    closure: blob({ mode: "buffer" }).notNull(),
    startedAt: integer({ mode: "timestamp_ms" }),
    durationNs: integer(),
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

/** An execution's labels (key, value) and tags (key, ""), for `execution_tag.` filters. */
export const executionTags = sqliteTable(
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

/** Gate-node signals: the expected type (core.LiteralType bytes) and, once set, the value (core.Literal bytes). */
export const signals = sqliteTable(
  "signals",
  {
    project: text().notNull(),
    domain: text().notNull(),
    name: text().notNull(),
    signalId: text().notNull(),
    type: blob({ mode: "buffer" }).notNull(),
    value: blob({ mode: "buffer" }),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
  (t) => [primaryKey({ columns: [t.project, t.domain, t.name, t.signalId] })],
);

/** The phases each execution went through, as reported (one row per phase; a repeat is dropped). */
export const executionEvents = sqliteTable(
  "execution_events",
  {
    project: text().notNull(),
    domain: text().notNull(),
    name: text().notNull(),
    phase: text().notNull(),
    producerId: text().notNull().default(""),
    occurredAt: integer({ mode: "timestamp_ms" }).notNull(),
    createdAt: timestamp(),
  },
  (t) => [primaryKey({ columns: [t.project, t.domain, t.name, t.phase] })],
);

/** Node executions, created by the first event of a node; children name their parent node or task attempt. */
export const nodeExecutions = sqliteTable(
  "node_executions",
  {
    project: text().notNull(),
    domain: text().notNull(),
    name: text().notNull(),
    nodeId: text().notNull(),
    phase: text().notNull(),
    closure: blob({ mode: "buffer" }).notNull(),
    metadata: blob({ mode: "buffer" }).notNull(),
    inputUri: text().notNull().default(""),
    parentNodeId: text(),
    parentTaskExecution: text(),
    startedAt: integer({ mode: "timestamp_ms" }),
    durationNs: integer(),
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

/** Task execution attempts, keyed by task version, node execution and retry attempt. */
export const taskExecutions = sqliteTable(
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
    closure: blob({ mode: "buffer" }).notNull(),
    startedAt: integer({ mode: "timestamp_ms" }),
    durationNs: integer(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
  (t) => [
    primaryKey({ columns: [t.executionProject, t.executionDomain, t.executionName, t.nodeId, t.retryAttempt, t.project, t.domain, t.name, t.version] }),
  ],
);

/**
 * The local engine's durable state, one row per execution it runs: the
 * definition (JSON, written once) and the status (JSON, rewritten under the
 * `version` compare-and-set). Terminal rows stay with `active` false; the
 * active index serves start-up's "every active row, oldest first".
 */
export const engineWorkflows = sqliteTable(
  "engine_workflows",
  {
    project: text().notNull(),
    domain: text().notNull(),
    name: text().notNull(),
    definition: text().notNull(),
    status: text().notNull(),
    version: integer().notNull(),
    active: integer({ mode: "boolean" }).notNull(),
    abortCause: text(),
    nextWakeAt: integer({ mode: "timestamp_ms" }),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
  (t) => [
    primaryKey({ columns: [t.project, t.domain, t.name] }),
    index("engine_workflows_active_idx").on(t.active, t.createdAt, t.project, t.domain, t.name),
  ],
);

/**
 * DataCatalog datasets (flyteidl.datacatalog, as datacatalog stores them): a
 * key of four fields and a UUID the artifacts and tags hang off. The local
 * engine's task cache is one dataset per task interface and cache version
 * (`flyte_task-<task>`, `<cache_version>-<in8>-<out8>`), like propeller's.
 * `metadata` holds datacatalog.Metadata bytes; `partition_keys` a JSON array.
 */
export const datasets = sqliteTable(
  "datasets",
  {
    project: text().notNull(),
    name: text().notNull(),
    domain: text().notNull(),
    version: text().notNull(),
    uuid: text().notNull(),
    metadata: blob({ mode: "buffer" }).notNull(),
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

/**
 * Artifacts of a dataset. `data_bytes` is the size of their data together
 * (what bounds a list answer); `metadata` datacatalog.Metadata bytes.
 */
export const artifacts = sqliteTable(
  "artifacts",
  {
    datasetUuid: text().notNull(),
    artifactId: text().notNull(),
    metadata: blob({ mode: "buffer" }).notNull(),
    dataBytes: integer().notNull(),
    createdAt: timestamp(),
  },
  (t) => [
    primaryKey({ name: "artifacts_pk", columns: [t.datasetUuid, t.artifactId] }),
    index("artifacts_dataset_created_at_idx").on(t.datasetUuid, t.createdAt, t.artifactId),
    index("artifacts_artifact_id_idx").on(t.artifactId, t.createdAt),
  ],
);

/**
 * An artifact's data: one core.Literal per name, kept here rather than in
 * blob storage as datacatalog does, so an artifact and its data are written
 * and removed in one transaction (a refused create overwrites nothing, a
 * removed entry leaves no file behind); their size is bounded per artifact.
 * `position` keeps the order they were given in.
 */
export const artifactData = sqliteTable(
  "artifact_data",
  {
    datasetUuid: text().notNull(),
    artifactId: text().notNull(),
    name: text().notNull(),
    position: integer().notNull(),
    value: blob({ mode: "buffer" }).notNull(),
  },
  (t) => [primaryKey({ name: "artifact_data_pk", columns: [t.datasetUuid, t.artifactId, t.name] })],
);

/** A tag names one artifact of its dataset (`flyte_cached-<inputs hash>` for task caches); it never moves. */
export const tags = sqliteTable(
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

/** An artifact's value for each of its dataset's partition keys; `position` keeps the order they were given in. */
export const partitions = sqliteTable(
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

/**
 * Who computes an artifact right now (cache_serializable tasks): the first
 * owner of a dataset key and tag holds it until it releases it or
 * `expires_at` passes; the owner extends it while it works. The dataset need
 * not exist (propeller reserves before it creates it).
 */
export const reservations = sqliteTable(
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
export const executionDeletions = sqliteTable(
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
export const leases = sqliteTable("leases", {
  name: text().primaryKey(),
  owner: text().notNull(),
  expiresAt: timestamp(),
});

/**
 * Launch-plan schedules (FlyteAdmin's table and columns, plus the scheduler's
 * cursor): one row per launch plan version that was ever activated with a
 * schedule. `next_fire_at` is the earliest tick not yet handled (null: the
 * schedule is inactive or has no future run); activation writes it in the
 * UpdateLaunchPlan transaction, and the scheduler advances it with a
 * compare-and-set on the value it read. Rows are never deleted.
 */
export const schedulableEntities = sqliteTable(
  "schedulable_entities",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    project: text().notNull(),
    domain: text().notNull(),
    name: text().notNull(),
    version: text().notNull(),
    /** cron_schedule.schedule or the deprecated cron_expression; null for a fixed rate. */
    cronExpression: text(),
    fixedRateValue: integer(),
    unit: integer(),
    kickoffTimeInputArg: text().notNull().default(""),
    active: integer({ mode: "boolean" }).notNull(),
    /** The anchor of fixed-rate ticks: the last inactive→active transition, to the second. */
    activatedAt: integer({ mode: "timestamp_ms" }),
    nextFireAt: integer({ mode: "timestamp_ms" }),
    /** After a transient failure, the tick at next_fire_at is not tried again before this. */
    retryAt: integer({ mode: "timestamp_ms" }),
    /** Consecutive failures of the tick at next_fire_at. */
    attempts: integer().notNull().default(0),
    lastFiredAt: integer({ mode: "timestamp_ms" }),
    lastError: text(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
    /** Kept from FlyteAdmin's table; never set. */
    deletedAt: integer({ mode: "timestamp_ms" }),
  },
  (t) => [
    uniqueIndex("schedulable_entities_key_idx").on(t.project, t.domain, t.name, t.version),
    index("schedulable_entities_due_idx").on(t.active, t.nextFireAt),
  ],
);

/**
 * The notification outbox: one row per delivery (an email message or a
 * webhook call), written in the transaction that records the terminal phase
 * and sent afterwards by the delivery workers. `payload` is the rendered
 * message as JSON, frozen at enqueue so every retry sends the same bytes;
 * `dedupe_key` keeps a replayed event from enqueueing twice. While a worker
 * holds a row (`sending`), `next_attempt_at` equals `lease_until`, and once
 * sent it is the send time: one index, (status, next_attempt_at), finds due
 * rows, abandoned ones and old sent ones.
 */
export const notificationDeliveries = sqliteTable(
  "notification_deliveries",
  {
    id: integer().primaryKey({ autoIncrement: true }),
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
    leaseUntil: integer({ mode: "timestamp_ms" }),
    lastError: text(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
    sentAt: integer({ mode: "timestamp_ms" }),
  },
  (t) => [
    uniqueIndex("notification_deliveries_dedupe_key_idx").on(t.dedupeKey),
    index("notification_deliveries_status_next_idx").on(t.status, t.nextAttemptAt),
    index("notification_deliveries_status_id_idx").on(t.status, t.id),
  ],
);

/**
 * API keys for scripts and CI (`fak_<id>_<secret>`): only the SHA-256 of the
 * secret is kept, so a leaked database holds nothing a client could send.
 * A key acts for `owner_subject`, or for `service_account` when one is named.
 * Rows are never deleted: a revoked or expired key stays listed.
 */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text().primaryKey(),
    secretSha256: text().notNull(),
    ownerSubject: text().notNull(),
    serviceAccount: text(),
    description: text().notNull().default(""),
    createdAt: timestamp(),
    /** Null: the key never expires. */
    expiresAt: integer({ mode: "timestamp_ms" }),
    /** Written at most once a minute per key, so a busy script does not turn every call into a write. */
    lastUsedAt: integer({ mode: "timestamp_ms" }),
    revokedAt: integer({ mode: "timestamp_ms" }),
  },
  (t) => [index("api_keys_owner_idx").on(t.ownerSubject, t.createdAt), index("api_keys_created_at_idx").on(t.createdAt)],
);

/**
 * Roles granted to principals: a user (token subject or email), an app
 * (OAuth2 client or service account) or a group (from the groups claim), on
 * a project and domain where "*" stands for all of them. A principal may hold
 * several roles on one scope; its permissions are the union.
 */
export const roleBindings = sqliteTable(
  "role_bindings",
  {
    id: integer().primaryKey({ autoIncrement: true }),
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

/**
 * Authorization codes of the self-hosted server's authorization_code grant,
 * by the SHA-256 of the code (the code itself is never stored). A code is
 * redeemed by one conditional UPDATE of `used_at`, so it works once across
 * every replica on the database. Rows go once they expire.
 */
export const oauthCodes = sqliteTable(
  "oauth_codes",
  {
    codeHash: text().primaryKey(),
    clientId: text().notNull(),
    redirectUri: text().notNull(),
    /** The PKCE S256 challenge; "" when a confidential client sent none. */
    codeChallenge: text().notNull(),
    /** Granted scopes, space-separated. */
    scopes: text().notNull(),
    subject: text().notNull(),
    /** The user's OIDC userinfo fields, JSON, for the access token's `user_info` claim. */
    userInfo: text().notNull(),
    createdAt: timestamp(),
    expiresAt: timestamp(),
    usedAt: integer({ mode: "timestamp_ms" }),
  },
  (t) => [index("oauth_codes_expires_at_idx").on(t.expiresAt)],
);

/**
 * Refresh tokens, by the SHA-256 of the token. Each one is used once: using
 * it marks it used and issues the next of its family (the tokens descending
 * from one authorization code). Using a used one again revokes the family.
 */
export const oauthRefreshTokens = sqliteTable(
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
    usedAt: integer({ mode: "timestamp_ms" }),
    revokedAt: integer({ mode: "timestamp_ms" }),
  },
  (t) => [
    index("oauth_refresh_tokens_family_idx").on(t.family),
    index("oauth_refresh_tokens_subject_idx").on(t.subject),
    index("oauth_refresh_tokens_expires_at_idx").on(t.expiresAt),
  ],
);

/**
 * Browser sessions (src/storage/session-store.ts): the cookie's SHA-256 as
 * key, the provider's tokens and user info. Rows past `expires_at` are
 * purged in small batches.
 */
export const authSessions = sqliteTable(
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
