/**
 * Settles like `work`, or rejects with `message` once `timeoutMs` have
 * passed. The work itself goes on (the driver's own timeouts end it); the
 * caller just stops waiting, so a health probe never hangs on a stalled
 * database.
 */
export function withTimeout<T>(work: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), timeoutMs);
    timer.unref();
  });
  // A late failure of the abandoned work is not unhandled.
  work.catch(() => undefined);
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
