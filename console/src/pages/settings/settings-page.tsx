import { Code, ConnectError } from "@connectrpc/connect";
import { useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useParams } from "react-router";
import type { MatchingAttributes } from "../../../../gen/flyteidl/admin/matchable_resource_pb.js";
import { AdminService } from "../../../../gen/flyteidl/service/admin_pb.js";
import { adminClient } from "../../app/transport.js";
import { ErrorNotice, Loading } from "../../components/status.js";
import { ATTRIBUTE_KINDS, type AttributeKind, attributesText, parseAttributes } from "../../lib/matchable.js";
import "./settings.css";

type Level = "project" | "domain";

/**
 * Project and domain settings: every matchable attribute kind at the project
 * level and at the project-domain level, read, edited and deleted. A domain
 * value applies before the project's (the server resolves the most specific).
 */
export default function SettingsPage() {
  const { project = "", domain = "" } = useParams();
  const [level, setLevel] = useState<Level>("domain");
  return (
    <>
      <h1>Settings</h1>
      <p className="status">
        Matchable attributes for project <strong>{project}</strong>. Values set for a domain apply before the project's; an execution's own settings and its launch plan's come first.
      </p>
      <fieldset className="toolbar settings-level">
        <legend className="visually-hidden">Level</legend>
        <label className="inline">
          <input type="radio" name="level" checked={level === "domain"} onChange={() => setLevel("domain")} /> Domain {domain}
        </label>
        <label className="inline">
          <input type="radio" name="level" checked={level === "project"} onChange={() => setLevel("project")} /> Whole project
        </label>
      </fieldset>
      {ATTRIBUTE_KINDS.map((kind) => (
        <AttributeEditor key={`${level}-${kind.resource}`} kind={kind} project={project} domain={level === "domain" ? domain : ""} />
      ))}
    </>
  );
}

/** NOT_FOUND is the server's way of saying "not set". */
const notSet = (error: unknown) => error instanceof ConnectError && error.code === Code.NotFound;

function AttributeEditor({ kind, project, domain }: { kind: AttributeKind; project: string; domain: string }) {
  const id = useId();
  const queries = useQueryClient();
  const retry = (n: number, e: unknown) => !notSet(e) && n < 2;
  const projectQuery = useQuery(AdminService.method.getProjectAttributes, { project, resourceType: kind.resource }, { enabled: !domain, retry });
  const domainQuery = useQuery(AdminService.method.getProjectDomainAttributes, { project, domain, resourceType: kind.resource }, { enabled: !!domain, retry });
  const query = domain ? domainQuery : projectQuery;
  const stored: MatchingAttributes | undefined = domain ? domainQuery.data?.attributes?.matchingAttributes : projectQuery.data?.attributes?.matchingAttributes;
  const [draft, setDraft] = useState<string>();
  const [state, setState] = useState<{ busy: boolean; error?: unknown; message?: string }>({ busy: false });
  const storedText = attributesText(kind, stored);
  const text = draft ?? storedText;
  const problem = query.error && !notSet(query.error) ? query.error : undefined;

  async function run(action: () => Promise<unknown>, done: string) {
    setState({ busy: true });
    try {
      await action();
      await queries.invalidateQueries();
      setDraft(undefined);
      setState({ busy: false, message: done });
    } catch (error) {
      setState({ busy: false, error });
    }
  }

  function save() {
    const attributes = parseAttributes(kind, text);
    if (typeof attributes === "string") return setState({ busy: false, message: attributes });
    return run(
      () =>
        domain
          ? adminClient.updateProjectDomainAttributes({ attributes: { project, domain, matchingAttributes: attributes } })
          : adminClient.updateProjectAttributes({ attributes: { project, matchingAttributes: attributes } }),
      "Saved",
    );
  }

  function remove() {
    return run(
      () => (domain ? adminClient.deleteProjectDomainAttributes({ project, domain, resourceType: kind.resource }) : adminClient.deleteProjectAttributes({ project, resourceType: kind.resource })),
      "Deleted",
    );
  }

  const isSet = storedText !== "";
  return (
    <section className="panel settings-kind" aria-labelledby={`${id}-title`} data-kind={kind.field}>
      <h2 id={`${id}-title`}>{kind.title}</h2>
      {query.isLoading ? <Loading what={kind.title.toLowerCase()} /> : null}
      {problem ? <ErrorNotice error={problem} /> : null}
      {!query.isLoading && !problem ? (
        <>
          <p className="status">{isSet ? `Set ${domain ? `for ${domain}` : "for the project"}.` : "Not set at this level."}</p>
          <label htmlFor={`${id}-value`} className="visually-hidden">
            {kind.title} as JSON
          </label>
          <textarea
            id={`${id}-value`}
            rows={Math.min(14, Math.max(3, text.split("\n").length))}
            spellCheck={false}
            value={text}
            placeholder={JSON.stringify(kind.example)}
            onChange={(e) => setDraft(e.target.value)}
          />
          <div className="settings-actions">
            <button type="button" disabled={state.busy || text.trim() === "" || text === storedText} onClick={save}>
              Save
            </button>
            {!isSet && text === "" ? (
              <button type="button" className="secondary" onClick={() => setDraft(JSON.stringify(kind.example, null, 2))}>
                Start from an example
              </button>
            ) : null}
            {isSet ? (
              <button type="button" className="secondary" disabled={state.busy} onClick={remove}>
                Delete
              </button>
            ) : null}
            {state.message ? (
              <span role="status" className="status">
                {state.message}
              </span>
            ) : null}
          </div>
          {state.error ? <ErrorNotice error={state.error} /> : null}
        </>
      ) : null}
    </section>
  );
}
