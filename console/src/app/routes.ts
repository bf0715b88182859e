import { ResourceType } from "../../../gen/flyteidl/core/identifier_pb.js";
import { CONSOLE_BASE } from "./console-settings.js";

/**
 * Every console URL, built and matched in one place. The paths are the Flyte console's, so links
 * printed by flytekit (`/console/projects/<p>/domains/<d>/executions/<name>`) and bookmarks made
 * against a Flyte deployment land on the same page here.
 *
 * Patterns are relative to the router's basename (`/console`); builders return the same relative
 * form for `<Link to>` and `navigate()`, and `absolute()` adds the base for anything outside the router.
 */
export { CONSOLE_BASE };

const PD = "/projects/:project/domains/:domain";

export const patterns = {
  home: "/",
  selectProject: "/select-project",
  project: "/projects/:project",
  /** The older form with the domain in the query (`/projects/p/executions?domain=d`). */
  projectSection: "/projects/:project/:section",
  projectDomain: PD,
  executions: `${PD}/executions`,
  workflows: `${PD}/workflows`,
  tasks: `${PD}/tasks`,
  launchPlans: `${PD}/launchPlans`,
  settings: `${PD}/settings`,
  workflow: `${PD}/workflows/:name`,
  workflowSingular: `${PD}/workflow/:name`,
  task: `${PD}/tasks/:name`,
  launchPlan: `${PD}/launchPlans/:name`,
  workflowVersion: `${PD}/workflow/:name/version/:version`,
  taskVersion: `${PD}/task/:name/version/:version`,
  launchPlanVersion: `${PD}/launch_plan/:name/version/:version`,
  execution: `${PD}/executions/:name`,
  executionTask: `${PD}/executions/:name/nodeId/:nodeId/taskId/:taskId/attempt/:attempt/view/:view`,
  executionTaskPhase: `${PD}/executions/:name/nodeId/:nodeId/taskId/:taskId/attempt/:attempt/phase/:phase/view/:view`,
  executionMappedTask: `${PD}/executions/:name/nodeId/:nodeId/taskId/:taskId/attempt/:attempt/mappedIndex/:mappedIndex/mappedAttempt/:mappedAttempt/view/:view`,
} as const;

export type EntityKind = "workflow" | "task" | "launchPlan";

/** The plural list segment and the singular version segment the Flyte console uses per kind. */
const SEGMENTS: Record<EntityKind, { list: string; version: string }> = {
  workflow: { list: "workflows", version: "workflow" },
  task: { list: "tasks", version: "task" },
  launchPlan: { list: "launchPlans", version: "launch_plan" },
};

const e = encodeURIComponent;

const pd = (project: string, domain: string) => `/projects/${e(project)}/domains/${e(domain)}`;

export function entityKind(resourceType: ResourceType): EntityKind | undefined {
  switch (resourceType) {
    case ResourceType.WORKFLOW:
      return "workflow";
    case ResourceType.TASK:
      return "task";
    case ResourceType.LAUNCH_PLAN:
      return "launchPlan";
    default:
      return undefined;
  }
}

export const resourceTypeOf: Record<EntityKind, ResourceType> = {
  workflow: ResourceType.WORKFLOW,
  task: ResourceType.TASK,
  launchPlan: ResourceType.LAUNCH_PLAN,
};

interface EntityId {
  resourceType: ResourceType;
  project: string;
  domain: string;
  name: string;
  version?: string;
}

interface ExecutionId {
  project: string;
  domain: string;
  name: string;
}

export type TaskView = "resources" | "logs" | "io" | "flytedecks";

