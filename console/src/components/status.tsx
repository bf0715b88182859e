import { Code, ConnectError } from "@connectrpc/connect";

/** A polite loading line: screen readers hear it once, sighted users see it where the content will be. */
export function Loading({ what }: { what: string }) {
  return (
    <p className="status" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

/** The server's own words for a failed call (its code and message), or a plain message. */
export function ErrorNotice({ error }: { error: unknown }) {
  let text: string;
  if (error instanceof ConnectError) text = `${Code[error.code] ?? "error"}: ${error.rawMessage}`;
  else if (error instanceof Error) text = error.message;
  else text = String(error);
  return (
    <p className="status error" role="alert">
      {text}
    </p>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return <p className="status empty">{children}</p>;
}
