import type { MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import type { DataCatalog } from "../../gen/flyteidl/datacatalog/datacatalog_pb.js";
import type { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import type { AuthMetadataService } from "../../gen/flyteidl/service/auth_pb.js";
import type { DataProxyService } from "../../gen/flyteidl/service/dataproxy_pb.js";
import type { IdentityService } from "../../gen/flyteidl/service/identity_pb.js";
import type { SignalService } from "../../gen/flyteidl/service/signal_pb.js";
import { parseFlyteUrl } from "./flyte-url.js";
import type { GlobalAction, ProjectAction, Target } from "./rbac.js";

/**
 * What one RPC needs:
 * - `public`: nothing (what a client asks before it has a token);
 * - `authenticated`: any authenticated principal (answers that depend on no project;
 *   `filtersProjects`: the answer lists only the projects the principal may view);
 * - `global`: a platform-wide action (rbac.ts allowsGlobal);
 * - `project`: an action on the project and domain `target` reads from the request.
 *   An empty project is left to the handler, whose validation refuses it with
 *   FlyteAdmin's INVALID_ARGUMENT (`missing project`).
 */
export type Rule<M> =
  | { readonly kind: "public" }
  | { readonly kind: "authenticated"; readonly filtersProjects?: true }
  | { readonly kind: "global"; readonly action: GlobalAction }
  | { readonly kind: "project"; readonly action: ProjectAction; readonly target: (req: M) => Target };

/** A rule for every method of a service: the compiler refuses a table that misses one. */
type RulesOf<S> = S extends GenService<infer M extends GenServiceMethods> ? { readonly [K in keyof M]: Rule<MessageShape<M[K]["input"]>> } : never;

/** Where FlyteAdmin's identifiers keep the project and domain. */
interface Scoped {
  readonly project: string;
  readonly domain: string;
}
const at = (id: Scoped | undefined): Target => ({ project: id?.project ?? "", domain: id?.domain ?? "" });
const wholeProject = (project: string | undefined): Target => ({ project: project ?? "", domain: null });

const project = <M>(action: ProjectAction, target: (req: M) => Target): Rule<M> => ({ kind: "project", action, target });
const PUBLIC = { kind: "public" } as const;
const AUTHENTICATED = { kind: "authenticated" } as const;

const ADMIN: RulesOf<typeof AdminService> = {
  // Inventory: tasks, workflows, launch plans, their names and descriptions.
  createTask: project("register_inventory", (r) => at(r.id)),
  getTask: project("view_inventory", (r) => at(r.id)),
  listTaskIds: project("view_inventory", (r) => at(r)),
  listTasks: project("view_inventory", (r) => at(r.id)),
  createWorkflow: project("register_inventory", (r) => at(r.id)),
  getWorkflow: project("view_inventory", (r) => at(r.id)),
  listWorkflowIds: project("view_inventory", (r) => at(r)),
  listWorkflows: project("view_inventory", (r) => at(r.id)),
  createLaunchPlan: project("register_inventory", (r) => at(r.id)),
  getLaunchPlan: project("view_inventory", (r) => at(r.id)),
  getActiveLaunchPlan: project("view_inventory", (r) => at(r.id)),
  listActiveLaunchPlans: project("view_inventory", (r) => at(r)),
  listLaunchPlanIds: project("view_inventory", (r) => at(r)),
  listLaunchPlans: project("view_inventory", (r) => at(r.id)),
  // Activating a version also turns its schedule on or off.
  updateLaunchPlan: project("register_inventory", (r) => at(r.id)),
  listNamedEntities: project("view_inventory", (r) => at(r)),
  getNamedEntity: project("view_inventory", (r) => at(r.id)),
  updateNamedEntity: project("register_inventory", (r) => at(r.id)),
  getDescriptionEntity: project("view_inventory", (r) => at(r.id)),
  listDescriptionEntities: project("view_inventory", (r) => at(r.id)),

  // Executions: a relaunch or recovery runs in the project and domain of the execution it repeats.
  createExecution: project("create_executions", (r) => at(r)),
  relaunchExecution: project("create_executions", (r) => at(r.id)),
  recoverExecution: project("create_executions", (r) => at(r.id)),
  terminateExecution: project("create_executions", (r) => at(r.id)),
  updateExecution: project("create_executions", (r) => at(r.id)),
  getExecution: project("view_executions", (r) => at(r.id)),
  getExecutionData: project("view_executions", (r) => at(r.id)),
  listExecutions: project("view_executions", (r) => at(r.id)),
  getExecutionMetrics: project("view_executions", (r) => at(r.id)),
  getNodeExecution: project("view_executions", (r) => at(r.id?.executionId)),
  getDynamicNodeWorkflow: project("view_executions", (r) => at(r.id?.executionId)),
  listNodeExecutions: project("view_executions", (r) => at(r.workflowExecutionId)),
  listNodeExecutionsForTask: project("view_executions", (r) => at(r.taskExecutionId?.nodeExecutionId?.executionId)),
  getNodeExecutionData: project("view_executions", (r) => at(r.id?.executionId)),
  getTaskExecution: project("view_executions", (r) => at(r.id?.nodeExecutionId?.executionId)),
  listTaskExecutions: project("view_executions", (r) => at(r.nodeExecutionId?.executionId)),
  getTaskExecutionData: project("view_executions", (r) => at(r.id?.nodeExecutionId?.executionId)),

  // Events are what an engine reports: the system role alone.
  createWorkflowEvent: project("write_events", (r) => at(r.event?.executionId)),
  createNodeEvent: project("write_events", (r) => at(r.event?.id?.executionId)),
  createTaskEvent: project("write_events", (r) => at(r.event?.parentNodeExecutionId?.executionId)),

  // Projects and their attributes.
  registerProject: { kind: "global", action: "create_projects" },
  updateProject: project("administer_project", (r) => wholeProject(r.id)),
  getProject: project("view_inventory", (r) => wholeProject(r.id)),
  listProjects: { kind: "authenticated", filtersProjects: true },
  getDomains: AUTHENTICATED,
  getVersion: AUTHENTICATED,
  updateProjectAttributes: project("administer_project", (r) => wholeProject(r.attributes?.project)),
  getProjectAttributes: project("view_inventory", (r) => wholeProject(r.project)),
  deleteProjectAttributes: project("administer_project", (r) => wholeProject(r.project)),
  updateProjectDomainAttributes: project("administer_project", (r) => at(r.attributes)),
  getProjectDomainAttributes: project("view_inventory", (r) => at(r)),
  deleteProjectDomainAttributes: project("administer_project", (r) => at(r)),
  updateWorkflowAttributes: project("administer_project", (r) => at(r.attributes)),
  getWorkflowAttributes: project("view_inventory", (r) => at(r)),
  deleteWorkflowAttributes: project("administer_project", (r) => at(r)),
  // Every project's attributes at once.
  listMatchableAttributes: { kind: "global", action: "administer_platform" },
};

const DATA_PROXY: RulesOf<typeof DataProxyService> = {
  createUploadLocation: project("register_inventory", (r) => at(r)),
  // Deprecated: it names a blob by its storage URL alone, so no project can be checked.
  createDownloadLocation: { kind: "global", action: "administer_platform" },
  createDownloadLink: project("view_executions", (r) => at(r.source.case === "nodeExecutionId" ? r.source.value.executionId : undefined)),
  // An URL the handler cannot parse names no project; the handler refuses it.
  getData: project("view_executions", (r) => at(parseFlyteUrl(r.flyteUrl))),
};

const SIGNAL: RulesOf<typeof SignalService> = {
  // flytepropeller creates a gate's signal as it reaches the node.
  getOrCreateSignal: project("write_events", (r) => at(r.id?.executionId)),
  listSignals: project("view_executions", (r) => at(r.workflowExecutionId)),
  // Approving a gate or giving its input drives the execution on.
  setSignal: project("create_executions", (r) => at(r.id?.executionId)),
};

/**
 * The task cache flytepropeller keeps in the DataCatalog: an engine writes it (the system role, like
 * events), reading it is reading executions' outputs. Datasets name their project and domain.
 */
const DATA_CATALOG: RulesOf<typeof DataCatalog> = {
  createDataset: project("write_events", (r) => at(r.dataset?.id)),
  getDataset: project("view_executions", (r) => at(r.dataset)),
  createArtifact: project("write_events", (r) => at(r.artifact?.dataset)),
  getArtifact: project("view_executions", (r) => at(r.dataset)),
  addTag: project("write_events", (r) => at(r.tag?.dataset)),
  listArtifacts: project("view_executions", (r) => at(r.dataset)),
  // Filters may name a project but need not: every project's datasets at once.
  listDatasets: { kind: "global", action: "administer_platform" },
  updateArtifact: project("write_events", (r) => at(r.dataset)),
  getOrExtendReservation: project("write_events", (r) => at(r.reservationId?.datasetId)),
  releaseReservation: project("write_events", (r) => at(r.reservationId?.datasetId)),
};

const IDENTITY: RulesOf<typeof IdentityService> = { userInfo: AUTHENTICATED };

// Asked on an unauthenticated channel before a client has a token.
const AUTH_METADATA: RulesOf<typeof AuthMetadataService> = { getOAuth2Metadata: PUBLIC, getPublicClientConfig: PUBLIC };

/**
 * Rules by service type name and method local name. A service missing here
 * (health, reflection) is public; a method missing from a listed service is
 * refused, so a method added to a proto without a rule is never open.
 */
export const RPC_RULES: Readonly<Record<string, Readonly<Record<string, Rule<never>>>>> = {
  "flyteidl.service.AdminService": ADMIN as Record<string, Rule<never>>,
  "flyteidl.service.DataProxyService": DATA_PROXY as Record<string, Rule<never>>,
  "flyteidl.service.SignalService": SIGNAL as Record<string, Rule<never>>,
  "datacatalog.DataCatalog": DATA_CATALOG as Record<string, Rule<never>>,
  "flyteidl.service.IdentityService": IDENTITY as Record<string, Rule<never>>,
  "flyteidl.service.AuthMetadataService": AUTH_METADATA as Record<string, Rule<never>>,
};

/** The services with no rules because everything in them is public. */
export const PUBLIC_SERVICES: ReadonlySet<string> = new Set(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]);

/** The rule of a method, looked up by service type name and method local name; undefined when there is none. */
export function ruleOf(service: string, method: string): Rule<unknown> | undefined {
  const rules = Object.hasOwn(RPC_RULES, service) ? RPC_RULES[service] : undefined;
  if (!rules || !Object.hasOwn(rules, method)) return undefined;
  return rules[method] as Rule<unknown>;
}

/** Whether a method is callable without a credential: a service with no rules, or a method whose rule is public. */
export function isPublicRpc(service: string, method: string): boolean {
  return PUBLIC_SERVICES.has(service) || ruleOf(service, method)?.kind === "public";
}
