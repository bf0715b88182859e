import type { DomainConfig } from "../config.js";
import type { AttributeResolver, ServerAttributeDefaults } from "../core/attribute-resolver.js";
import type { BlobStore } from "../blob/blob-store.js";
import type { WorkflowExecutor } from "../engine/workflow-executor.js";
import type { EventMetrics } from "./event-counts.js";
import type { ScheduleHooks } from "../scheduler/scheduler-wiring.js";
import type { NotificationOutbox } from "../notifications/outbox.js";
import type { Store } from "../storage/store.js";
import type { TaskTemplates } from "./task-templates.js";

/** What the RPC handlers are given; app.ts builds it once per server. */
export interface ApiDeps {
  store: Store;
  /** Execution inputs and outputs. */
  blobs: BlobStore;
  /** Where executions are handed to run. */
  executor: WorkflowExecutor;
  domains: readonly DomainConfig[];
  version: { build: string; version: string; buildTime: string };
  /** Server-level fallbacks for matchable attributes (the config file's execution defaults). */
  attributeDefaults: ServerAttributeDefaults;
  /** Registered task templates, kept for compiling workflows (see task-templates.ts). */
  taskTemplates: TaskTemplates;
  /** Registration limits, and the largest page a list may ask for. */
  limits: { maxWorkflowNodes: number; maxPageSize: number };
  /** Most-specific-wins lookups over stored attributes, for executions. */
  attributes: AttributeResolver;
  /** Launch-plan schedules: what activation writes, and the scheduler to wake after. */
  schedules: ScheduleHooks;
  /** Counts accepted and refused engine events (nothing is counted when absent). */
  events?: EventMetrics;
  /** Notifications on terminal phases (none are sent when absent: notifications are off). */
  notifications?: NotificationOutbox | undefined;
  /** The Kubernetes namespace of a project and domain (FlyteAdmin's namespace_mapping; default `<project>-<domain>`). */
  namespaceOf?: ((project: string, domain: string) => string) | undefined;
  /** Called once a project is registered (the cluster resource sync gives it its namespaces); must not throw. */
  projectRegistered?: ((project: string) => void) | undefined;
}
