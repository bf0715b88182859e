/** The foot of a list paged by token: a button for the next page while there is one, and a count. */
export function LoadMore({
  list,
  shown,
}: {
  list: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => Promise<unknown> };
  shown: number;
}) {
  return (
    <div className="pager">
      {list.hasNextPage ? (
        <button type="button" className="secondary" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          {list.isFetchingNextPage ? "Loading…" : "Load more"}
        </button>
      ) : null}
      <span className="status" aria-live="polite">
        {shown} shown
      </span>
    </div>
  );
}
