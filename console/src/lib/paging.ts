import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

export { type AllPages, listAllPages, type PageAnswer, PREFERRED_PAGE_SIZE } from "./list-all-pages.js";

/**
 * Lists through a server's pages. A server may cap the page size (this one's `maxPageSize`, set to
 * anything by an operator) and refuses a larger `limit` with INVALID_ARGUMENT rather than clamping
 * it. The console does not know the cap in advance: the transport's interceptor learns it from the
 * first refusal, asks again within it, and lowers every later request's `limit` to it, so each page
 * keeps working (a lowered page still hands back a token for the rest) at the cost of one refused
 * call per console load.
 */
export interface PageLimit {
  /** The largest `limit` the server takes, once a refusal has said; undefined until then. */
  cap: number | undefined;
}

export function createPageLimit(): PageLimit {
  return { cap: undefined };
}

/**
 * The page size a refusal names ("... more than the maximum page size of 50 ..."), or undefined
 * when the error is not a page-size refusal.
 */
export function refusedPageSize(error: unknown): number | undefined {
  if (!(error instanceof ConnectError) || error.code !== Code.InvalidArgument) return undefined;
  const m = /maximum page size of (\d{1,9})/.exec(error.rawMessage);
  const size = m ? Number(m[1]) : 0;
  return size > 0 ? size : undefined;
}

/** Lowers a unary request's `limit` to the learned cap, and learns the cap from a refusal (one retry). */
export function pageSizeInterceptor(limit: PageLimit): Interceptor {
  return (next) => async (req) => {
    if (req.stream) return next(req);
    const asked = (req.message as { limit?: unknown }).limit;
    if (typeof asked !== "number") return next(req);
    const within = (cap: number) => ({ ...req, message: { ...req.message, limit: cap } });
    if (limit.cap !== undefined && asked > limit.cap) return next(within(limit.cap));
    try {
      return await next(req);
    } catch (error) {
      const cap = refusedPageSize(error);
      // Lowered only: a server that refuses its own cap gets its error shown.
      if (cap === undefined || cap >= asked) throw error;
      limit.cap = cap;
      return next(within(cap));
    }
  };
}
