import { createElement, lazy, useState, type ComponentType, type ReactElement } from "react";
import { createBrowserRouter, matchRoutes, type RouteObject } from "react-router";
import { CONSOLE_BASE, patterns } from "./routes.js";
import { Layout } from "./layout.js";
import { ProjectRedirect } from "./project-redirect.js";
import { RouteError } from "./route-error.js";

/** A page whose module loads lazily, and can be loaded ahead of its first render. */
type LazyPage = (() => ReactElement) & { preload(): Promise<void> };

/**
 * One lazily loaded module per page: the first load carries only the shell and the page asked for.
 * Each page module's default export is the page component; it reads its parameters with useParams.
 * A page loaded ahead (`preload`, for the page the app opens on) renders at once: loaded lazily it
 * would show the Suspense fallback first, and React holds back revealing what replaces a fallback
 * until 300 ms after it appeared.
 */
const page = (load: () => Promise<{ default: ComponentType }>): LazyPage => {
  const Lazy = lazy(load);
  let loaded: ComponentType | undefined;
  const Page = () => {
    // Chosen once per mount, so a page never switches between the two while shown.
    const [Loaded] = useState(() => loaded);
    return Loaded ? createElement(Loaded) : <Lazy />;
  };
  Page.preload = () =>
    load().then((m) => {
      loaded = m.default;
    });
  return Page;
};

const ProjectsPage = page(() => import("../pages/projects/projects-page.js"));
const ExecutionsPage = page(() => import("../pages/executions/executions-page.js"));
const EntityListPage = page(() => import("../pages/entities/entity-list-page.js"));
const EntityPage = page(() => import("../pages/entities/entity-page.js"));
const EntityVersionPage = page(() => import("../pages/entities/entity-version-page.js"));
const ExecutionPage = page(() => import("../pages/execution/execution-page.js"));
const SettingsPage = page(() => import("../pages/settings/settings-page.js"));
const NotFoundPage = page(() => import("../pages/not-found/not-found-page.js"));

/** A route that shows a page; the page also rides on the route, for `preloadPageAt`. */
const pageRoute = (path: string, Page: LazyPage): RouteObject => ({ path, element: <Page />, handle: Page });

export const routeObjects: RouteObject[] = [
  {
    element: <Layout />,
    errorElement: <RouteError />,
    children: [
      pageRoute(patterns.home, ProjectsPage),
      pageRoute(patterns.selectProject, ProjectsPage),
      { path: patterns.project, element: <ProjectRedirect /> },
      { path: patterns.projectSection, element: <ProjectRedirect /> },
      { path: patterns.projectDomain, element: <ProjectRedirect /> },
      pageRoute(patterns.executions, ExecutionsPage),
      pageRoute(patterns.workflows, EntityListPage),
      pageRoute(patterns.tasks, EntityListPage),
      pageRoute(patterns.launchPlans, EntityListPage),
      pageRoute(patterns.settings, SettingsPage),
      pageRoute(patterns.workflow, EntityPage),
      pageRoute(patterns.workflowSingular, EntityPage),
      pageRoute(patterns.task, EntityPage),
      pageRoute(patterns.launchPlan, EntityPage),
      pageRoute(patterns.workflowVersion, EntityVersionPage),
      pageRoute(patterns.taskVersion, EntityVersionPage),
      pageRoute(patterns.launchPlanVersion, EntityVersionPage),
      pageRoute(patterns.execution, ExecutionPage),
      pageRoute(patterns.executionTask, ExecutionPage),
      pageRoute(patterns.executionTaskPhase, ExecutionPage),
      pageRoute(patterns.executionMappedTask, ExecutionPage),
      pageRoute("*", NotFoundPage),
    ],
  },
];

export const router = createBrowserRouter(routeObjects, { basename: CONSOLE_BASE });

/** Loads the module of the page at `pathname` (nothing for a path that redirects); settles when it is in. */
export function preloadPageAt(pathname: string): Promise<void> {
  const Page = matchRoutes(routeObjects, pathname, CONSOLE_BASE)?.at(-1)?.route.handle as LazyPage | undefined;
  return Page?.preload() ?? Promise.resolve();
}
