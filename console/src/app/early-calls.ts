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
  const files = preload(executionPageFiles, doc);
  // The server answers one call at a time, and the node list is its longest answer: sent once the
  // page's files are in, so they do not wait behind it. The execution is a quick read.
  void sendExecutionPageCalls(location.origin, execution, { answers, fetch: (input, init) => fetch(input, init), timeoutMs: CALL_TIMEOUT_MS, nodesAfter: files });
}

/**
 * Asks for the files now; they are evaluated when the router loads the page. The links are made as
 * Vite's own preloads are (crossorigin), so its loader finds the scripts here and reuses the sheets.
 * Settles once every file is in or has failed (a browser without module preloads does not wait).
 */
function preload(files: readonly string[], doc: Document): Promise<unknown> {
  return Promise.all(
    files.map((href) => {
      const link = doc.createElement("link");
      const css = href.endsWith(".css");
      link.rel = css ? "preload" : "modulepreload";
      if (css) link.as = "style";
      link.crossOrigin = "";
      link.href = href;
      const done = link.relList.supports(link.rel)
        ? new Promise((settle) => {
            link.addEventListener("load", settle);
            link.addEventListener("error", settle);
          })
        : undefined;
      doc.head.append(link);
      return done;
    }),
  );
}
