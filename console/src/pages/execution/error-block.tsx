import { type ExecutionError, ExecutionError_ErrorKind } from "../../../../gen/flyteidl/core/execution_pb.js";

/** A failure as flytekit wrote it: kind, code and the message (often a traceback) kept verbatim. */
export function ErrorBlock({ error }: { error: ExecutionError }) {
  const kind = error.kind === ExecutionError_ErrorKind.USER ? "user error" : error.kind === ExecutionError_ErrorKind.SYSTEM ? "system error" : "error";
  return (
    <div className="error-block" role="region" aria-label="Error">
      <p>
        <strong>{kind}</strong> {error.code ? <code>{error.code}</code> : null}
      </p>
      <pre tabIndex={0}>{error.message.length > 20_000 ? `${error.message.slice(0, 20_000)}…` : error.message}</pre>
      {error.errorUri ? <p className="muted mono">{error.errorUri}</p> : null}
    </div>
  );
}
