import { useInfiniteQuery } from "@connectrpc/connect-query";
import { useDeferredValue } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { NamedEntityState, Sort_Direction } from "../../../../gen/flyteidl/admin/common_pb.js";
import { AdminService } from "../../../../gen/flyteidl/service/admin_pb.js";
import { KIND_LABELS, paths, resourceTypeOf } from "../../app/routes.js";
import { useEntityKind } from "../../app/use-entity-kind.js";
import { LoadMore } from "../../components/load-more.js";
import { Empty, ErrorNotice, Loading } from "../../components/status.js";
import { type Filter, filterString, isSearchable } from "../../lib/filters.js";

const PAGE = 100;

/**
 * Workflows, tasks or launch plans of a project and domain: ListNamedEntities filtered by state
 * (active or archived, as the Flyte console does) and by a name search sent to the server, a page
 * at a time.
 */
export default function EntityListPage() {
  const { project = "", domain = "" } = useParams();
  const kind = useEntityKind();
  const [query, setQuery] = useSearchParams();
  const search = query.get("search") ?? "";
  const archived = query.get("archived") === "true";
  const deferredSearch = useDeferredValue(search.trim());
  const searchable = isSearchable(deferredSearch);
  const filters: Filter[] = [{ op: "eq", key: "state", value: archived ? NamedEntityState.NAMED_ENTITY_ARCHIVED : NamedEntityState.NAMED_ENTITY_ACTIVE }];
  if (deferredSearch && searchable) filters.push({ op: "contains", key: "name", value: deferredSearch });
  const list = useInfiniteQuery(
    AdminService.method.listNamedEntities,
    { resourceType: resourceTypeOf[kind], project, domain, limit: PAGE, token: "", filters: filterString(filters), sortBy: { key: "name", direction: Sort_Direction.ASCENDING } },
    { pageParamKey: "token", getNextPageParam: (page) => page.token || undefined },
  );
  const update = (key: string, value: string | undefined) =>
    setQuery(
      (prev) => {
        const next = new URLSearchParams(prev);
        if (value) next.set(key, value);
        else next.delete(key);
        return next;
      },
      // Synchronously: a controlled checkbox or text box must show the change in the same event.
      { replace: true, flushSync: true },
    );
  const labels = KIND_LABELS[kind];
  const entities = list.data?.pages.flatMap((p) => p.entities) ?? [];
  return (
    <>
      <h1>{labels.many}</h1>
      <form className="toolbar" role="search" onSubmit={(event) => event.preventDefault()}>
        <label>
          Search by name
          <input type="search" value={search} onChange={(event) => update("search", event.target.value)} placeholder="name contains…" maxLength={200} />
        </label>
        <label className="inline">
          <input type="checkbox" checked={archived} onChange={(event) => update("archived", event.target.checked ? "true" : undefined)} />
          Show archived
        </label>
      </form>
      {!searchable ? <p className="status error">A name search cannot contain ( ) , + or ;.</p> : null}
      {list.isPending ? (
        <Loading what={labels.many.toLowerCase()} />
      ) : list.error ? (
        <ErrorNotice error={list.error} />
      ) : entities.length === 0 ? (
        <Empty>
          No {archived ? "archived " : ""}
          {labels.many.toLowerCase()}
          {deferredSearch ? ` with "${deferredSearch}" in the name` : ""}.
        </Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">{labels.many}</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Description</th>
                </tr>
              </thead>
              <tbody>
                {entities.map((entity) => (
                  <tr key={entity.id?.name}>
                    <td className="wrap">
                      <Link to={paths.entity(kind, project, domain, entity.id?.name ?? "")}>{entity.id?.name}</Link>
                    </td>
                    <td className="wrap">{entity.metadata?.description ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <LoadMore list={list} shown={entities.length} />
        </>
      )}
    </>
  );
}
