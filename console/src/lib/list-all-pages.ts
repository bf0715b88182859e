/**
 * Reading a list page by page, on its own (no Connect, no generated code) so the page's inline early
 * script pages through a list exactly as the page that takes its answers does.
 */

/** A page size that keeps a 1,000-row list to two calls; FlyteAdmin itself has no cap. */
export const PREFERRED_PAGE_SIZE = 500;

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
