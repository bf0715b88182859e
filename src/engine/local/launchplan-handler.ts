import { create, fromJson } from "@bufbuild/protobuf";
import { ExecutionCreateRequestSchema, ExecutionMetadata_ExecutionMode, ExecutionRecoverRequestSchema } from "../../../gen/flyteidl/admin/execution_pb.js";
import { type ExecutionError, ExecutionErrorSchema, WorkflowExecution_Phase as WfPhase } from "../../../gen/flyteidl/core/execution_pb.js";
import type { Identifier, WorkflowExecutionIdentifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import { type LiteralMap, LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { SecurityContextSchema } from "../../../gen/flyteidl/core/security_pb.js";
import { WorkflowNodeMetadataSchema } from "../../../gen/flyteidl/event/event_pb.js";
import { keyOfUri, readMessage, writeMessage } from "./blob-uris.js";
import { ChildExecutionError, type ChildExecutionStatus } from "./child-executions.js";
import { ErrorKind, errorText, executionError } from "./execution-error.js";
import { childExecutionName } from "./ids.js";
import { MAX_OUTPUTS_BYTES } from "./output-check.js";
import { outputsPath } from "./paths.js";
import { referenceChildOf } from "./recovery.js";
import { type HandlerResult, type NodeContext, type NodeHandler, requestWake, result } from "./round-context.js";

/**
 * How deep child executions may nest (the top-level execution is at depth 0).
 * A launch plan that launches itself, directly or through others, stops here
 * with MaxNestingDepthExceeded on the node instead of launching without end.
 * [LOCAL]: flytepropeller has no such bound.
 */
export const MAX_CHILD_NESTING = 16;
/** How often a running child is looked at when no wake-up came (its end wakes the parent at once). */
export const CHILD_POLL_MS = 5_000;

/** Answers of CreateExecution that mean "try the step again" (propeller's launchplan/admin.go); everything else is the user's. */
const RETRYABLE = new Set(["DataLoss", "DeadlineExceeded", "Internal", "Unknown", "Canceled", "Unavailable"]);

const launchPlanOf = (n: NodeContext): Identifier | undefined => {
  const t = n.node.target;
  return t.case === "workflowNode" && t.value.reference.case === "launchplanRef" ? t.value.reference.value : undefined;
};

/** The execution the node launches for its current attempt (engine-spec §1.2): the parent's project and domain, a name derived from ids. */
export function childIdOf(n: NodeContext): WorkflowExecutionIdentifier {
  const { key } = n.round;
  return {
    $typeName: "flyteidl.core.WorkflowExecutionIdentifier",
    project: key.project,
    domain: key.domain,
    name: childExecutionName(key.name, n.uniqueId, n.status.attempts),
    org: "",
  };
}

/** propeller's errors.Wrapf text: `failed at Node[<id>]. <code>: <message>, caused by: <cause>`. */
const nodeErrorText = (n: NodeContext, code: string, message: string, cause: string) => `failed at Node[${n.specId}]. ${code}: ${message}, caused by: ${cause}`;

/**
 * Launch-plan nodes (engine-spec §2.4.6, §5.5): the node's first Running
 * step creates the child execution (CreateExecution semantics, through the
 * control plane's own functions) and reports RUNNING with the child's id;
 * later steps read the child's state from the store and finish when it
 * does. The child's end wakes this execution; a slow poll covers a missed
 * wake-up. Aborting the node terminates the child (cascading abort).
 */
export function createLaunchPlanHandler(): NodeHandler {
  return {
    finalizeRequired: false,

    async handle(n) {
      const ctx = n.round;
      const children = ctx.services.children;
      const now = ctx.now();
      if (!children) {
        return result("Failure", now, "", executionError(ErrorKind.SYSTEM, "UnsupportedNodeKind", `node [${n.specId}]: this engine has no control plane to launch child executions with`));
      }
      const childId = childIdOf(n);
      const info = { workflowNodeMetadata: create(WorkflowNodeMetadataSchema, { executionId: childId }) };
      if (n.status.launchPlan?.child !== childId.name) {
        const launched = await launch(n, childId);
        if (launched) return launched;
        n.status.launchPlan = { child: childId.name };
        ctx.parallelism++;
        requestWake(ctx, now.getTime() + CHILD_POLL_MS);
        return result("Running", now, "", undefined, info);
      }

      const status = await children.status(childId);
      if (!status) {
        const cause = `[NotFound] execID [${childId.name}] not found on remote`;
        // propeller's code here is the NotFound error's node error code, which it has none of.
        return result("Failure", now, "", executionError(ErrorKind.SYSTEM, "", nodeErrorText(n, "", "launch-plan not found", cause)), info);
      }
      switch (status.phase) {
        case WfPhase.SUCCEEDED: {
          const written = await writeChildOutputs(n, status);
          if (written) return result("Failure", now, "", written, info);
          return result("Success", now, "", undefined, { ...info, outputUri: outputsPath(n.outputDir) });
        }
        case WfPhase.FAILED:
        // [LOCAL] propeller keeps polling a child that timed out; here it fails the node like a failed child.
        case WfPhase.TIMED_OUT:
          return result("Failure", now, "", status.error ?? create(ExecutionErrorSchema, { code: "LaunchPlanExecutionFailed", message: "Unknown Error" }), info);
        case WfPhase.ABORTED: {
          const message = nodeErrorText(n, "RemoteChildWorkflowExecutionFailed", `launchplan [${childId.name}] aborted`, "launchplan execution aborted");
          return result("Failure", now, "", executionError(ErrorKind.USER, "RemoteChildWorkflowExecutionFailed", message), info);
        }
        default:
          ctx.parallelism++;
          requestWake(ctx, now.getTime() + CHILD_POLL_MS);
          return result("Running", now);
      }
    },

    async abort(n, reason) {
      const { children } = n.round.services;
      if (!children || !launchPlanOf(n)) return;
      // By its derived name: a child created in a step whose status write was lost is stopped too.
      await children.terminate(childIdOf(n), `cascading abort as parent execution id [${n.round.key.name}] aborted, reason [${reason}]`);
    },

    async finalize() {},
  };
}

/**
 * Creates the child execution (propeller's StartLaunchPlan); undefined when it
 * exists now, or the node's failure. A refusal the control plane may not
 * repeat (internal errors) throws, so the round is retried.
 */
async function launch(n: NodeContext, childId: WorkflowExecutionIdentifier): Promise<HandlerResult | undefined> {
  const ctx = n.round;
  const now = ctx.now();
  const lp = launchPlanOf(n);
  if (!lp) return result("Failure", now, "", executionError(ErrorKind.SYSTEM, "BadSpecificationError", `node [${n.specId}] names no launch plan`));
  const depth = (ctx.def.json.nesting ?? 0) + 1;
  if (depth > MAX_CHILD_NESTING) {
    const message = `launch plan [${lp.project}:${lp.domain}:${lp.name}:${lp.version}] not launched: child executions nest at most ${MAX_CHILD_NESTING} deep, and this one would be at depth ${depth} (does the launch plan launch itself?)`;
    return result("Failure", now, "", executionError(ErrorKind.USER, "MaxNestingDepthExceeded", message));
  }
  let inputs: LiteralMap | undefined;
  try {
    inputs = await readMessage(ctx.services.blobs, n.inputsUri, LiteralMapSchema);
    if (!inputs) throw new Error(`no inputs at ${n.inputsUri}`);
  } catch (e) {
    return result("Failure", now, "", executionError(ErrorKind.SYSTEM, "RuntimeExecutionError", `Failed to read input. Error [${errorText(e)}]`));
  }
  const cfg = ctx.def.json.config;
  const request = create(ExecutionCreateRequestSchema, {
    project: childId.project,
    domain: childId.domain,
    name: childId.name,
    inputs,
    spec: {
      launchPlan: lp,
      // The control plane replaces nesting (parent's + 1) and principal (the parent's user).
      metadata: {
        mode: ExecutionMetadata_ExecutionMode.CHILD_WORKFLOW,
        nesting: 1,
        principal: "",
        parentNodeExecution: { executionId: ctx.def.executionId, nodeId: n.uniqueId },
      },
      labels: { values: { ...cfg.labels } },
      annotations: { values: { ...cfg.annotations } },
      securityContext: cfg.securityContext !== undefined ? fromJson(SecurityContextSchema, cfg.securityContext, { ignoreUnknownFields: true }) : create(SecurityContextSchema),
      maxParallelism: cfg.maxParallelism,
      ...(cfg.rawOutputPrefix ? { rawOutputDataConfig: { outputLocationPrefix: cfg.rawOutputPrefix } } : {}),
      ...(cfg.interruptible !== undefined ? { interruptible: cfg.interruptible } : {}),
      overwriteCache: cfg.overwriteCache,
      envs: { values: Object.entries(cfg.envs).map(([key, value]) => ({ key, value })) },
    },
  });
  // The node's Queued phase is durable before the child exists: a terminate after a crash here then
  // reaches the node, whose abort terminates the child by its derived name.
  await ctx.persist();
  try {
    // In recovery, the child of the reference execution's node is recovered; launched anew when it is gone.
    const reference = await referenceChildOf(n);
    if (!reference || !(await recoverChild(n, reference, childId))) await ctx.services.children!.create(request);
  } catch (e) {
    if (!(e instanceof ChildExecutionError)) throw e;
    // Created before (a replayed step, a restart): the same child, deterministically named. [LOCAL] Unless
    // there is none (the launch plan's concurrency policy skipped it): propeller would report a child the
    // control plane does not know, retrying that event until the whole execution fails; this is the user's refusal.
    if (e.code === "AlreadyExists" && (await ctx.services.children!.status(childId))) return undefined;
    if (RETRYABLE.has(e.code)) throw new Error(`failed to launch workflow [${lp.name}], system error: ${e.message}`, { cause: e });
    const message = `[UserError] failed to launch workflow, caused by: rpc error: code = ${e.code} desc = ${e.message}`;
    return result("Failure", now, "", executionError(ErrorKind.USER, "RuntimeExecutionError", message));
  }
  return undefined;
}

/** RecoverExecution of the reference's child under this node (propeller's Launch with a recovery execution); false when there is no such child. */
async function recoverChild(n: NodeContext, reference: WorkflowExecutionIdentifier, childId: WorkflowExecutionIdentifier): Promise<boolean> {
  const ctx = n.round;
  try {
    await ctx.services.children!.recover(
      create(ExecutionRecoverRequestSchema, {
        id: reference,
        name: childId.name,
        metadata: { parentNodeExecution: { executionId: ctx.def.executionId, nodeId: n.uniqueId } },
      }),
    );
    return true;
  } catch (e) {
    if (e instanceof ChildExecutionError && e.code === "NotFound") {
      ctx.services.logger.warn("engine: the reference child execution cannot be recovered; launching a new one", { execution: ctx.key.name, node: n.uniqueId, reference: reference.name, error: e.message });
      return false;
    }
    throw e;
  }
}

/**
 * Writes a succeeded child's outputs as the node's `O(a)/outputs.pb` (an empty
 * map when it recorded none); the node's failure when they cannot be read.
 */
async function writeChildOutputs(n: NodeContext, status: ChildExecutionStatus): Promise<ExecutionError | undefined> {
  const { blobs } = n.round.services;
  const target = keyOfUri(blobs, outputsPath(n.outputDir));
  const outputs = status.outputs;
  if (outputs && "uri" in outputs) {
    const missing = executionError(ErrorKind.SYSTEM, "RuntimeExecutionError", `remote output for launchplan execution was not found, uri [${outputs.uri}]`);
    const from = blobs.keyOf(outputs.uri);
    const size = from === undefined ? undefined : (await blobs.stat(from))?.size;
    if (from === undefined || size === undefined) return missing;
    if (size > MAX_OUTPUTS_BYTES) {
      return executionError(ErrorKind.USER, "OutputSizeExceeded", `outputs ${outputs.uri} of the child execution are ${size} bytes, more than the ${MAX_OUTPUTS_BYTES} bytes allowed`);
    }
    const bytes = await blobs.get(from);
    if (!bytes) return missing;
    await blobs.put(target, bytes);
    return undefined;
  }
  await writeMessage(blobs, outputsPath(n.outputDir), LiteralMapSchema, outputs?.values ?? create(LiteralMapSchema));
  return undefined;
}
