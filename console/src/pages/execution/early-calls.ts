import type { EarlyAnswers } from "../../lib/early-answers.js";
import { type ExecutionKey, getExecutionRequest, listNodeExecutionsRequest, nodeListPage } from "../../lib/execution-page-calls.js";
import { grpcWebUnary } from "../../lib/grpc-web-unary.js";
import { listNodePages } from "./node-list-pages.js";

const ADMIN_SERVICE = "flyteidl.service.AdminService";

/**
 * Sends the execution page's first calls (GetExecution, and every page of the top-level
 * ListNodeExecutions) in the order and form the page makes them, keeping their answers in `answers`.
 * Settles when the node list's last page is in or one call fails; never rejects.
 */
export function sendExecutionPageCalls(
  origin: string,
  id: ExecutionKey,
  options: { answers: EarlyAnswers; fetch: typeof fetch; timeoutMs: number },
): Promise<void> {
  const call = (method: string, request: Uint8Array) => {
    const url = `${origin}/${ADMIN_SERVICE}/${method}`;
    const answer = grpcWebUnary(url, request, { fetch: options.fetch, timeoutMs: options.timeoutMs });
    options.answers.put(url, request, answer);
    return answer;
  };
  void call("GetExecution", getExecutionRequest(id));
  return listNodePages(async (limit, token) => {
    const bytes = await call("ListNodeExecutions", listNodeExecutionsRequest(id, limit, token));
    // An unanswered page ends the early reading there; the page asks for it, and the rest, itself.
    const page = bytes ? nodeListPage(bytes) : { count: 0, token: "" };
    return { items: new Array<undefined>(page.count), token: page.token };
  }).then(
    () => undefined,
    () => undefined,
  );
}
