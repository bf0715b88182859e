import { useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import type { WorkflowExecutionIdentifier } from "../../../../gen/flyteidl/core/identifier_pb.js";
import { SignalService } from "../../../../gen/flyteidl/service/signal_pb.js";
import { ErrorNotice } from "../../components/status.js";
import type { NodeSpec } from "../../lib/node-specs.js";
import { signalInput, signalLiteral } from "../../lib/signal-value.js";
import { formatLiteralType } from "../../lib/literal-type.js";

/**
 * For a gate node that waits: approve or reject (an approve gate's boolean
 * signal), or give the signal's value. The value goes through SetSignal, as
 * `flytectl` and `FlyteRemote.set_signal` send it.
 */
export function GateControls({ executionId, spec }: { executionId: WorkflowExecutionIdentifier; spec: NodeSpec }) {
  const queries = useQueryClient();
  const signals = useQuery(SignalService.method.listSignals, { workflowExecutionId: executionId, limit: 100 });
  const set = useMutation(SignalService.method.setSignal, { onSuccess: () => void queries.invalidateQueries(undefined, { cancelRefetch: false }) });
  const [text, setText] = useState("");
  const [problem, setProblem] = useState("");
  const inputId = useId();
  if (spec.gate === "sleep") return <p className="status">This gate sleeps for a set time; nothing to give.</p>;
  const signal = signals.data?.signals.find((s) => s.id?.signalId === spec.signalId);
  if (signals.error) return <ErrorNotice error={signals.error} />;
  if (!signal) return <p className="status">Waiting for the gate's signal “{spec.signalId}” to be created…</p>;
  if (signal.value) return <p className="status">The signal “{spec.signalId}” has been given.</p>;
  const send = (value: ReturnType<typeof signalLiteral>) => {
    if (typeof value === "string") return setProblem(value);
    setProblem("");
    set.mutate({ id: signal.id, value });
  };
  const kind = spec.gate === "approve" ? "bool" : signalInput(signal.type);
  return (
    <section className="gate" aria-label="Gate">
      <h3>{spec.gate === "approve" ? "Approval" : `Signal “${spec.signalId}”`}</h3>
      {spec.gate === "approve" ? (
        <div className="button-row">
          <button type="button" disabled={set.isPending} onClick={() => send(signalLiteral("bool", "true"))}>
            Approve
          </button>
          <button type="button" className="danger" disabled={set.isPending} onClick={() => send(signalLiteral("bool", "false"))}>
            Reject
          </button>
        </div>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            send(signalLiteral(kind, text));
          }}
        >
          <label htmlFor={inputId}>
            Value ({formatLiteralType(signal.type)})
          </label>
          {kind === "bool" ? (
            <select id={inputId} value={text} onChange={(e) => setText(e.target.value)}>
              <option value="">choose…</option>
              <option value="true">true</option>
              <option value="false">false</option>
            </select>
          ) : (
            <input id={inputId} value={text} onChange={(e) => setText(e.target.value)} disabled={kind === "unsupported"} aria-invalid={problem !== ""} />
          )}
          <button type="submit" disabled={set.isPending || kind === "unsupported"}>
            Send
          </button>
        </form>
      )}
      {problem ? (
        <p className="status error" role="alert">
          {problem}
        </p>
      ) : null}
      {set.error ? <ErrorNotice error={set.error} /> : null}
    </section>
  );
}
