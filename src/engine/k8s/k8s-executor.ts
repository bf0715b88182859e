import { toBinary } from "@bufbuild/protobuf";
import { WorkflowClosureSchema } from "../../../gen/flyteidl/admin/workflow_pb.js";
import type { BlobStore } from "../../blob/blob-store.js";
import { executionClosureKey } from "../../core/blob-keys.js";
import { buildFlyteWorkflow, type FlyteWorkflowObject, type FlyteWorkflowOptions, offloadedWorkflowClosure } from "../../core/crd/flyte-workflow.js";
import { AdminError } from "../../core/errors.js";
import { namespaceOf } from "../../core/k8s-template.js";
import type { Logger } from "../../logger.js";
import type { ExecutionLaunch, WorkflowExecutor } from "../workflow-executor.js";
import type { KubeClient } from "./kube-client.js";

/** Where FlyteWorkflow objects live (flytepropeller's CRD). */
export const FLYTE_WORKFLOWS = { group: "flyte.lyft.com", version: "v1alpha1", plural: "flyteworkflows" } as const;

/** Builds the FlyteWorkflow object of a launch (a pure function; tests may pass their own). */
export type FlyteWorkflowBuilder = (launch: ExecutionLaunch, options: FlyteWorkflowOptions) => FlyteWorkflowObject;

export interface K8sExecutorOptions {
  client: KubeClient;
  blobs: BlobStore;
  /** Default: the FlyteWorkflow builder of Flyte v1.16.8's shape. */
  build?: FlyteWorkflowBuilder;
  /** FlyteAdmin's namespace_mapping, e.g. `{{ project }}-{{ domain }}`. */
  namespaceTemplate: string;
  /** The cluster executions record ("" in-cluster). */
  clusterId: string;
  createNamespaces: boolean;
  offloadClosure: boolean;
  offloadInputs: boolean;
  roleNameKey: string;
  consoleUrl: string;
  logger: Logger;
  /** Most namespaces remembered as existing (a bound on memory; forgetting one only costs a create that answers 409). */
  maxKnownNamespaces?: number;
}

/**
 * The hand-off to flytepropeller (FlyteAdmin's K8sWorkflowExecutor): each
 * execution becomes a FlyteWorkflow object in its project-domain namespace;
 * propeller runs it and reports back through the event RPCs. Nothing is
 * kept here: creating an object that exists already is success, so a retried
 * launch is harmless, and aborting deletes the object (propeller's finalizer
 * keeps it until propeller has aborted the nodes and sent ABORTED).
 */
export function createK8sExecutor(o: K8sExecutorOptions): WorkflowExecutor {
  const build = o.build ?? buildFlyteWorkflow;
  const known = new Set<string>();
  const maxKnown = o.maxKnownNamespaces ?? 10_000;

  const ensureNamespace = async (namespace: string) => {
    if (!o.createNamespaces || known.has(namespace)) return;
    const outcome = await o.client.createNamespace(namespace);
    if (outcome === "created") o.logger.info("created namespace", { namespace });
    if (known.size >= maxKnown) known.clear();
    known.add(namespace);
  };

  return {
    kind: "k8s",
    wantsTaskAttributes: true,
    async execute(launch) {
      const { project, domain, name } = launch.id;
      const namespace = namespaceOf(o.namespaceTemplate, project, domain);
      const closureKey = executionClosureKey(launch.id);
      // Built first: a closure propeller could not run fails the launch before anything is written.
      const body = build(launch, {
        namespace,
        ...(o.clusterId !== "" ? { clusterId: o.clusterId } : {}),
        ...(o.consoleUrl !== "" ? { consoleUrl: o.consoleUrl } : {}),
        ...(o.roleNameKey !== "" ? { roleNameKey: o.roleNameKey } : {}),
        ...(o.offloadClosure ? { offloadedClosureUri: o.blobs.uri(closureKey) } : {}),
        ...(o.offloadInputs ? { offloadedInputsUri: launch.inputsUri } : {}),
      });
      // Propeller reads an admin.WorkflowClosure there, with the platform's task resources filled in as in the object.
      if (o.offloadClosure) await o.blobs.put(closureKey, toBinary(WorkflowClosureSchema, offloadedWorkflowClosure(launch)));
      try {
        await ensureNamespace(namespace);
        const outcome = await o.client.createCustomObject({ ...FLYTE_WORKFLOWS, namespace }, body);
        o.logger.debug("handed execution to flytepropeller", { project, domain, name, namespace, outcome });
      } catch (e) {
        o.logger.warn("handing an execution to flytepropeller failed", { project, domain, name, namespace, error: String((e as Error)?.message ?? e) });
        // Nothing reads the offloaded closure of a run propeller never got; a failed delete leaves it to the orphan sweep.
        if (o.offloadClosure) await o.blobs.delete(closureKey).catch(() => {});
        // FlyteAdmin's wording; a launch-plan launch records it as the execution's error.
        throw new AdminError("Internal", `failed to create workflow in propeller ${String((e as Error)?.message ?? e)}`);
      }
      return { cluster: o.clusterId };
    },
    async abort(id, cause) {
      const namespace = namespaceOf(o.namespaceTemplate, id.project, id.domain);
      try {
        const outcome = await o.client.deleteCustomObject({ ...FLYTE_WORKFLOWS, namespace }, id.name);
        o.logger.debug("asked flytepropeller to abort", { project: id.project, domain: id.domain, name: id.name, cause, outcome });
      } catch (e) {
        throw new AdminError("Internal", `failed to terminate execution: ${id.name} with err ${String((e as Error)?.message ?? e)}`);
      }
    },
  };
}
