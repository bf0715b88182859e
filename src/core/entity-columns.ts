/**
 * What FlyteAdmin's filter and sort language may refer to: each entity has a
 * short code (used in error messages, e.g. `'t.foo' is invalid filter`), the
 * prefix clients write before a field (`task.name`), and its filterable
 * columns with the type their filter values are parsed into. A `duration`
 * value is a number of seconds or a Go duration string (`1h30m`), compared as
 * nanoseconds (FlyteAdmin's util/filters.go).
 */
export type ColumnType = "text" | "int" | "timestamp" | "duration";

export interface EntityColumns {
  /** FlyteAdmin's entity code: `p`, `t`, `w`, `l`, `e`, ... */
  readonly code: string;
  /** The field prefix clients use: `project.`, `task.`, ... */
  readonly prefix: string;
  readonly columns: Readonly<Record<string, ColumnType>>;
}

/**
 * The field prefixes FlyteAdmin recognises, whether or not a given list
 * allows them; a field with one of these prefixes refers to that entity.
 */
export const ENTITY_PREFIXES: Readonly<Record<string, string>> = {
  task: "t",
  workflow: "w",
  launch_plan: "l",
  execution: "e",
  node_execution: "ne",
  task_execution: "te",
  entities: "nen",
  named_entity_metadata: "nem",
  project: "p",
  signal: "s",
  admin_tag: "at",
  execution_admin_tag: "eat",
  execution_tag: "et",
};

/**
 * `projects` rows. FlyteAdmin's model also has `id`, `deleted_at` (never set)
 * and `labels` (protobuf bytes); none of them is meaningful to filter or sort
 * on, so they are not offered.
 */
export const PROJECT_COLUMNS: EntityColumns = {
  code: "p",
  prefix: "project",
  columns: {
    identifier: "text",
    name: "text",
    description: "text",
    state: "int",
    created_at: "timestamp",
    updated_at: "timestamp",
  },
};

/** `tasks` rows (FlyteAdmin's `closure`, `digest`, `id` and `deleted_at` are not offered). */
export const TASK_COLUMNS: EntityColumns = {
  code: "t",
  prefix: "task",
  columns: {
    project: "text",
    domain: "text",
    name: "text",
    version: "text",
    type: "text",
    short_description: "text",
    created_at: "timestamp",
    updated_at: "timestamp",
  },
};

/** `workflows` rows. */
export const WORKFLOW_COLUMNS: EntityColumns = {
  code: "w",
  prefix: "workflow",
  columns: {
    project: "text",
    domain: "text",
    name: "text",
    version: "text",
    short_description: "text",
    created_at: "timestamp",
    updated_at: "timestamp",
  },
};

/** `launch_plans` rows. */
export const LAUNCH_PLAN_COLUMNS: EntityColumns = {
  code: "l",
  prefix: "launch_plan",
  columns: {
    project: "text",
    domain: "text",
    name: "text",
    version: "text",
    state: "int",
    schedule_type: "text",
    created_at: "timestamp",
    updated_at: "timestamp",
  },
};

/** `description_entities` rows, for sorting description lists. */
export const DESCRIPTION_ENTITY_COLUMNS: EntityColumns = {
  code: "d",
  prefix: "description_entity",
  columns: {
    resource_type: "int",
    project: "text",
    domain: "text",
    name: "text",
    version: "text",
    short_description: "text",
    link: "text",
    created_at: "timestamp",
    updated_at: "timestamp",
  },
};

/** Named entities: the distinct names (`entities.`) with their metadata (`named_entity_metadata.`). */
export const NAMED_ENTITY_COLUMNS: EntityColumns = {
  code: "nen",
  prefix: "entities",
  columns: { resource_type: "int", project: "text", domain: "text", name: "text", description: "text", state: "int" },
};

export const NAMED_ENTITY_METADATA_COLUMNS: EntityColumns = {
  code: "nem",
  prefix: "named_entity_metadata",
  columns: { resource_type: "int", project: "text", domain: "text", name: "text", description: "text", state: "int", created_at: "timestamp", updated_at: "timestamp" },
};

/**
 * `executions` rows. FlyteAdmin names the key columns `execution_project`
 * etc.; `created_at` and `execution_created_at` are the same moment here.
 */
export const EXECUTION_COLUMNS: EntityColumns = {
  code: "e",
  prefix: "execution",
  columns: {
    execution_project: "text",
    execution_domain: "text",
    execution_name: "text",
    phase: "text",
    mode: "int",
    user: "text",
    state: "int",
    launch_entity: "text",
    cluster: "text",
    error_kind: "text",
    error_code: "text",
    abort_cause: "text",
    started_at: "timestamp",
    duration: "duration",
    created_at: "timestamp",
    updated_at: "timestamp",
    execution_created_at: "timestamp",
    execution_updated_at: "timestamp",
  },
};

/** What execution lists may filter on about the launched launch plan, workflow or task: their keys. */
const keyColumns = (code: string, prefix: string): EntityColumns => ({
  code,
  prefix,
  columns: { project: "text", domain: "text", name: "text", version: "text" },
});
export const EXECUTION_LAUNCH_PLAN_COLUMNS = keyColumns("l", "launch_plan");
export const EXECUTION_WORKFLOW_COLUMNS = keyColumns("w", "workflow");
export const EXECUTION_TASK_COLUMNS = keyColumns("t", "task");
export const EXECUTION_TAG_COLUMNS: EntityColumns = { code: "et", prefix: "execution_tag", columns: { key: "text", value: "text" } };

/** `node_executions` rows. */
export const NODE_EXECUTION_COLUMNS: EntityColumns = {
  code: "ne",
  prefix: "node_execution",
  columns: {
    node_id: "text",
    phase: "text",
    error_kind: "text",
    error_code: "text",
    started_at: "timestamp",
    duration: "duration",
    created_at: "timestamp",
    updated_at: "timestamp",
    node_execution_created_at: "timestamp",
    node_execution_updated_at: "timestamp",
  },
};

/** `task_executions` rows. */
export const TASK_EXECUTION_COLUMNS: EntityColumns = {
  code: "te",
  prefix: "task_execution",
  columns: {
    retry_attempt: "int",
    phase: "text",
    phase_version: "int",
    started_at: "timestamp",
    duration: "duration",
    created_at: "timestamp",
    updated_at: "timestamp",
    task_execution_created_at: "timestamp",
    task_execution_updated_at: "timestamp",
  },
};
