/** How often a live page asks again: quickly at first, then less often while nothing changes. */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1_000, maxMs: 15_000, factor: 1.5 };

/**
 * The delay before poll number `unchanged + 1`, where `unchanged` counts the
 * answers in a row that changed nothing: any change drops back to the
 * initial delay, so a running execution feels live and an idle one costs little.
 */
export function nextPollDelay(unchanged: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  const n = Math.max(0, Math.min(unchanged, 64));
  return Math.min(options.maxMs, Math.round(options.initialMs * options.factor ** n));
}

/**
 * The interval for a query that polls: false (stop) once the thing is
 * terminal or the tab is hidden; otherwise the back-off delay.
 */
export function pollInterval(state: { terminal: boolean; hidden: boolean; unchanged: number }, options: BackoffOptions = DEFAULT_BACKOFF): number | false {
  if (state.terminal || state.hidden) return false;
  return nextPollDelay(state.unchanged, options);
}

/** Counts answers that changed nothing, comparing a cheap fingerprint of each (e.g. phase and updated time). */
export class ChangeCounter {
  private last: string | undefined;
  unchanged = 0;

  observe(fingerprint: string): number {
    this.unchanged = fingerprint === this.last ? this.unchanged + 1 : 0;
    this.last = fingerprint;
    return this.unchanged;
  }
}
