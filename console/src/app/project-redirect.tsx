import { Navigate, useParams, useSearchParams } from "react-router";
import { Loading, ErrorNotice } from "../components/status.js";
import { readLastProject } from "./last-project.js";
import { paths } from "./routes.js";
import { useProjects } from "./use-projects.js";

const SECTIONS = new Set(["executions", "workflows", "tasks", "launchPlans"]);

/**
 * Paths without a domain segment: `/projects/<p>`, the older `/projects/<p>/<section>?domain=<d>`,
 * and `/projects/<p>/domains/<d>`. They land on the section in the domain from the query, the last
 * domain used in this project, or the project's first domain.
 */
export function ProjectRedirect() {
  const { project = "", section, domain: pathDomain } = useParams();
  const [search] = useSearchParams();
  const projects = useProjects();
  const target = section && SECTIONS.has(section) ? section : "executions";
  const last = readLastProject();
  const known = pathDomain ?? search.get("domain") ?? (last?.project === project ? last.domain : undefined);
  if (known) {
    const rest = new URLSearchParams(search);
    rest.delete("domain");
    const query = rest.size > 0 ? `?${rest.toString()}` : "";
    return <Navigate replace to={`${paths.projectDomain(project, known)}/${target}${query}`} />;
  }
  if (projects.isPending) return <Loading what="project" />;
  if (projects.error) return <ErrorNotice error={projects.error} />;
  const found = projects.data.projects.find((p) => p.id === project);
  const first = found?.domains[0]?.id;
  if (!found || !first) return <ErrorNotice error={`Project "${project}" was not found.`} />;
  return <Navigate replace to={`${paths.projectDomain(project, first)}/${target}`} />;
}
