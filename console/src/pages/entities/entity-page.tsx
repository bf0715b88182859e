import { create } from "@bufbuild/protobuf";
import { useQuery } from "@connectrpc/connect-query";
import { Link, useParams } from "react-router";
import { IdentifierSchema } from "../../../../gen/flyteidl/core/identifier_pb.js";
import { AdminService } from "../../../../gen/flyteidl/service/admin_pb.js";
import { KIND_LABELS, paths, resourceTypeOf } from "../../app/routes.js";
import { useEntityKind } from "../../app/use-entity-kind.js";
import { LaunchButton } from "../../components/launch-button.js";
import { Empty, ErrorNotice, Loading } from "../../components/status.js";
import { describeSchedule } from "../../lib/schedule.js";
import { formatDateTime } from "../../lib/time-format.js";
import { EntityExecutions } from "./entity-executions.js";
import { useActiveLaunchPlan, useDescription, useVersions } from "./entity-queries.js";
import { EntityVersionDetails } from "./entity-version-details.js";

/** A workflow, task or launch plan by name: description, versions, the newest version in detail, runs. */
export default function EntityPage() {
  const { project = "", domain = "", name = "" } = useParams();
  const kind = useEntityKind();
  const resourceType = resourceTypeOf[kind];
  const id = { project, domain, name };
  const labels = KIND_LABELS[kind];
  const named = useQuery(AdminService.method.getNamedEntity, { resourceType, id }, { retry: false });
  const description = useDescription(kind, resourceType, id);
  const versions = useVersions(kind, id, 10);
  const active = useActiveLaunchPlan(kind, id);
  const latest = versions.rows?.[0]?.id;
  const activeLp = active.data?.launchPlans[0];
  const desc = description.data?.descriptionEntities[0];
  const long = desc?.longDescription?.content;
  return (
    <>
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to={paths.entityList(kind, project, domain)}>{labels.many}</Link> /
      </nav>
      <div className="title-row">
        <h1>
          <span className="kind">{labels.one}</span> {name}
        </h1>
        {/* The launch form opens for the newest version, as in the Flyte console. */}
        <LaunchButton kind={kind} id={latest && create(IdentifierSchema, { ...latest, resourceType })} />
      </div>
      {named.data?.metadata?.state === 1 ? <p className="status">This {labels.one.toLowerCase()} is archived.</p> : null}
      {named.data?.metadata?.description || desc?.shortDescription ? <p>{named.data?.metadata?.description || desc?.shortDescription}</p> : null}
      {long?.case === "value" && long.value ? <pre className="long-description">{long.value}</pre> : null}
      {desc?.sourceCode?.link ? (
        <p>
          Source: <a href={desc.sourceCode.link}>{desc.sourceCode.link}</a>
        </p>
      ) : null}
      {kind === "launchPlan" ? (
        <section aria-labelledby="schedule" className="panel">
          <h2 id="schedule">Schedule</h2>
          {active.isPending ? (
            <Loading what="active version" />
          ) : activeLp ? (
            <p>
              Active version <Link to={paths.launchPlanVersion(project, domain, name, activeLp.id?.version ?? "")}>{activeLp.id?.version}</Link>; schedule:{" "}
              {describeSchedule(activeLp.spec?.entityMetadata?.schedule) ?? "none"}.
            </p>
          ) : (
            <p>No version is active: no schedule runs.</p>
          )}
        </section>
      ) : null}
      <section aria-labelledby="versions">
        <h2 id="versions">Versions</h2>
        {versions.isPending ? (
          <Loading what="versions" />
        ) : versions.error ? (
          <ErrorNotice error={versions.error} />
        ) : !versions.rows || versions.rows.length === 0 ? (
          <Empty>
            No versions of {name} in {project}/{domain}.
          </Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Registered</th>
                </tr>
              </thead>
              <tbody>
                {versions.rows.map((row) => (
                  <tr key={row.id.version}>
                    <td className="mono wrap">
                      <Link to={paths.entityVersion(kind, project, domain, name, row.id.version)}>{row.id.version}</Link>
                    </td>
                    <td>{formatDateTime(row.createdMs)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {versions.more ? <p className="status">Showing the newest 10 versions.</p> : null}
      </section>
      {latest ? (
        <section aria-labelledby="latest">
          <h2 id="latest">Newest version</h2>
          <EntityVersionDetails kind={kind} id={create(IdentifierSchema, { ...latest, resourceType })} />
        </section>
      ) : null}
      <EntityExecutions kind={kind} id={id} />
    </>
  );
}
