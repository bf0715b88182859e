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
    const bytes = await answers.take(req.url, toBinary(req.method.input, req.message));
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
