import type { Labels, NamedEntity, NamedEntityIdentifier, NamedEntityMetadata } from "../../gen/flyteidl/admin/common_pb.js";
import type { DescriptionEntity } from "../../gen/flyteidl/admin/description_entity_pb.js";
import type { Execution, ExecutionClosure, ExecutionSpec } from "../../gen/flyteidl/admin/execution_pb.js";
import type { LaunchPlan } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import type { NodeExecution, NodeExecutionClosure, NodeExecutionMetaData } from "../../gen/flyteidl/admin/node_execution_pb.js";
import type { TaskExecution, TaskExecutionClosure } from "../../gen/flyteidl/admin/task_execution_pb.js";
import type { Task } from "../../gen/flyteidl/admin/task_pb.js";
import type { Workflow } from "../../gen/flyteidl/admin/workflow_pb.js";
import type { TypedInterface } from "../../gen/flyteidl/core/interface_pb.js";
import type { ListedExecution } from "../core/listed-execution.js";
import type { ListedNodeExecution } from "../core/listed-node-execution.js";
import type { Identifier, ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import type { MatchableResource, MatchingAttributes } from "../../gen/flyteidl/admin/matchable_resource_pb.js";
import type { Project } from "../../gen/flyteidl/admin/project_pb.js";
import type { ListQuery } from "../core/list-query.js";
import type { DataCatalogStore } from "./datacatalog-store.js";
import type { ApiKeyStore, RoleBindingStore } from "./access-store.js";
import type { DeletionStore, LeaseStore } from "./deletion-store.js";
import type { OAuthGrantStore } from "./oauth-grant-store.js";
import type { EngineStore } from "./engine-store.js";
import type { SchedulePlan, ScheduleStore } from "./schedule-store.js";
import type { NotificationStore } from "./notification-store.js";
import type { SignalStore } from "./signal-store.js";
import type { SessionStore } from "./session-store.js";
import type { PlannedDelivery } from "../core/notification-plan.js";
import type { AttributeKey, ScopedAttributes } from "../core/matchable.js";

/**
 * What every handler depends on for persistence. Rows come back as flyteidl
 * messages; failures are AdminErrors (e.g. AlreadyExists with FlyteAdmin's
 * duplicate-key message). One implementation (SqlStore) serves SQLite and
 * PostgreSQL.
 */
export interface Store {
  readonly projects: ProjectStore;
  readonly attributes: AttributeStore;
  readonly tasks: TaskStore;
  readonly workflows: WorkflowStore;
  readonly launchPlans: LaunchPlanStore;
  readonly namedEntities: NamedEntityStore;
  readonly executions: ExecutionStore;
  readonly nodeExecutions: NodeExecutionStore;
  readonly signals: SignalStore;
  readonly taskExecutions: TaskExecutionStore;
  readonly descriptions: DescriptionStore;
  /** The local engine's durable state (engine_workflows). */
  readonly engine: EngineStore;
  /** DataCatalog datasets, artifacts, tags and reservations: the DataCatalog service's, and the local engine's task cache. */
  readonly dataCatalog: DataCatalogStore;
  /** Retention and deletion of executions with their rows (execution_deletions). */
  readonly deletions: DeletionStore;
  /** Work one replica does at a time (leases). */
  readonly leases: LeaseStore;
  /** Launch-plan schedules and their cursors (schedulable_entities). */
  readonly schedules: ScheduleStore;
  /** The notification outbox (notification_deliveries). */
  readonly notifications: NotificationStore;
  /** API keys (api_keys): looked up by id on every call that carries one. */
  readonly apiKeys: ApiKeyStore;
  /** Who holds which role where (role_bindings), read by authorization. */
  readonly roleBindings: RoleBindingStore;
  /** The self-hosted authorization server's codes and refresh tokens (oauth_codes, oauth_refresh_tokens). */
  readonly oauthGrants: OAuthGrantStore;
  /** Browser sessions (auth_sessions), read on every call a logged-in browser makes. */
  readonly sessions: SessionStore;
  /** "sqlite" or "postgres", for logs and the start-up banner. */
  readonly dialect: string;
  /** Rejects when the database cannot serve now (see Dialect.probe); health reporting calls it. */
  probe(): Promise<void>;
  close(): Promise<void>;
}

/** UpdateProject writes only what is set (FlyteAdmin's non-zero-field update); state always. */
export interface ProjectPatch {
  readonly name?: string;
  readonly description?: string;
  readonly labels?: Labels;
  readonly state: number;
}

export interface ProjectStore {
  /** Inserts a project; AlreadyExists when the id is taken. `domains` is never stored. */
  create(project: Project): Promise<void>;
  get(id: string): Promise<Project | undefined>;
  /** Applies the patch; false when no project has this id. */
  update(id: string, patch: ProjectPatch): Promise<boolean>;
  /** Projects matching the query; only those in `only` when given (roles: what the caller may view). */
  list(query: ListQuery, only?: ReadonlySet<string>): Promise<Project[]>;
}

/** Matchable attributes, one row per (project, domain, workflow, launch plan, resource type). */
export interface AttributeStore {
  /**
   * Writes attributes at exactly this key. Without `merge` they replace what
   * is there; with it, `merge(existing, next)` decides what is written when a
   * row exists (atomically, however many writers race).
   */
  put(
    key: AttributeKey,
    attributes: MatchingAttributes,
    merge?: (existing: MatchingAttributes, next: MatchingAttributes) => MatchingAttributes,
  ): Promise<void>;
  /** The row at exactly this key. */
  get(key: AttributeKey): Promise<MatchingAttributes | undefined>;
  /** The most specific row that applies to the key (its own level or a coarser one), with its scope. */
  resolve(key: AttributeKey): Promise<ScopedAttributes | undefined>;
  /** Deletes exactly this key's row; false when there was none. */
  delete(key: AttributeKey): Promise<boolean>;
  /** Every row of a type, most specific first. */
  list(resourceType: MatchableResource): Promise<ScopedAttributes[]>;
}

/** Where a list of versioned entities looks: a project and domain, optionally one name. */
export interface NameScope {
  readonly project: string;
  readonly domain: string;
  readonly name?: string | undefined;
}

/** A stored version with the digest of its structure (for the identical/different rule). */
export interface Versioned<T> {
  readonly value: T;
  readonly digest: Uint8Array;
}

/** Task versions. Returned tasks carry `closure.created_at` from the row. */
export interface TaskStore {
  /**
   * Inserts the task and, when given, its description entity in one
   * transaction. When the id is taken nothing is written and the stored
   * version is returned instead.
   */
  create(task: Task, digest: Uint8Array, type: string, description?: DescriptionEntity): Promise<Versioned<Task> | undefined>;
  get(id: Identifier): Promise<Task | undefined>;
  list(scope: NameScope, query: ListQuery): Promise<Task[]>;
  /** Distinct names in a project and domain. */
  listIds(scope: NameScope, query: ListQuery): Promise<NamedEntityIdentifier[]>;
}

/** Description entities, written alongside task and workflow versions. */
export interface DescriptionStore {
  get(id: Identifier): Promise<DescriptionEntity | undefined>;
  /** The versions of one name (the id's resource type, any when unspecified), filtered and paged. */
  list(name: Pick<Identifier, "resourceType" | "project" | "domain" | "name">, query: ListQuery): Promise<DescriptionEntity[]>;
}

/** A workflow version to store, its compiled closure already encoded (registration makes the bytes, see core/compiled-closure). */
export interface NewWorkflow {
  id: Identifier;
  /** The compiled closure (`core.CompiledWorkflowClosure`) in binary; absent for none. */
  compiled?: Uint8Array;
  shortDescription: string;
}

/** Workflow versions, compiled. */
export interface WorkflowStore {
  /** Like TaskStore.create; `typedInterface` is the template's interface as registered. */
  create(
    workflow: NewWorkflow,
    typedInterface: TypedInterface | undefined,
    digest: Uint8Array,
    description?: DescriptionEntity,
  ): Promise<Versioned<Workflow> | undefined>;
  /** The full workflow (compiled closure with created_at from the row). */
  get(id: Identifier): Promise<Workflow | undefined>;
  /** What a launch needs: the compiled closure (`core.CompiledWorkflowClosure`) in binary, not decoded. */
  getCompiled(id: Identifier): Promise<Uint8Array | undefined>;
  /** The interface a workflow version was registered with (what launch plans are checked against). */
  getInterface(id: Identifier): Promise<{ typedInterface: TypedInterface | undefined } | undefined>;
  /** Versions with a minimal closure: only the primary template's interface and created_at. */
  list(scope: NameScope, query: ListQuery): Promise<Workflow[]>;
  listIds(scope: NameScope, query: ListQuery): Promise<NamedEntityIdentifier[]>;
}

/** Launch plan versions and their activation. */
export interface LaunchPlanStore {
  /** Inserts an INACTIVE version; like TaskStore.create on a taken id. `scheduleType` is NONE, CRON or RATE. */
  create(launchPlan: LaunchPlan, digest: Uint8Array, scheduleType: string): Promise<Versioned<LaunchPlan> | undefined>;
  get(id: Identifier): Promise<LaunchPlan | undefined>;
  /** The ACTIVE version of a name, if any. */
  getActive(name: Required<NameScope>): Promise<LaunchPlan | undefined>;
  /**
   * Makes this version the only ACTIVE one of its name, in one transaction;
   * returns the version it replaced (if another was active), or "missing".
   * The same transaction deactivates the replaced version's schedule and,
   * when `schedule` gives a plan for the version, activates its schedule.
   */
  activate(
    id: Identifier,
    options?: { now?: Date; schedule?: (launchPlan: LaunchPlan) => SchedulePlan | undefined },
  ): Promise<{ previous: LaunchPlan | undefined } | "missing">;
  /** Marks the version INACTIVE, and its schedule with it; false when it does not exist. */
  deactivate(id: Identifier, now?: Date): Promise<boolean>;
  /**
   * Writes the schedule of active versions that have one but no schedule row
   * (activated before schedules were kept), as activating them now would; at
   * most `limit` of them per call (`more`: call again).
   */
  adoptSchedules(options: {
    now: Date;
    schedule: (launchPlan: LaunchPlan) => SchedulePlan | undefined;
    limit: number;
  }): Promise<{ adopted: number; more: boolean }>;
  /** Versions, filterable by launch plan and workflow fields (`eq(workflow.name,x)`). */
  list(scope: NameScope, query: ListQuery): Promise<LaunchPlan[]>;
  listActive(scope: NameScope, query: ListQuery): Promise<LaunchPlan[]>;
  listIds(scope: NameScope, query: ListQuery): Promise<NamedEntityIdentifier[]>;
}

/** The kinds of named entity that have versions in a table. */
export type NamedResourceType = ResourceType.TASK | ResourceType.WORKFLOW | ResourceType.LAUNCH_PLAN;

/**
 * Names with at least one task, workflow or launch plan version, and their
 * metadata (ACTIVE with no description until updated): a name table the
 * version stores write a name's row to with its first version.
 */
export interface NamedEntityStore {
  /** The entity with its metadata, or undefined when no version exists. */
  get(type: NamedResourceType, id: Required<NameScope>): Promise<NamedEntity | undefined>;
  /**
   * Writes the metadata: an empty description leaves the stored one; state is
   * always written. False (nothing written) when the name has no version.
   */
  updateMetadata(type: NamedResourceType, id: Required<NameScope>, metadata: NamedEntityMetadata): Promise<boolean>;
  /** Names in a project and domain, filtered on name and metadata, then paged. */
  list(type: NamedResourceType, scope: NameScope, query: ListQuery): Promise<NamedEntity[]>;
  /** The same page as list(), as the database writes it in one text (see PackedNames). */
  listPacked(type: NamedResourceType, scope: NameScope, query: ListQuery): Promise<PackedNames>;
}

/**
 * A page of names as one text: for each of `count` names in page order, its
 * name, description and state (decimal), each followed by PACKED_NAME_END.
 * Names and descriptions are stored text, so a description may hold that
 * character too: a text that does not split into exactly `count` names that
 * way is to be read with list() instead.
 */
export interface PackedNames {
  readonly count: number;
  readonly text: string;
}

/** Ends each field of PackedNames: a control character, which no name may hold (text-limits.ts). */
export const PACKED_NAME_END = "\u001f";

/** An execution with the bookkeeping FlyteAdmin keeps beside its spec and closure. */
export interface StoredExecution {
  /** id, spec and closure (created_at / updated_at from the row). */
  readonly execution: Execution;
  readonly launchPlan?: Identifier | undefined;
  readonly workflow: Identifier;
  readonly task?: Identifier | undefined;
  /** "launch_plan" or "task". */
  readonly launchEntity: string;
  readonly inputsUri: string;
  readonly userInputsUri: string;
  readonly user: string;
  readonly cluster: string;
  /** The stored closure bytes: passing them back to updateClosure makes it a compare-and-set on the whole closure. */
  readonly closureBytes?: Uint8Array;
}

export type ExecutionKey = Required<NameScope>;

export interface ExecutionStore {
  /**
   * Inserts the execution and its tags in one transaction; false (nothing
   * written) when the name is taken. `beforeCommit` runs inside the
   * transaction once the row is in: its failure undoes the insert, and a
   * concurrent create of the same name waits, then sees the name taken.
   */
  create(execution: StoredExecution, tags: readonly (readonly [string, string])[], beforeCommit?: () => Promise<void>): Promise<boolean>;
  /**
   * Bulk load (imports, benchmarks): inserts executions without tags in one
   * transaction and multi-row statements. No checks: a name already taken
   * fails the whole call and writes nothing.
   */
  createMany(executions: readonly StoredExecution[]): Promise<void>;
  /** Removes an execution and its tags (a launch the executor refused). */
  delete(id: ExecutionKey): Promise<void>;
  exists(id: ExecutionKey): Promise<boolean>;
  get(id: ExecutionKey): Promise<StoredExecution | undefined>;
  /**
   * The cluster the execution was assigned ("" before any), or undefined when there is
   * no such execution: all that node and task events need of it, without decoding the row.
   */
  clusterOf(id: ExecutionKey): Promise<string | undefined>;
  /**
   * Replaces the closure (and the columns derived from it) when the stored
   * phase still is `expectedPhase`; false when it changed meanwhile or the
   * execution is gone. `state` and `abortCause` update their columns too.
   */
  updateClosure(
    id: ExecutionKey,
    expectedPhase: number,
    closure: ExecutionClosure,
    extra?: {
      state?: number;
      abortCause?: string;
      spec?: ExecutionSpec;
      cluster?: string;
      startedAt?: Date;
      durationNs?: number;
      /** Recorded in the event history (one row per phase). */
      event?: { phase: string; producerId: string; occurredAt: Date };
      /** Applies only if the closure is still these bytes (nothing else changed it since it was read). */
      expectedClosure?: Uint8Array;
      /** Runs inside the transaction after the update applied; its failure undoes it (a lost race never calls it). */
      beforeCommit?: () => Promise<void>;
      /**
       * Notification deliveries of the new (terminal) phase, written to the outbox in the same
       * transaction: they exist exactly when the phase does. A dedupe key already stored is skipped.
       */
      deliveries?: { items: readonly PlannedDelivery[]; enqueuedAt: Date };
    },
  ): Promise<boolean>;
  /** How many executions of a launch plan name (any version) are in one of the given phases. */
  countByLaunchPlan(scope: Required<NameScope>, phases: readonly string[]): Promise<number>;
  /** Executions of a project and domain (and execution name), newest first unless sorted, as stored (`executionOfListed` decodes one). */
  list(scope: NameScope, query: ListQuery): Promise<ListedExecution[]>;
}

/** A node execution's key: its workflow execution and node id. */
export interface NodeExecutionKey extends ExecutionKey {
  readonly nodeId: string;
}

/** Which node executions a list covers: the top level, or the children of one parent node. */
export type NodeParent =
  | { readonly kind: "top" }
  | { readonly kind: "node"; readonly nodeId: string }
  | { readonly kind: "task"; readonly taskExecution: TaskExecutionKey };

export interface NodeExecutionStore {
  get(id: NodeExecutionKey): Promise<NodeExecution | undefined>;
  /**
   * What a node event reads first, in one statement: its execution's cluster
   * (undefined when there is no such execution) and the node execution, if any.
   */
  getForEvent(id: NodeExecutionKey): Promise<{ cluster: string | undefined; nodeExecution: NodeExecution | undefined }>;
  /** Inserts a node execution; false (nothing written) when it exists already. */
  create(
    execution: NodeExecution,
    parent: { nodeId?: string | undefined; taskExecution?: TaskExecutionKey | undefined },
    eventVersion: number,
    dynamicWorkflowUri?: string,
    /** Runs inside the transaction once the row is in; its failure undoes the insert. */
    beforeCommit?: () => Promise<void>,
  ): Promise<boolean>;
  /** Replaces closure and metadata when the stored phase still is `expectedPhase`; false otherwise. */
  update(
    id: NodeExecutionKey,
    expectedPhase: number,
    closure: NodeExecutionClosure,
    metadata: NodeExecutionMetaData,
    extra?: { startedAt?: Date; durationNs?: number; dynamicWorkflowUri?: string; beforeCommit?: () => Promise<void> },
  ): Promise<boolean>;
  /** Where the dynamic workflow a node generated is stored ("" when none). */
  dynamicWorkflowUri(id: NodeExecutionKey): Promise<string>;
  /** Rows as stored (closure and metadata bytes): lists answer them spliced (api/node-execution-list-bytes.ts). */
  list(execution: ExecutionKey, parent: NodeParent, query: ListQuery): Promise<ListedNodeExecution[]>;
}

/** A task execution attempt's key. */
export interface TaskExecutionKey extends NodeExecutionKey {
  readonly task: { readonly project: string; readonly domain: string; readonly name: string; readonly version: string };
  readonly retryAttempt: number;
}

export interface TaskExecutionStore {
  get(id: TaskExecutionKey): Promise<{ execution: TaskExecution; phaseVersion: number } | undefined>;
  /**
   * What a task event reads first, in one statement: its execution's cluster
   * (undefined when there is no such execution), whether its node execution
   * exists, and the attempt, if any.
   */
  getForEvent(
    id: TaskExecutionKey,
  ): Promise<{ cluster: string | undefined; nodeExists: boolean; attempt: { execution: TaskExecution; phaseVersion: number } | undefined }>;
  /** Inserts an attempt; false (nothing written) when it exists already. */
  create(execution: TaskExecution, phaseVersion: number, beforeCommit?: () => Promise<void>): Promise<boolean>;
  /** Replaces the closure when phase and phase version are still the expected ones; false otherwise. */
  update(
    id: TaskExecutionKey,
    expected: { phase: number; phaseVersion: number },
    closure: TaskExecutionClosure,
    phaseVersion: number,
    extra?: { startedAt?: Date; durationNs?: number; beforeCommit?: () => Promise<void> },
  ): Promise<boolean>;
  /** The attempts of one node execution. */
  list(node: NodeExecutionKey, query: ListQuery): Promise<TaskExecution[]>;
}
