import { createEarlyAnswers, publishEarlyAnswers } from "../lib/early-answers.js";
import { executionOfPath } from "../lib/execution-page-calls.js";
import { sendExecutionPageCalls } from "../pages/execution/early-calls.js";
import { CALL_TIMEOUT_MS, CONSOLE_BASE } from "./console-settings.js";

/**
 * A first visit to an execution page spends most of its start-up building the generated protobuf
 * descriptors, and only then would the page ask for its data and load its module. This runs first
 * instead, from a small script inline in the page's head (src/early.ts): it asks for the page's
 * module files and sends the page's first calls with plain fetch, so the network and the server work
 * while the app's modules arrive and are evaluated. The transport (app/transport.ts) hands the
 * answers to the page when it makes the same calls; anything that fails here is asked again by it.
 *
 * `executionPageFiles` are the page module's files (scripts and style sheets), as the build names them.
 */
export function startEarlyCalls(location: { origin: string; pathname: string }, executionPageFiles: readonly string[], doc: Document): void {
  const execution = executionOfPath(location.pathname, CONSOLE_BASE);
  if (!execution) return;
  const answers = createEarlyAnswers({ maxAgeMs: 10_000 });
  publishEarlyAnswers(globalThis, answers);
  // The calls first: the server answers one request at a time and the node list takes it longest,
  // while the page's files are only needed once the app is evaluated. (Waiting for the files would
  // not help: their load events wait for that evaluation too.)
  void sendExecutionPageCalls(location.origin, execution, { answers, fetch: (input, init) => fetch(input, init), timeoutMs: CALL_TIMEOUT_MS });
  preload(executionPageFiles, doc);
}

/**
 * Asks for the files now; they are evaluated when the router loads the page. The links are made as
 * Vite's own preloads are (crossorigin), so its loader finds the scripts here and reuses the sheets.
 */
function preload(files: readonly string[], doc: Document): void {
  for (const href of files) {
    const link = doc.createElement("link");
    if (href.endsWith(".css")) {
      link.rel = "preload";
      link.as = "style";
    } else {
      link.rel = "modulepreload";
    }
    link.crossOrigin = "";
    link.href = href;
    doc.head.append(link);
  }
}
