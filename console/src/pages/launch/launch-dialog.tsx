import type { Identifier } from "../../../../gen/flyteidl/core/identifier_pb.js";

export interface LaunchTarget {
  kind: "workflow" | "task" | "launchPlan";
  id: Identifier;
}

export interface LaunchDialogProps {
  target: LaunchTarget;
  onClose: () => void;
}

/** Placeholder: the launch form is not built yet. The default export is what pages open lazily. */
export default function LaunchDialog({ target, onClose }: LaunchDialogProps) {
  return (
    <div role="dialog" aria-modal="true" aria-labelledby="launch-title" className="panel">
      <h2 id="launch-title">Launch {target.id.name}</h2>
      <p className="status">The launch form is not built yet.</p>
      <button type="button" onClick={onClose}>
        Close
      </button>
    </div>
  );
}
