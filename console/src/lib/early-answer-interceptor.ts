import { fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Interceptor, UnaryResponse } from "@connectrpc/connect";
import type { EarlyAnswers } from "./early-answers.js";

/**
 * Answers a unary call from an early answer to the same request when there is one (read with the
 * method's own schema, as the transport would), and makes the call as usual otherwise, including
 * when the early call failed: its error then comes from the server again, through the normal path.
 */
export function earlyAnswerInterceptor(answers: EarlyAnswers): Interceptor {
  return (next) => async (req) => {
    if (req.stream || !answers.expects(req.url)) return next(req);
    const early = answers.take(req.url, toBinary(req.method.input, req.message));
    const bytes = early && (await untilAborted(early, req.signal));
    // A cancelled call goes on to the transport, which ends it as it ends any cancelled call.
    if (bytes === undefined || req.signal.aborted) return next(req);
    let message;
    try {
      message = fromBinary(req.method.output, bytes);
    } catch {
      return next(req);
    }
    const answer: UnaryResponse = { stream: false, service: req.service, method: req.method, header: new Headers(), trailer: new Headers(), message };
    return answer as Awaited<ReturnType<typeof next>>;
  };
}

/** The answer, or undefined as soon as the call is cancelled. */
function untilAborted(answer: Promise<Uint8Array | undefined>, signal: AbortSignal): Promise<Uint8Array | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const abort = () => resolve(undefined);
    signal.addEventListener("abort", abort, { once: true });
    void answer.then((bytes) => {
      signal.removeEventListener("abort", abort);
      resolve(bytes);
    });
  });
}
