import { createEarlyAnswers, type EarlyAnswers } from "../lib/early-answers.js";
import { executionOfPath } from "../lib/execution-page-calls.js";
import { sendExecutionPageCalls } from "../pages/execution/early-calls.js";
import { CONSOLE_BASE } from "./console-base.js";

/**
 * A first visit to an execution page spends most of its start-up building the generated protobuf
 * descriptors, and only then would the page ask for its data. The entry script runs this first
 * instead: it starts loading the page's module and sends the page's first calls with plain fetch,
 * so the network and the server work while the app is evaluated. The transport's interceptor hands
 * these answers to the page when it makes the same calls; anything that fails here is simply asked
 * again by the page.
 */

/** Kept answers, for the transport (app/transport.ts). */
export const earlyAnswers: EarlyAnswers = createEarlyAnswers({ maxAgeMs: 10_000 });

/** The transport's deadline, which the early calls keep too. */
export const CALL_TIMEOUT_MS = 30_000;

export function startEarlyCalls(location: { origin: string; pathname: string }): void {
  const execution = executionOfPath(location.pathname, CONSOLE_BASE);
  if (!execution) return;
  // The module the router's lazy route loads (router.tsx): started here, it is fetched and evaluated
  // with the app rather than after it. A failure shows when the router loads it again.
  import("../pages/execution/execution-page.js").catch(() => undefined);
  void sendExecutionPageCalls(location.origin, execution, { answers: earlyAnswers, fetch: (input, init) => fetch(input, init), timeoutMs: CALL_TIMEOUT_MS });
}
