/**
 * The database could not be opened at start-up. The message is one line that
 * names what was opened (a file path, or PostgreSQL's host:port, never a
 * password) and the errno or SQLSTATE code, so the CLI prints it as is
 * instead of a stack.
 */
export class DatabaseOpenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DatabaseOpenError";
  }
}

/** `CODE: message` of a driver or system error, on one line. */
export function describeCause(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown[] } | undefined;
  // drizzle wraps the driver error; its own message quotes the failed SQL.
  if (err?.cause && typeof (err.cause as { code?: unknown }).code === "string") return describeCause(err.cause);
  const code = typeof err?.code === "string" ? err.code : undefined;
  // A connect tried on several addresses fails with an AggregateError whose own message is empty.
  const message = String(err?.message || (err?.errors?.[0] as Error | undefined)?.message || e).split("\n")[0]!;
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
