import { create } from "@bufbuild/protobuf";
import { Link, useParams } from "react-router";
import { IdentifierSchema } from "../../../../gen/flyteidl/core/identifier_pb.js";
import { KIND_LABELS, paths, resourceTypeOf } from "../../app/routes.js";
import { useEntityKind } from "../../app/use-entity-kind.js";
import { LaunchButton } from "../../components/launch-button.js";
import { EntityExecutions } from "./entity-executions.js";
import { EntityVersionDetails } from "./entity-version-details.js";

/** One version of a workflow, task or launch plan, with the executions of that version. */
export default function EntityVersionPage() {
  const { project = "", domain = "", name = "", version = "" } = useParams();
  const kind = useEntityKind();
  const labels = KIND_LABELS[kind];
  const id = create(IdentifierSchema, { resourceType: resourceTypeOf[kind], project, domain, name, version });
  return (
    <>
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to={paths.entityList(kind, project, domain)}>{labels.many}</Link> / <Link to={paths.entity(kind, project, domain, name)}>{name}</Link> /
      </nav>
      <div className="title-row">
        <h1>
          <span className="kind">{labels.one}</span> {name} <span className="mono version">{version}</span>
        </h1>
        <LaunchButton kind={kind} id={id} />
      </div>
      <EntityVersionDetails kind={kind} id={id} />
      <EntityExecutions kind={kind} id={{ project, domain, name }} version={version} />
    </>
  );
}
