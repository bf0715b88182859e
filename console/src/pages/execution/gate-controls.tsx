import { useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import type { Literal } from "../../../../gen/flyteidl/core/literals_pb.js";
import type { WorkflowExecutionIdentifier } from "../../../../gen/flyteidl/core/identifier_pb.js";
import type { LiteralType } from "../../../../gen/flyteidl/core/types_pb.js";
import { SignalService } from "../../../../gen/flyteidl/service/signal_pb.js";
import { ErrorNotice } from "../../components/status.js";
import type { FieldValue } from "../../lib/launch-form.js";
import type { NodeSpec } from "../../lib/node-specs.js";
import { approval, signalField, signalLiteral } from "../../lib/signal-value.js";
import { InputField } from "../launch/input-field.js";
import "../launch/launch.css";

/**
 * For a gate node that waits: approve or reject (an approve gate's boolean
 * signal), or give the signal's value in the launch form's control for its
 * type. The value goes through SetSignal, as `flytectl` and
 * `FlyteRemote.set_signal` send it.
 */
export function GateControls({ executionId, spec }: { executionId: WorkflowExecutionIdentifier; spec: NodeSpec }) {
  const queries = useQueryClient();
  const signals = useQuery(SignalService.method.listSignals, { workflowExecutionId: executionId, limit: 100 });
  const set = useMutation(SignalService.method.setSignal, { onSuccess: () => void queries.invalidateQueries(undefined, { cancelRefetch: false }) });
  if (spec.gate === "sleep") return <p className="status">This gate sleeps for a set time; nothing to give.</p>;
  const signal = signals.data?.signals.find((s) => s.id?.signalId === spec.signalId);
  if (signals.error) return <ErrorNotice error={signals.error} />;
  if (!signal) return <p className="status">Waiting for the gate's signal “{spec.signalId}” to be created…</p>;
  if (signal.value) return <p className="status">The signal “{spec.signalId}” has been given.</p>;
  const send = (value: Literal) => set.mutate({ id: signal.id, value });
  return (
    <section className="gate" aria-label="Gate">
      <h3>{spec.gate === "approve" ? "Approval" : `Signal “${spec.signalId}”`}</h3>
      {spec.gate === "approve" ? (
        <div className="button-row">
          <button type="button" disabled={set.isPending} onClick={() => send(approval(true))}>
            Approve
          </button>
          <button type="button" className="danger" disabled={set.isPending} onClick={() => send(approval(false))}>
            Reject
          </button>
        </div>
      ) : signal.type ? (
        <SignalForm signalId={spec.signalId ?? ""} type={signal.type} busy={set.isPending} upload={executionId} onSend={send} />
      ) : (
        <p className="status">The signal has no type; give it with flytectl or the API.</p>
      )}
      {set.error ? <ErrorNotice error={set.error} /> : null}
    </section>
  );
}

function SignalForm({ signalId, type, busy, upload, onSend }: { signalId: string; type: LiteralType; busy: boolean; upload: { project: string; domain: string }; onSend: (v: Literal) => void }) {
  const field = useMemo(() => signalField(signalId, type), [signalId, type]);
  const [value, setValue] = useState<FieldValue>(field.initial);
  const [problem, setProblem] = useState("");
  return (
    <form
      className="signal-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const literal = signalLiteral(field, value);
        if (typeof literal === "string") return setProblem(literal);
        setProblem("");
        onSend(literal);
      }}
    >
      <InputField field={field} value={value} error={problem || undefined} upload={upload} onChange={(v) => (setValue(v), setProblem(""))} />
      <button type="submit" disabled={busy || field.kind === "unsupported"}>
        Send
      </button>
    </form>
  );
}
