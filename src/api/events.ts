import { clone, create, toBinary } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { ExecutionSpecSchema, LiteralMapBlobSchema } from "../../gen/flyteidl/admin/execution_pb.js";
import { WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { type LiteralMap, LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.js";
import type { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { executionOutputsKey } from "../core/blob-keys.js";
import { AdminError, invalidArgument, notFound } from "../core/errors.js";
import { checkWorkflowEventText } from "../core/event-validation.js";
import { checkWorkflowTransition, TERMINAL_WORKFLOW_PHASES } from "../core/workflow-event-rules.js";
import { durationUntil } from "../core/event-duration.js";
import { terminalExecution } from "../notifications/outbox.js";
import type { ApiDeps } from "./deps.js";

type Impl = Pick<ServiceImpl<typeof AdminService>, "createWorkflowEvent">;

// FlyteAdmin's remoteData.maxSizeInBytes, the largest output an event may carry inline.
const MAX_OUTPUT_BYTES = 2 * 1024 * 1024;

/** The RESOURCE_EXHAUSTED check of event outputs. */
export function checkOutputSize(outputs: LiteralMap | undefined): void {
  if (!outputs) return;
  const size = toBinary(LiteralMapSchema, outputs).length;
  if (size > MAX_OUTPUT_BYTES) {
    throw new AdminError("ResourceExhausted", `Output data size exceeds platform configured threshold (${size} > ${MAX_OUTPUT_BYTES})`);
  }
}

/**
 * What an engine reports about workflow executions (FlyteAdmin's
 * CreateWorkflowEvent). Each event is one compare-and-set on the stored phase:
 * two engines racing on one execution are applied one after the other, each
 * checked against the phase the other left.
 */
export function eventHandlers({ store, blobs, notifications }: ApiDeps): Impl {
  return {
    async createWorkflowEvent(req) {
      const event = req.event;
      if (!event) throw invalidArgument("Workflow event handler was called without event");
      const id = event.executionId;
      if (!id) throw invalidArgument("Workflow event handler request event doesn't have an execution id");
      if (event.outputResult.case === "outputData") checkOutputSize(event.outputResult.value);
      if (!event.occurredAt) throw invalidArgument("missing occurred_at");
      checkWorkflowEventText(event);
      const occurredAt = timestampDate(event.occurredAt);
      const key = { project: id.project, domain: id.domain, name: id.name };
      const text = `project:"${id.project}" domain:"${id.domain}" name:"${id.name}"`;
      for (;;) {
        const stored = await store.executions.get(key);
        if (!stored) throw notFound(`missing entity of type execution with identifier ${text}`);
        const before = stored.execution.closure!;
        const { assignCluster } = checkWorkflowTransition(text, before.phase, event.phase, event.producerId, stored.cluster);

        // Read for this event alone, the stored closure becomes the new one in place (a lost race reads it again).
        const fromPhase = before.phase;
        const closure = before;
        closure.phase = event.phase;
        closure.updatedAt = event.occurredAt;
        let startedAt: Date | undefined;
        let durationNs: number | undefined;
        if (event.phase === Phase.RUNNING) {
          closure.startedAt = event.occurredAt;
          startedAt = occurredAt;
        }
        const terminal = TERMINAL_WORKFLOW_PHASES.has(event.phase);
        const ran = terminal ? durationUntil(closure.startedAt, occurredAt) : undefined;
        if (ran) {
          closure.duration = ran.duration;
          durationNs = ran.ns;
        }
        const result = event.outputResult;
        let offload: (() => Promise<void>) | undefined;
        if (result.case === "outputUri") {
          closure.outputResult = { case: "outputs", value: create(LiteralMapBlobSchema, { data: { case: "uri", value: result.value } }) };
        } else if (result.case === "outputData") {
          // Inline outputs are offloaded (FlyteAdmin's default policy); the closure points at them.
          // Written only by the event that wins the phase, inside its transaction.
          const outputsKey = executionOutputsKey(id);
          offload = () => blobs.putMessage(outputsKey, LiteralMapSchema, result.value);
          closure.outputResult = { case: "outputs", value: create(LiteralMapBlobSchema, { data: { case: "uri", value: blobs.uri(outputsKey) } }) };
        } else if (result.case === "error") {
          closure.outputResult = { case: "error", value: result.value };
        }
        const spec = assignCluster !== undefined ? clone(ExecutionSpecSchema, stored.execution.spec!) : undefined;
        if (spec?.metadata?.systemMetadata && assignCluster !== undefined) spec.metadata.systemMetadata.executionCluster = assignCluster;
        // A terminal phase's notifications go to the outbox in the phase's own transaction (§3.5.1):
        // they exist exactly when the phase does, and a repeated terminal event is refused above.
        const deliveries =
          terminal && notifications && closure.notifications.length > 0
            ? notifications.plan(terminalExecution(key, stored.execution.spec, closure, event, occurredAt))
            : [];
        const applied = await store.executions.updateClosure(key, fromPhase, closure, {
          ...(startedAt ? { startedAt } : {}),
          ...(durationNs !== undefined ? { durationNs } : {}),
          ...(assignCluster !== undefined ? { cluster: assignCluster, ...(spec ? { spec } : {}) } : {}),
          event: { phase: Phase[event.phase] ?? String(event.phase), producerId: event.producerId, occurredAt },
          expectedClosure: stored.closureBytes,
          ...(offload ? { beforeCommit: offload } : {}),
          ...(deliveries.length > 0 ? { deliveries: { items: deliveries, enqueuedAt: notifications!.now() } } : {}),
        });
        if (applied) {
          if (deliveries.length > 0) notifications!.enqueued(deliveries);
          return {};
        }
        // Another event moved the execution meanwhile: check this one against where it is now.
      }
    },
  };
}