export const paths = {
  home: () => "/",
  selectProject: () => "/select-project",
  projectDomain: (project: string, domain: string) => pd(project, domain),
  executions: (project: string, domain: string) => `${pd(project, domain)}/executions`,
  /** The project dashboard: in the Flyte console it is the executions page of a project/domain. */
  dashboard: (project: string, domain: string) => `${pd(project, domain)}/executions`,
  workflows: (project: string, domain: string) => `${pd(project, domain)}/workflows`,
  tasks: (project: string, domain: string) => `${pd(project, domain)}/tasks`,
  launchPlans: (project: string, domain: string) => `${pd(project, domain)}/launchPlans`,
  /** Project and domain settings (matchable attributes). */
  settings: (project: string, domain: string) => `${pd(project, domain)}/settings`,
  entityList: (kind: EntityKind, project: string, domain: string) => `${pd(project, domain)}/${SEGMENTS[kind].list}`,
  entity: (kind: EntityKind, project: string, domain: string, name: string) => `${pd(project, domain)}/${SEGMENTS[kind].list}/${e(name)}`,
  entityVersion: (kind: EntityKind, project: string, domain: string, name: string, version: string) =>
    `${pd(project, domain)}/${SEGMENTS[kind].version}/${e(name)}/version/${e(version)}`,
  workflow: (project: string, domain: string, name: string) => paths.entity("workflow", project, domain, name),
  task: (project: string, domain: string, name: string) => paths.entity("task", project, domain, name),
  launchPlan: (project: string, domain: string, name: string) => paths.entity("launchPlan", project, domain, name),
  workflowVersion: (project: string, domain: string, name: string, version: string) => paths.entityVersion("workflow", project, domain, name, version),
  taskVersion: (project: string, domain: string, name: string, version: string) => paths.entityVersion("task", project, domain, name, version),
  launchPlanVersion: (project: string, domain: string, name: string, version: string) => paths.entityVersion("launchPlan", project, domain, name, version),
  /** An entity (name only) from an Identifier; undefined for kinds the console has no page for. */
  entityOf: (id: EntityId): string | undefined => {
    const kind = entityKind(id.resourceType);
    return kind && paths.entity(kind, id.project, id.domain, id.name);
  },
  /** An entity version from an Identifier; falls back to the entity page when the version is empty. */
  entityVersionOf: (id: EntityId): string | undefined => {
    const kind = entityKind(id.resourceType);
    if (!kind) return undefined;
    return id.version ? paths.entityVersion(kind, id.project, id.domain, id.name, id.version) : paths.entity(kind, id.project, id.domain, id.name);
  },
  execution: (id: ExecutionId) => `${pd(id.project, id.domain)}/executions/${e(id.name)}`,
  /** A task execution of a node (the Flyte console's task-level view). */
  executionTask: (
    id: ExecutionId,
    nodeId: string,
    taskName: string,
    attempt: number,
    view: TaskView = "resources",
    mapped?: { index: number; attempt: number },
  ) => {
    const base = `${paths.execution(id)}/nodeId/${e(nodeId)}/taskId/${e(taskName)}/attempt/${attempt}`;
    return mapped ? `${base}/mappedIndex/${mapped.index}/mappedAttempt/${mapped.attempt}/view/${view}` : `${base}/view/${view}`;
  },
} as const;

/** A relative console path as the browser sees it (with the `/console` base). */
export function absolute(path: string): string {
  return `${CONSOLE_BASE}${path === "/" ? "/" : path}`;
}

/**
 * The kind of entity a project path is about, from its section segment (`workflows`, `workflow`,
 * `tasks`, `task`, `launchPlans`, `launch_plan`); paths are relative to the basename.
 */
export function entityKindOfPath(pathname: string): EntityKind | undefined {
  const segment = pathname.split("/")[5] ?? "";
  for (const [kind, s] of Object.entries(SEGMENTS) as [EntityKind, { list: string; version: string }][]) {
    if (segment === s.list || segment === s.version) return kind;
  }
  return undefined;
}

/** The list section of a kind, as it appears in paths (`workflows`, `tasks`, `launchPlans`). */
export const listSegment = (kind: EntityKind): string => SEGMENTS[kind].list;

export const KIND_LABELS: Record<EntityKind, { one: string; many: string }> = {
  workflow: { one: "Workflow", many: "Workflows" },
  task: { one: "Task", many: "Tasks" },
  launchPlan: { one: "Launch plan", many: "Launch plans" },
};
