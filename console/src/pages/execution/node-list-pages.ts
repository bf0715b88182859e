import { type AllPages, listAllPages, type PageAnswer } from "../../lib/list-all-pages.js";

/** The most node executions one list shows; past it the page says the list is cut. */
export const MAX_NODES = 10_000;

/**
 * Every page of one node list. The page shows a list once all of it is in, so smaller pages would
 * only add round trips in a row (three for 1,000 nodes at 500 a page, the last one empty): it asks
 * for all it shows at once, which is within the server's default page cap. A server capped lower
 * refuses, and the transport learns the cap and pages within it (lib/paging).
 *
 * The page and its inline early script both read a list through this, so they ask for the
 * same pages with the same limits and tokens, and the early answers fit.
 */
export function listNodePages<T>(fetchPage: (limit: number, token: string) => Promise<PageAnswer<T>>): Promise<AllPages<T>> {
  return listAllPages(fetchPage, { maxItems: MAX_NODES, pageSize: MAX_NODES });
}
