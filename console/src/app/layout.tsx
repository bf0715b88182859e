import { Suspense, useEffect } from "react";
import { Link, Outlet, useLocation, useNavigate, useParams } from "react-router";
import { Loading } from "../components/status.js";
import { writeLastProject } from "./last-project.js";
import { entityKindOfPath, paths } from "./routes.js";
import { useProjects } from "./use-projects.js";

/** The page frame: a header with the project and domain switchers, the section links, and the page. */
export function Layout() {
  const { project, domain } = useParams();
  useEffect(() => {
    if (project && domain) writeLastProject({ project, domain });
  }, [project, domain]);
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to={paths.home()} className="brand">
          Flyte console
        </Link>
        {project && domain ? <ProjectDomainSwitch project={project} domain={domain} /> : null}
      </header>
      {project && domain ? <SectionNav project={project} domain={domain} /> : null}
      <main id="main" className="page" tabIndex={-1}>
        <Suspense fallback={<Loading what="page" />}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}

/** Switching project or domain keeps the section the user is in (workflows stay workflows). */
function ProjectDomainSwitch({ project, domain }: { project: string; domain: string }) {
  const projects = useProjects();
  const navigate = useNavigate();
  const location = useLocation();
  const section = sectionOf(location.pathname);
  const current = projects.data?.projects.find((p) => p.id === project);
  const go = (p: string, d: string) => navigate(`${paths.projectDomain(p, d)}/${section}`);
  return (
    <div className="switch">
      <label>
        <span className="visually-hidden">Project</span>
        <select
          value={project}
          onChange={(event) => {
            const next = projects.data?.projects.find((p) => p.id === event.target.value);
            const nextDomain = next?.domains.find((d) => d.id === domain)?.id ?? next?.domains[0]?.id ?? domain;
            go(event.target.value, nextDomain);
          }}
        >
          {current ? null : <option value={project}>{project}</option>}
          {projects.data?.projects.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name || p.id}
            </option>
          ))}
        </select>
      </label>
      <nav aria-label="Domains" className="domains">
        {(current?.domains ?? [{ id: domain, name: domain }]).map((d) => (
          <Link key={d.id} to={`${paths.projectDomain(project, d.id)}/${section}`} aria-current={d.id === domain ? "page" : undefined} className={d.id === domain ? "active" : undefined}>
            {d.name || d.id}
          </Link>
        ))}
      </nav>
    </div>
  );
}

function SectionNav({ project, domain }: { project: string; domain: string }) {
  // Entity and version pages (`/workflow/<name>/version/<v>`) belong to their list's section too,
  // which NavLink's prefix matching would not see.
  const current = sectionOf(useLocation().pathname);
  const links: [string, string][] = [
    ["executions", "Executions"],
    ["workflows", "Workflows"],
    ["tasks", "Tasks"],
    ["launchPlans", "Launch plans"],
  ];
  return (
    <nav className="sections" aria-label="Project sections">
      <ul>
        {links.map(([section, label]) => (
          <li key={section}>
            <Link to={`${paths.projectDomain(project, domain)}/${section}`} className={section === current ? "active" : undefined} aria-current={section === current ? "page" : undefined}>
              {label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** The section of a project path; entity and execution pages map to their list's section. */
function sectionOf(pathname: string): string {
  const kind = entityKindOfPath(pathname);
  return kind ? paths.entityList(kind, "", "").split("/").pop()! : "executions";
}
