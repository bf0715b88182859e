import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

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

/** A page size that keeps a 1,000-row list to two calls; FlyteAdmin itself has no cap. */
export const PREFERRED_PAGE_SIZE = 500;

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

export interface PageAnswer<T> {
  items: T[];
  /** The next page's token; empty on the last page. */
  token: string;
}

export interface AllPages<T> {
  items: T[];
  /** More items exist than `maxItems` allowed reading. */
  cut: boolean;
}

/**
 * Every page of a list, in order, until the server has no more or `maxItems` are read. `fetchPage`
 * makes one call with the limit and token it is given.
 */
export async function listAllPages<T>(
  fetchPage: (limit: number, token: string) => Promise<PageAnswer<T>>,
  { maxItems, pageSize = PREFERRED_PAGE_SIZE }: { maxItems: number; pageSize?: number },
): Promise<AllPages<T>> {
  const items: T[] = [];
  let token = "";
  // Each answer adds an item or ends the list; the call bound holds a misbehaving server to it too.
  for (let calls = 0; calls < maxItems + 1; calls++) {
    const page = await fetchPage(Math.max(1, Math.min(pageSize, maxItems - items.length)), token);
    items.push(...page.items);
    token = page.items.length === 0 ? "" : page.token;
    if (token === "" || items.length >= maxItems) break;
  }
  return { items: items.slice(0, maxItems), cut: token !== "" };
}
