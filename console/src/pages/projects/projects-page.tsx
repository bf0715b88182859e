import { Link } from "react-router";
import { paths } from "../../app/routes.js";
import { useProjects } from "../../app/use-projects.js";
import { Empty, ErrorNotice, Loading } from "../../components/status.js";

/** The landing page: every project, with a link into each of its domains. */
export default function ProjectsPage() {
  const projects = useProjects();
  return (
    <>
      <h1>Projects</h1>
      {projects.isPending ? (
        <Loading what="projects" />
      ) : projects.error ? (
        <ErrorNotice error={projects.error} />
      ) : projects.data.projects.length === 0 ? (
        <Empty>No projects yet. Create one with <code>flytectl create project</code>.</Empty>
      ) : (
        <ul className="cards" aria-label="Projects">
          {projects.data.projects.map((project) => (
            <li key={project.id} className="card">
              <h2>
                <Link to={paths.dashboard(project.id, project.domains[0]?.id ?? "development")}>{project.name || project.id}</Link>
              </h2>
              {project.name && project.name !== project.id ? <p className="mono">{project.id}</p> : null}
              {project.description ? <p>{project.description}</p> : null}
              <nav className="pill-links" aria-label={`Domains of ${project.name || project.id}`}>
                {project.domains.map((domain) => (
                  <Link key={domain.id} to={paths.dashboard(project.id, domain.id)}>
                    {domain.name || domain.id}
                  </Link>
                ))}
              </nav>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
