import type { NodeExecution } from "../../../gen/flyteidl/admin/node_execution_pb.js";
import { type CompiledWorkflowClosure, CompiledWorkflowClosureSchema } from "../../../gen/flyteidl/core/compiler_pb.js";
import type { BlobStore } from "../../blob/blob-store.js";
import type { ExecutionKey, Store } from "../../storage/store.js";

/**
 * What a recovery execution reads of its reference execution (engine-spec
 * §6.7 [LOCAL]): the reference is in the same database, so its node
 * executions are read where the control plane keeps them rather than through
 * RecoverNodeExecution / RecoverNodeExecutionData calls.
 */
export interface RecoverySource {
  /** The node execution with this unique node id in the reference execution; undefined when there is none. */
  nodeExecution(reference: ExecutionKey, uniqueId: string): Promise<NodeExecution | undefined>;
  /** The compiled workflow a dynamic node of the reference execution generated; undefined when it has none. */
  dynamicWorkflow(reference: ExecutionKey, uniqueId: string): Promise<CompiledWorkflowClosure | undefined>;
}

/** Reads through the control plane's store and blob store. */
export function createRecoverySource(store: Pick<Store, "nodeExecutions">, blobs: BlobStore): RecoverySource {
  const key = (reference: ExecutionKey, nodeId: string) => ({ project: reference.project, domain: reference.domain, name: reference.name, nodeId });
  return {
    nodeExecution: (reference, uniqueId) => store.nodeExecutions.get(key(reference, uniqueId)),
    async dynamicWorkflow(reference, uniqueId) {
      const uri = await store.nodeExecutions.dynamicWorkflowUri(key(reference, uniqueId));
      const blobKey = uri ? blobs.keyOf(uri) : undefined;
      if (!blobKey) return undefined;
      const closure = await blobs.getMessage(blobKey, CompiledWorkflowClosureSchema);
      return closure?.primary?.template ? closure : undefined;
    },
  };
}
