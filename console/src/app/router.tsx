import { lazy, type ComponentType, type LazyExoticComponent } from "react";
import { createBrowserRouter, type RouteObject } from "react-router";
import { CONSOLE_BASE, patterns } from "./routes.js";
import { Layout } from "./layout.js";
import { ProjectRedirect } from "./project-redirect.js";
import { RouteError } from "./route-error.js";

/**
 * One lazily loaded module per page: the first load carries only the shell and the page asked for.
 * Each page module's default export is the page component; it reads its parameters with useParams.
 */
const page = (load: () => Promise<{ default: ComponentType }>): LazyExoticComponent<ComponentType> => lazy(load);

const ProjectsPage = page(() => import("../pages/projects/projects-page.js"));
const ExecutionsPage = page(() => import("../pages/executions/executions-page.js"));
const EntityListPage = page(() => import("../pages/entities/entity-list-page.js"));
const EntityPage = page(() => import("../pages/entities/entity-page.js"));
const EntityVersionPage = page(() => import("../pages/entities/entity-version-page.js"));
const ExecutionPage = page(() => import("../pages/execution/execution-page.js"));
const NotFoundPage = page(() => import("../pages/not-found/not-found-page.js"));

export const routeObjects: RouteObject[] = [
  {
    element: <Layout />,
    errorElement: <RouteError />,
    children: [
      { path: patterns.home, element: <ProjectsPage /> },
      { path: patterns.selectProject, element: <ProjectsPage /> },
      { path: patterns.project, element: <ProjectRedirect /> },
      { path: patterns.projectSection, element: <ProjectRedirect /> },
      { path: patterns.projectDomain, element: <ProjectRedirect /> },
      { path: patterns.executions, element: <ExecutionsPage /> },
      { path: patterns.workflows, element: <EntityListPage /> },
      { path: patterns.tasks, element: <EntityListPage /> },
      { path: patterns.launchPlans, element: <EntityListPage /> },
      { path: patterns.workflow, element: <EntityPage /> },
      { path: patterns.workflowSingular, element: <EntityPage /> },
      { path: patterns.task, element: <EntityPage /> },
      { path: patterns.launchPlan, element: <EntityPage /> },
      { path: patterns.workflowVersion, element: <EntityVersionPage /> },
      { path: patterns.taskVersion, element: <EntityVersionPage /> },
      { path: patterns.launchPlanVersion, element: <EntityVersionPage /> },
      { path: patterns.execution, element: <ExecutionPage /> },
      { path: patterns.executionTask, element: <ExecutionPage /> },
      { path: patterns.executionTaskPhase, element: <ExecutionPage /> },
      { path: patterns.executionMappedTask, element: <ExecutionPage /> },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
];

export const router = createBrowserRouter(routeObjects, { basename: CONSOLE_BASE });
